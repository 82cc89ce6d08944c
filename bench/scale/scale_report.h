#pragma once

// One measured scale case (a CSV row) and the report: scale.csv, and a table with the published
// anchors next to our figures.

#include <string>
#include <vector>

namespace alcor::bench {

struct Percentiles {
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  size_t count = 0;
};
Percentiles percentiles(std::vector<double> values);  // nearest-rank

struct ScaleRow {
  std::string scenario;  // "simulated" (M simulated agents) or "real" (node namespaces + OVS)
  std::string mode;      // bulk | single | cni
  std::string southbound = "grpc";  // grpc, mqN: NATS with an N-node cluster (issue 20), autoN
  int hosts = 0;
  size_t ports = 0;
  double posted_s = 0;     // until every create (POST / CNI ADD) returned
  double active_s = 0;     // until every port was ACTIVE (confirmed by its host)
  double converged_s = 0;  // until every relevant host had every port (local port + neighbors)
  double ports_per_s = 0;  // ports / converged_s
  Percentiles active_ms;   // per port: create -> ACTIVE (real: CNI ADD latency)
  Percentiles flows_ms;    // per port: create -> state on every relevant host
  uint64_t gs_messages = 0, gs_bytes = 0;  // GoalState messages/bytes received by the agents
  double controller_cpu_s = 0, controller_rss_mb = 0;
  double agent_cpu_s = 0, agent_rss_mb = 0;  // simulated: the bench process; real: per node max
  double broker_cpu_s = 0;                   // mqN: all nats-server processes
  std::string note;
};

// Writes rows to `path` as CSV (header first).
bool writeCsv(const std::string& path, const std::vector<ScaleRow>& rows);
// Prints the rows as a table, then the anchors (ACA, Alcor DPM, Kubernetes SLO) next to ours.
void printReport(const std::vector<ScaleRow>& rows);

}  // namespace alcor::bench
