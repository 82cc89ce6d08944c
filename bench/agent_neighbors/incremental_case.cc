#include "bench/agent_neighbors/incremental_case.h"

#include "bench/agent_neighbors/goal_states.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <vector>

#include "lib/base/logging.h"
#include "lib/openflow/connection.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/goalstate/goalstate_handler.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::bench {
namespace {

using Clock = std::chrono::steady_clock;
using agent::pipeline::CookieCategory;
using agent::pipeline::makeCookie;

constexpr uint32_t kNeighborIps = 0x0a020000u;  // 10.2.0.0 on; pods have 10.1.0.0 on

// Pod i: port "p<i>" with its DHCP entry; plugged at ofport i + 1.
void addPod(schema::GoalStateV2& gs, size_t i) {
  addPort(gs, "p" + std::to_string(i), 0x100000 + i, 0x0a010000u + static_cast<uint32_t>(i), true);
}

schema::GoalStateV2 message() {
  schema::GoalStateV2 gs;
  gs.set_format_version(2);
  addContext(gs, true);  // the controller sends the context with every message
  return gs;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::max(1.0, std::ceil(p * static_cast<double>(v.size()))));
  return v[std::min(rank, v.size()) - 1];
}

struct Samples {
  std::vector<double> ms;
  std::vector<double> mods;
  std::vector<double> own;  // flows the new object owns, on the switch afterwards
};

void printRow(const char* what, const Samples& s) {
  std::printf("%-16s %7.2f %7.2f %9.0f %9.0f %9.0f %9.0f\n", what, percentile(s.ms, 0.5),
              percentile(s.ms, 0.99), percentile(s.mods, 0.5), percentile(s.mods, 0.99),
              percentile(s.own, 0.5), percentile(s.own, 0.99));
}

}  // namespace

bool runIncrementalCase(testing::OvsSandbox& ovs, const IncrementalCaseOptions& o) {
  log::setLevel(log::Level::kWarn);  // one line per GoalState would bury the table
  ovs.ofctl({"del-flows", "br-int"});
  auto conn = openflow::ConnectionImpl::connect(ovs.mgmtTarget("br-int"));
  if (!conn.ok()) {
    std::fprintf(stderr, "connect: %s\n", conn.status().toString().c_str());
    return false;
  }
  agent::DataplaneOptions options;
  options.pipeline.tunnel_ofport = o.tunnel_ofport;
  agent::DataplaneImpl dataplane(**conn, options);
  if (!dataplane.start().ok()) return false;
  dataplane.finishRestore();
  agent::GoalStateHandler handler(dataplane, {"192.168.0.10", std::chrono::milliseconds(0)});
  auto plug = [&](size_t i) {
    return dataplane.update([&](agent::NetworkState& s, agent::ChangeSet& c) {
      const std::string id = "p" + std::to_string(i);
      s.interfaces[id] = agent::LocalInterface{id, "tap" + id, static_cast<uint32_t>(i + 1)};
      c.interfaces.insert(id);
    });
  };
  auto cookieFlows = [&](uint64_t cookie) {
    auto flows = (*conn)->dumpFlows(openflow::kTableAll, cookie, ~uint64_t{0});
    return flows.ok() ? static_cast<double>(flows->size()) : -1.0;
  };
  auto failed = [](const schema::GoalStateOperationReply& reply) {
    for (const auto& st : reply.operation_statuses()) {
      if (st.operation_status() != schema::SUCCESS) return true;
    }
    return false;
  };

  // The node as it stands: its pods plugged, their GoalState and 10,000 neighbors in one go.
  auto t0 = Clock::now();
  for (size_t i = 0; i < o.pods; ++i) (void)plug(i);
  schema::GoalStateV2 initial = message();
  for (size_t i = 0; i < o.pods; ++i) addPod(initial, i);
  for (size_t i = 0; i < o.neighbors; ++i) addNeighbor(initial, i, kNeighborIps);
  const bool initial_ok = !failed(handler.handle(initial));
  const double initial_s = std::chrono::duration<double>(Clock::now() - t0).count();
  initial.Clear();

  Samples neighbor, pod;
  bool ok = initial_ok;
  for (size_t r = 0; r < o.rounds && ok; ++r) {
    // One neighbor appears on another host.
    schema::GoalStateV2 gs = message();
    const size_t n = o.neighbors + r;
    addNeighbor(gs, n, kNeighborIps);
    uint64_t mods = dataplane.stats().flow_mods;
    t0 = Clock::now();
    ok = !failed(handler.handle(gs));
    neighbor.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    neighbor.mods.push_back(static_cast<double>(dataplane.stats().flow_mods - mods));
    neighbor.own.push_back(
        cookieFlows(makeCookie(CookieCategory::kNeighbor, "L2/n" + std::to_string(n))));

    // One pod is added, as a CNI ADD does it: the interface is plugged, the GoalState arrives.
    const size_t p = o.pods + r;
    gs = message();
    addPod(gs, p);
    mods = dataplane.stats().flow_mods;
    t0 = Clock::now();
    ok = ok && plug(p).ok() && !failed(handler.handle(gs));
    pod.ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    pod.mods.push_back(static_cast<double>(dataplane.stats().flow_mods - mods));
    const std::string id = "p" + std::to_string(p);
    pod.own.push_back(cookieFlows(makeCookie(CookieCategory::kPort, id)) +
                      cookieFlows(makeCookie(CookieCategory::kDhcp, id)));
  }

  std::printf(
      "\n%zu pods + %zu neighbors on the node (initial programming %.3f s%s), then %zu times:\n"
      "one neighbor added (one GoalState), one pod added (interface plugged + its GoalState).\n"
      "ms = change received -> its flows programmed (bundle committed); mods = flow mods sent;\n"
      "own = flows the new object owns on the switch afterwards.\n\n",
      o.pods, o.neighbors, initial_s, initial_ok ? "" : ", FAILED", o.rounds);
  std::printf("%-16s %7s %7s %9s %9s %9s %9s\n", "change", "ms p50", "ms p99", "mods p50",
              "mods p99", "own p50", "own p99");
  printRow("neighbor added", neighbor);
  printRow("pod added", pod);
  std::printf(
      "\nGoals: neighbor added <= 5 ms with mods = own flows. A pod also rewrites its segment's\n"
      "flood flow (one more mod: it lists the segment's ports).\n");
  if (!ok) std::printf("FAILED: a change was not programmed\n");
  return ok;
}

}  // namespace alcor::bench
