// bench_ovs_flows: how long one atomic bundle of N flows takes through our ConnectionImpl versus
// `ovs-ofctl --bundle add-flows` of the same flows from a file (goal: ratio <= 1.0).
// Run as root: build/bench/ovs_flows/bench_ovs_flows [sizes...]   (default 10000 100000)

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "lib/base/strings.h"
#include "lib/openflow/connection.h"
#include "tests/harness/netns.h"
#include "tests/harness/ovs_sandbox.h"

using namespace alcor;
using namespace alcor::openflow;
using Clock = std::chrono::steady_clock;

namespace {

// Security-group-like flows: distinct source addresses and ports, ct + resubmit.
std::vector<Flow> makeFlows(size_t n) {
  std::vector<Flow> flows;
  flows.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    Flow f;
    f.table = 5;
    f.priority = 100;
    f.cookie = 0x42;
    f.match = tcpMatch();
    f.match.ipv4_src =
        Masked<Ipv4Address>(Ipv4Address(0x0a000000u + static_cast<uint32_t>(i / 50)));
    f.match.tcp_dst = Masked<uint16_t>(static_cast<uint16_t>(1000 + i % 50));
    f.match.reg[6] = Masked<uint32_t>(static_cast<uint32_t>(i % 7));
    f.actions = {ct(true, 1), resubmit(6)};
    flows.push_back(std::move(f));
  }
  return flows;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

size_t flowCount(const testing::OvsSandbox& ovs) {
  auto r = ovs.ofctl({"dump-aggregate", "br0"});
  auto at = r.out.find("flow_count=");
  if (at == std::string::npos) return 0;
  return std::stoul(r.out.substr(at + 11));
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<size_t> sizes = {10000, 100000};
  if (argc > 1) {
    sizes.clear();
    for (int i = 1; i < argc; ++i) sizes.push_back(std::stoul(argv[i]));
  }
  auto ns = testing::Netns::create("bench");
  if (!ns.ok()) {
    fprintf(stderr, "netns: %s (run as root)\n", ns.status().toString().c_str());
    return 1;
  }
  auto ovs = testing::OvsSandbox::start((*ns)->name());
  if (!ovs.ok()) {
    fprintf(stderr, "ovs: %s\n", ovs.status().toString().c_str());
    return 1;
  }
  if (Status s = (*ovs)->addBridge("br0"); !s.ok()) {
    fprintf(stderr, "bridge: %s\n", s.toString().c_str());
    return 1;
  }
  auto conn = ConnectionImpl::connect((*ovs)->mgmtTarget("br0"));
  if (!conn.ok()) {
    fprintf(stderr, "connect: %s\n", conn.status().toString().c_str());
    return 1;
  }
  testing::TempDir tmp("bench-flows");

  printf("%-8s  %-12s  %-14s  %-7s\n", "flows", "ours (s)", "ovs-ofctl (s)", "ratio");
  printf("(best of 3 each; ovs-ofctl -O OpenFlow15 --bundle add-flows from a file)\n");
  int rc = 0;
  for (size_t n : sizes) {
    auto flows = makeFlows(n);
    std::vector<FlowMod> mods;
    mods.reserve(n);
    std::string file = tmp.path() + "/flows.txt";
    {
      std::ofstream out(file);
      for (const auto& f : flows) {
        out << formatFlow(f) << "\n";
        mods.push_back(FlowMod::add(f));
      }
    }
    // Best of three runs each, alternating, so a background blip does not decide the ratio.
    double ours = 1e9, theirs = 1e9;
    Status s;
    testing::CommandResult r;
    size_t ours_count = 0, theirs_count = 0;
    for (int round = 0; round < 3; ++round) {
      (*ovs)->ofctl({"del-flows", "br0"});
      auto t0 = Clock::now();
      s = (*conn)->bundle(mods);
      ours = std::min(ours, seconds(Clock::now() - t0));
      ours_count = flowCount(**ovs);

      (*ovs)->ofctl({"del-flows", "br0"});
      t0 = Clock::now();
      r = (*ovs)->ofctl({"--bundle", "add-flows", "br0", file});
      theirs = std::min(theirs, seconds(Clock::now() - t0));
      theirs_count = flowCount(**ovs);
      (*ovs)->ofctl({"del-flows", "br0"});
    }

    if (!s.ok() || !r.ok() || ours_count != n || theirs_count != n) {
      fprintf(stderr, "n=%zu: ours %s (%zu flows), ovs-ofctl %s (%zu flows)\n", n,
              s.toString().c_str(), ours_count, r.ok() ? "ok" : r.describe().c_str(), theirs_count);
      rc = 1;
    }
    printf("%-8zu  %-12.3f  %-14.3f  %-7.2f\n", n, ours, theirs, ours / theirs);
    fflush(stdout);
  }
  conn->reset();
  (void)(*ovs)->stop();
  return rc;
}
