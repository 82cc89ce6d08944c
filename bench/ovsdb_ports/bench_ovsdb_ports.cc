// How port creation scales with the way it reaches OVSDB. In a private namespace with its own OVS
// (userspace datapath), adds N internal ports three ways on three bridges:
//   batch   : one BridgeClient::addPorts transaction of N ports
//   single  : N addPorts transactions of one port
//   vsctl   : N `ovs-vsctl --no-wait add-port` processes
// and prints the database time of each, the time until vswitchd assigned every ofport, and
// ratios. Usage: bench_ovsdb_ports [N=100]   (root; no kernel module needed)

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/ovsdb/bridge_client.h"
#include "tests/harness/netns.h"
#include "tests/harness/ovs_sandbox.h"

namespace {

using Clock = std::chrono::steady_clock;
using alcor::ovsdb::BridgeClientImpl;
using alcor::ovsdb::PortSpec;

double msSince(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct PhaseResult {
  double db_ms = 0;      // until the last write was acknowledged by ovsdb-server
  double ofport_ms = 0;  // until every ofport was assigned (from the phase start)
};

std::vector<std::string> portNames(const std::string& prefix, int n) {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.push_back(prefix + std::to_string(i));
  return names;
}

bool check(const alcor::Status& s, const char* what) {
  if (s.ok()) return true;
  std::fprintf(stderr, "%s: %s\n", what, s.toString().c_str());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  int n = argc > 1 ? std::atoi(argv[1]) : 100;
  if (n <= 0 || n > 1000) {
    std::fprintf(stderr, "usage: %s [ports 1..1000]\n", argv[0]);
    return 2;
  }
  auto ns = alcor::testing::Netns::create("bench");
  if (!ns.ok()) return check(ns.status(), "netns"), 1;
  auto ovs = alcor::testing::OvsSandbox::start((*ns)->name());
  if (!ovs.ok()) return check(ovs.status(), "ovs"), 1;
  auto client = BridgeClientImpl::connect((*ovs)->dbTarget());
  if (!client.ok()) return check(client.status(), "connect"), 1;
  BridgeClientImpl& bc = **client;
  for (const char* br : {"br-batch", "br-single", "br-vsctl"}) {
    if (!check(bc.ensureBridge({.name = br, .datapath_type = "netdev"}), "ensureBridge")) return 1;
  }
  auto deadline = [] { return Clock::now() + std::chrono::seconds(120); };
  if (!check(bc.waitApplied(deadline()), "waitApplied")) return 1;

  auto waitOfports = [&](const std::vector<std::string>& names, Clock::time_point start,
                         PhaseResult* r) {
    auto ofports = bc.waitForOfports(names, deadline());
    r->ofport_ms = msSince(start);
    return check(ofports.ok() ? alcor::okStatus() : ofports.status(), "waitForOfports");
  };

  // 1. One transaction.
  PhaseResult batch;
  {
    auto names = portNames("b", n);
    std::vector<PortSpec> specs;
    for (const auto& name : names) specs.push_back({.name = name, .type = "internal"});
    auto start = Clock::now();
    if (!check(bc.addPorts("br-batch", specs), "addPorts batch")) return 1;
    batch.db_ms = msSince(start);
    if (!waitOfports(names, start, &batch)) return 1;
  }
  (void)bc.waitApplied(deadline());

  // 2. One transaction per port.
  PhaseResult single;
  {
    auto names = portNames("s", n);
    auto start = Clock::now();
    for (const auto& name : names) {
      if (!check(bc.addPorts("br-single", {{.name = name, .type = "internal"}}), "addPorts")) {
        return 1;
      }
    }
    single.db_ms = msSince(start);
    if (!waitOfports(names, start, &single)) return 1;
  }
  (void)bc.waitApplied(deadline());

  // 3. One ovs-vsctl process per port.
  PhaseResult vsctl;
  {
    auto names = portNames("v", n);
    auto start = Clock::now();
    for (const auto& name : names) {
      auto r = (*ovs)->vsctl({"--no-wait", "add-port", "br-vsctl", name, "--", "set", "Interface",
                              name, "type=internal"});
      if (!r.ok()) {
        std::fprintf(stderr, "ovs-vsctl: %s\n", r.describe().c_str());
        return 1;
      }
    }
    vsctl.db_ms = msSince(start);
    if (!waitOfports(names, start, &vsctl)) return 1;
  }

  std::printf("bench_ovsdb_ports: %d internal ports per method, netdev datapath\n", n);
  std::printf("%-34s %12s %18s\n", "method", "db ms", "all ofports ms");
  std::printf("%-34s %12.1f %18.1f\n", "1 transaction of N ports", batch.db_ms, batch.ofport_ms);
  std::printf("%-34s %12.1f %18.1f\n", "N transactions of 1 port", single.db_ms, single.ofport_ms);
  std::printf("%-34s %12.1f %18.1f\n", "N ovs-vsctl --no-wait add-port", vsctl.db_ms,
              vsctl.ofport_ms);
  std::printf("ratio db time:     single/batch %.1fx, vsctl/batch %.1fx, vsctl/single %.1fx\n",
              single.db_ms / batch.db_ms, vsctl.db_ms / batch.db_ms, vsctl.db_ms / single.db_ms);
  std::printf("ratio ofport time: single/batch %.1fx, vsctl/batch %.1fx\n",
              single.ofport_ms / batch.ofport_ms, vsctl.ofport_ms / batch.ofport_ms);
  std::printf("per port (db): batch %.3f ms, single %.3f ms, vsctl %.3f ms\n", batch.db_ms / n,
              single.db_ms / n, vsctl.db_ms / n);

  client->reset();
  (void)(*ovs)->stop();
  return 0;
}
