// bench_cni: CNI ADD and DEL latency, p50/p99, sequential and concurrent, through the full
// Alcor path (alcor-cni -> agent -> controller port + GoalState push -> OVS port and flows ->
// addressing in the pod), next to the reference `bridge` + `host-local` plugins on the same
// machine in the same run. Each plugin is invoked as a runtime would: a fresh process with the
// CNI environment and the config on stdin, so process start-up counts for both.
// Goals: ours/bridge <= 1.0 for ADD p50; ADD p50 of the last ten sequential pods <= 1.2x that of
// the first ten (an ADD must not cost more because the node already holds pods).
//
// Run as root: build/bench/cni/bench_cni [--count=100] [--concurrency=10]

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/strings.h"
#include "tests/harness/cluster.h"

using namespace alcor;
using namespace alcor::testing;
using Clock = std::chrono::steady_clock;

namespace {

// One CNI plugin under test (its name prefixes container ids, so CNI-safe characters only):
// invoke(command, container id, netns path, prevResult).
struct Plugin {
  std::string name;
  std::function<CommandResult(const std::string&, const std::string&, const std::string&,
                              const nlohmann::json&)>
      invoke;
};

struct Latencies {
  std::vector<double> add_ms, del_ms;
  int failures = 0;
  std::string first_error;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::max(1.0, std::ceil(p * static_cast<double>(v.size()))));
  return v[std::min(rank, v.size()) - 1];
}

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

// ADDs `count` pods (each in a fresh namespace, created untimed beforehand) with `workers`
// parallel callers, then DELs them the same way.
Latencies measure(const Plugin& plugin, const std::string& tag, int count, int workers) {
  Latencies out;
  std::vector<std::unique_ptr<Netns>> namespaces;
  for (int i = 0; i < count; ++i) {
    auto ns = Netns::create("bc");
    if (!ns.ok()) {
      std::fprintf(stderr, "netns: %s\n", ns.status().message().c_str());
      std::exit(1);
    }
    namespaces.push_back(std::move(*ns));
  }
  std::vector<nlohmann::json> results(static_cast<size_t>(count));
  std::vector<double> add(static_cast<size_t>(count)), del(static_cast<size_t>(count));
  std::mutex mu;
  auto fail = [&](const std::string& what, const CommandResult& r) {
    std::lock_guard<std::mutex> lock(mu);
    if (out.failures++ == 0) out.first_error = what + ": " + r.describe();
  };
  auto phase = [&](bool adding) {
    std::atomic<int> next{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < workers; ++w) {
      threads.emplace_back([&] {
        for (int i; (i = next++) < count;) {
          const auto idx = static_cast<size_t>(i);
          const std::string cid = plugin.name + "-" + tag + "-" + std::to_string(i);
          auto started = Clock::now();
          auto r = plugin.invoke(adding ? "ADD" : "DEL", cid, namespaces[idx]->path(),
                                 adding ? nlohmann::json() : results[idx]);
          (adding ? add : del)[idx] = msSince(started);
          if (!r.ok()) {
            fail(std::string(adding ? "ADD " : "DEL ") + cid, r);
          } else if (adding) {
            results[idx] = nlohmann::json::parse(r.out, nullptr, false);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  };
  phase(true);
  phase(false);
  out.add_ms = std::move(add);
  out.del_ms = std::move(del);
  return out;
}

void printRow(const std::string& plugin, const std::string& mode, const Latencies& l) {
  std::printf("%-20s %-14s %5zu %9.1f %9.1f %9.1f %9.1f %6d\n", plugin.c_str(), mode.c_str(),
              l.add_ms.size(), percentile(l.add_ms, 0.5), percentile(l.add_ms, 0.99),
              percentile(l.del_ms, 0.5), percentile(l.del_ms, 0.99), l.failures);
  if (l.failures) std::printf("    first failure: %s\n", l.first_error.c_str());
}

int flagValue(int argc, char** argv, const std::string& name, int fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (startsWith(a, "--" + name + "=")) {
      return parseInt<int>(a.substr(name.size() + 3)).value_or(fallback);
    }
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int count = flagValue(argc, argv, "count", 100);
  const int concurrency = flagValue(argc, argv, "concurrency", 10);

  // Alcor: controller + one node (OVS netdev + agent) in namespaces, as in the e2e tests.
  // The agent is started here rather than by Cluster::start so that its log can be shown when
  // it does not come up (the cluster's temp dir goes away with the cluster).
  auto cluster = Cluster::start({.nodes = 1, .start_agents = false});
  if (!cluster.ok()) {
    std::fprintf(stderr, "cluster: %s\n", cluster.status().message().c_str());
    return 1;
  }
  Status agent = (*cluster)->startAgent(0);
  if (agent.ok()) agent = (*cluster)->waitAgentReady(0);
  if (!agent.ok()) {
    std::fprintf(stderr, "agent: %s\n%s\n", agent.message().c_str(),
                 run({"tail", "-n", "20", (*cluster)->node(0).agentLog()}).out.c_str());
    return 1;
  }
  auto net = (*cluster)->createVpcAndSubnet("10.0.0.0/16", "10.0.4.0/22");
  if (!net.ok()) {
    std::fprintf(stderr, "network: %s\n", net.status().message().c_str());
    return 1;
  }
  const nlohmann::json alcor_config = (*cluster)->cniConfig(0, net->first, net->second);
  Plugin alcor{"alcor", [&](const std::string& cmd, const std::string& cid,
                            const std::string& netns, const nlohmann::json& prev) {
                 nlohmann::json config = alcor_config;
                 if (!prev.is_null()) config["prevResult"] = prev;
                 return (*cluster)->cni(0, cmd, config, cid, netns, "eth0",
                                        "IgnoreUnknown=1;K8S_POD_NAMESPACE=bench;K8S_POD_NAME=" +
                                            cid + ";K8S_POD_UID=uid-" + cid);
               }};

  // Reference: bridge + host-local, the bridge inside a private namespace (not the host's).
  auto bridge_host = Netns::create("bbr");
  if (!bridge_host.ok()) {
    std::fprintf(stderr, "netns: %s\n", bridge_host.status().message().c_str());
    return 1;
  }
  TempDir ipam_dir("alcor-bench-ipam");
  const nlohmann::json bridge_config = {{"cniVersion", "1.0.0"},
                                        {"name", "benchbr"},
                                        {"type", "bridge"},
                                        {"bridge", "benchbr0"},
                                        {"isGateway", true},
                                        {"ipMasq", false},
                                        {"ipam",
                                         {{"type", "host-local"},
                                          {"dataDir", ipam_dir.path()},
                                          {"ranges", {{{{"subnet", "10.77.0.0/22"}}}}}}}};
  Plugin bridge{"bridge", [&](const std::string& cmd, const std::string& cid,
                              const std::string& netns, const nlohmann::json& prev) {
                  nlohmann::json config = bridge_config;
                  if (!prev.is_null()) config["prevResult"] = prev;
                  RunOptions o;
                  o.netns = (*bridge_host)->name();
                  o.env = {{"CNI_COMMAND", cmd}, {"CNI_CONTAINERID", cid},
                           {"CNI_NETNS", netns}, {"CNI_IFNAME", "eth0"},
                           {"CNI_ARGS", ""},     {"CNI_PATH", "/usr/lib/cni"}};
                  o.stdin_data = config.dump();
                  return run({"/usr/lib/cni/bridge"}, o);
                }};

  // Warm-up (first ADD of a VPC on a node programs its shared flows; page cache), not counted.
  for (const Plugin* p : {&alcor, &bridge}) (void)measure(*p, "warm", 2, 1);

  std::printf("CNI ADD/DEL latency in ms, %d pods per row, each plugin run as a fresh process\n",
              count);
  std::printf("%-20s %-14s %5s %9s %9s %9s %9s %6s\n", "plugin", "mode", "n", "ADD p50", "ADD p99",
              "DEL p50", "DEL p99", "fails");
  const std::string conc = "concurrent" + std::to_string(concurrency);
  Latencies ours_seq = measure(alcor, "seq", count, 1);
  Latencies ref_seq = measure(bridge, "seq", count, 1);
  Latencies ours_conc = measure(alcor, "conc", count, concurrency);
  Latencies ref_conc = measure(bridge, "conc", count, concurrency);
  printRow(alcor.name, "sequential", ours_seq);
  printRow(bridge.name, "sequential", ref_seq);
  printRow(alcor.name, conc, ours_conc);
  printRow(bridge.name, conc, ref_conc);

  auto ratio = [](const std::vector<double>& a, const std::vector<double>& b, double p) {
    double denom = percentile(b, p);
    return denom > 0 ? percentile(a, p) / denom : 0.0;
  };
  std::printf("\nratio ours/bridge   ADD p50: sequential %.2f, %s %.2f   (goal <= 1.0)\n",
              ratio(ours_seq.add_ms, ref_seq.add_ms, 0.5), conc.c_str(),
              ratio(ours_conc.add_ms, ref_conc.add_ms, 0.5));
  std::printf("ratio ours/bridge   DEL p50: sequential %.2f, %s %.2f\n",
              ratio(ours_seq.del_ms, ref_seq.del_ms, 0.5), conc.c_str(),
              ratio(ours_conc.del_ms, ref_conc.del_ms, 0.5));
  // Whether an ADD costs more with more pods on the node: the first and the last ten sequential
  // ADDs of each plugin (pods 91-100 find 90 others already there).
  if (count >= 20) {
    auto slice = [](const std::vector<double>& v, size_t from, size_t n) {
      return std::vector<double>(v.begin() + static_cast<long>(from),
                                 v.begin() + static_cast<long>(from + n));
    };
    const auto n = static_cast<size_t>(count);
    double growth[2] = {0, 0};
    int i = 0;
    for (const auto* row : {&ours_seq, &ref_seq}) {
      const double first = percentile(slice(row->add_ms, 0, 10), 0.5);
      const double last = percentile(slice(row->add_ms, n - 10, 10), 0.5);
      std::printf("%-8s ADD p50 pods 1-10: %.1f ms, pods %zu-%zu: %.1f ms\n",
                  i == 0 ? "alcor" : "bridge", first, n - 9, n, last);
      growth[i++] = first > 0 ? last / first : 0.0;
    }
    std::printf(
        "growth ADD p50 pods %zu-%zu / pods 1-10: %.2f   (bridge + host-local: %.2f; "
        "goal <= 1.2)\n",
        n - 9, n, growth[0], growth[1]);
  }
  // The agent log (debug level, timestamped) is where the ADD breakdown comes from.
  const std::string kept_log = "/tmp/bench_cni_agent.log";
  std::filesystem::copy_file((*cluster)->node(0).agentLog(), kept_log,
                             std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file((*cluster)->controllerLog(), "/tmp/bench_cni_controller.log",
                             std::filesystem::copy_options::overwrite_existing);
  std::printf("agent log kept in %s, controller log in /tmp/bench_cni_controller.log\n",
              kept_log.c_str());
  const bool failed =
      ours_seq.failures + ref_seq.failures + ours_conc.failures + ref_conc.failures > 0;
  return failed ? 1 : 0;
}
