#pragma once

// The two scale scenarios of bench_scale.

#include <chrono>
#include <string>
#include <vector>

#include "bench/scale/scale_report.h"

namespace alcor::bench {

inline double msBetween(std::chrono::steady_clock::time_point from,
                        std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

struct SimulatedOptions {
  int hosts = 100;
  std::vector<size_t> ports = {1000, 10000};
  std::vector<std::string> modes = {"bulk", "single"};
  // grpc, or mqN: --southbound=mq over an N-node nats-server cluster on loopback (issue 20), or
  // autoN: --southbound=auto over one (unicast on gRPC, the VPC multicast above the threshold).
  std::vector<std::string> southbounds = {"grpc"};
  int clients = 8;  // concurrent REST clients for single POSTs
  int timeout_s = 900;
  std::vector<std::string> controller_flags;  // extra alcor-controller flags
};

// Real alcor-controller binary on loopback (temp SQLite db) + `hosts` simulated agents.
std::vector<ScaleRow> runSimulated(const SimulatedOptions& options);

struct RealOptions {
  int nodes = 3;
  int pods = 300;
  int concurrency = 10;  // CNI ADDs in flight
  int timeout_s = 900;
};

// tests/harness Cluster: controller + node namespaces with OVS and alcor-agent; pods through
// alcor-cni.
ScaleRow runReal(const RealOptions& options);

}  // namespace alcor::bench
