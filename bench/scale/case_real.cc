// Scenario "real": tests/harness Cluster (alcor-controller + node namespaces, each with its own
// OVS and alcor-agent) and N pods ADDed through the alcor-cni binary, `concurrency` at a time,
// round-robin over the nodes. Per pod: CNI ADD latency, and the time until every other node's
// br-int has flows for the pod's MAC (its neighbor state turned into flows).

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <mutex>
#include <thread>

#include "bench/scale/cases.h"
#include "bench/scale/proc_stats.h"
#include "lib/base/strings.h"
#include "tests/harness/cluster.h"

namespace alcor::bench {
namespace {

using testing::Cluster;
using Clock = std::chrono::steady_clock;

// Counter value from the controller's Prometheus text.
uint64_t metric(const std::string& text, const std::string& name) {
  auto at = text.find("\n" + name + " ");
  if (at == std::string::npos) return 0;
  size_t from = at + name.size() + 2;
  auto value = trimSpace(std::string_view(text).substr(from, text.find('\n', from) - from));
  return static_cast<uint64_t>(parseDouble(value).value_or(0));
}

std::string podMac(const nlohmann::json& result) {
  for (const auto& i : result.value("interfaces", nlohmann::json::array())) {
    if (i.contains("sandbox") && !i.value("sandbox", "").empty())
      return toLower(i.value("mac", ""));
  }
  return "";
}

struct PodRun {
  std::unique_ptr<testing::Netns> ns;
  int node = 0;
  Clock::time_point start, added;
  bool ok = false;
  std::string mac;
  std::vector<Clock::time_point> seen;  // per node: first dump-flows holding the MAC
};

}  // namespace

ScaleRow runReal(const RealOptions& o) {
  ScaleRow row;
  row.scenario = "real";
  row.mode = "cni";
  row.hosts = o.nodes;
  row.ports = static_cast<size_t>(o.pods);
  testing::ClusterOptions co;
  co.nodes = o.nodes;
  co.extra_agent_flags = {"--log-level=info"};
  auto cluster_or = Cluster::start(co);
  if (!cluster_or.ok()) {
    row.note = "cluster: " + cluster_or.status().toString();
    return row;
  }
  Cluster& cluster = **cluster_or;
  auto net = cluster.createVpcAndSubnet("10.0.0.0/16", "10.0.0.0/20");
  if (!net.ok()) {
    row.note = net.status().toString();
    return row;
  }
  // Named copies, not a structured binding: the workers' lambdas capture them (clang 14).
  const std::string vpc = net->first;
  const std::string subnet = net->second;

  std::fprintf(stderr, "real: creating %d pod namespaces...\n", o.pods);
  std::vector<PodRun> pods(static_cast<size_t>(o.pods));
  for (size_t i = 0; i < pods.size(); ++i) {
    auto ns = testing::Netns::create("pod");
    if (!ns.ok()) {
      row.note = "netns: " + ns.status().toString();
      return row;
    }
    pods[i].ns = std::move(*ns);
    pods[i].node = static_cast<int>(i % static_cast<size_t>(o.nodes));
    pods[i].seen.resize(static_cast<size_t>(o.nodes));
  }

  pid_t controller_pid = findChildByExe(getpid(), "alcor-controller");
  ProcWatch ctl(controller_pid);
  std::vector<ProcWatch> agents;
  for (int i = 0; i < o.nodes; ++i) agents.emplace_back(cluster.node(i).agent.pid());
  ctl.begin();
  for (auto& a : agents) a.begin();
  std::string metrics0 = cluster.rest("GET", "/metrics").raw;

  std::fprintf(stderr, "real: %d CNI ADDs, %d in flight, %d nodes...\n", o.pods, o.concurrency,
               o.nodes);
  std::mutex mu;  // guards PodRun::added/ok/mac against the flow watcher
  std::atomic<size_t> next{0}, done{0};
  auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < o.concurrency; ++w) {
    workers.emplace_back([&] {
      for (size_t i = next++; i < pods.size(); i = next++) {
        PodRun& p = pods[i];
        std::string name = "scale-" + std::to_string(i);
        auto t0 = Clock::now();
        auto r = cluster.cni(p.node, "ADD", cluster.cniConfig(p.node, vpc, subnet),
                             "c" + p.ns->name(), p.ns->path(), "eth0",
                             "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + name +
                                 ";K8S_POD_UID=uid-" + p.ns->name());
        auto t1 = Clock::now();
        auto result = nlohmann::json::parse(r.out, nullptr, false);
        std::lock_guard lock(mu);
        p.start = t0;
        p.added = t1;
        p.ok = r.ok() && !result.is_discarded();
        if (p.ok) p.mac = podMac(result);
        if (!p.ok && row.note.empty()) {
          row.note = "ADD " + name + ": " + r.out.substr(0, 200);
          std::replace(row.note.begin(), row.note.end(), '\n', ' ');
        }
        ++done;
      }
    });
  }

  // Flow watcher: dump br-int of every node until each pod's MAC is on every other node.
  Clock::time_point posted_at{}, converged_at{};
  auto deadline = start + std::chrono::seconds(o.timeout_s);
  while (Clock::now() < deadline) {
    if (done == pods.size() && posted_at == Clock::time_point{}) posted_at = Clock::now();
    std::vector<std::string> dumps;
    for (int n = 0; n < o.nodes; ++n) {
      dumps.push_back(cluster.node(n).ovs->ofctl({"dump-flows", "br-int"}).out);
    }
    auto now = Clock::now();
    bool all = done == pods.size();
    std::lock_guard lock(mu);
    for (auto& p : pods) {
      if (!p.ok || p.mac.empty()) {
        all = all && !p.ok && p.added != Clock::time_point{};
        continue;
      }
      for (int n = 0; n < o.nodes; ++n) {
        auto& seen = p.seen[static_cast<size_t>(n)];
        if (n == p.node || seen != Clock::time_point{}) continue;
        if (dumps[static_cast<size_t>(n)].find(p.mac) != std::string::npos) {
          seen = now;
        } else {
          all = false;
        }
      }
    }
    ctl.sample();
    for (auto& a : agents) a.sample();
    if (all) {
      converged_at = now;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& t : workers) t.join();
  if (posted_at == Clock::time_point{}) posted_at = Clock::now();
  if (converged_at == Clock::time_point{}) {
    row.note += (row.note.empty() ? "" : "; ") + std::string("flows timed out");
    converged_at = Clock::now();
  }
  testing::waitFor(
      [&] {
        auto r = cluster.rest("GET", "/project/" + cluster.project() + "/ports?status=DOWN");
        return r.status == 200 && r.body.value("ports", nlohmann::json::array()).empty();
      },
      std::chrono::seconds(30));
  auto active_at = Clock::now();
  std::string metrics1 = cluster.rest("GET", "/metrics").raw;

  std::vector<double> add_ms, flows_ms;
  size_t ok = 0;
  for (const auto& p : pods) {
    if (!p.ok) continue;
    ++ok;
    add_ms.push_back(msBetween(p.start, p.added));
    Clock::time_point last = p.added;
    bool everywhere = true;
    for (int n = 0; n < o.nodes; ++n) {
      if (n == p.node) continue;
      const auto& seen = p.seen[static_cast<size_t>(n)];
      if (seen == Clock::time_point{}) everywhere = false;
      last = std::max(last, seen);
    }
    if (everywhere) flows_ms.push_back(msBetween(p.start, last));
  }
  if (ok < pods.size()) {
    row.note += (row.note.empty() ? "" : "; ") + std::to_string(pods.size() - ok) + " ADDs failed";
  }
  row.posted_s = msBetween(start, posted_at) / 1000;
  row.active_s = msBetween(start, active_at) / 1000;
  row.converged_s = msBetween(start, converged_at) / 1000;
  row.ports_per_s = static_cast<double>(ok) / row.converged_s;
  row.active_ms = percentiles(add_ms);
  row.flows_ms = percentiles(flows_ms);
  row.gs_messages = metric(metrics1, "alcor_controller_goalstate_messages_total") -
                    metric(metrics0, "alcor_controller_goalstate_messages_total");
  row.gs_bytes = metric(metrics1, "alcor_controller_goalstate_bytes_total") -
                 metric(metrics0, "alcor_controller_goalstate_bytes_total");
  row.controller_cpu_s = ctl.cpuSeconds();
  row.controller_rss_mb = ctl.maxRssMb();
  std::string per_node;
  for (int n = 0; n < o.nodes; ++n) {
    auto& a = agents[static_cast<size_t>(n)];
    row.agent_cpu_s = std::max(row.agent_cpu_s, a.cpuSeconds());
    row.agent_rss_mb = std::max(row.agent_rss_mb, a.maxRssMb());
    char buf[96];
    std::snprintf(buf, sizeof(buf), "%s%s cpu %.1f s rss %.0f MB", per_node.empty() ? "" : ", ",
                  cluster.node(n).name.c_str(), a.cpuSeconds(), a.maxRssMb());
    per_node += buf;
  }
  std::fprintf(stderr, "real: agents: %s\n", per_node.c_str());
  pods.clear();  // pod namespaces go before the cluster
  return row;
}

}  // namespace alcor::bench
