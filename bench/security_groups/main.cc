// bench_security_groups: issue 7's scale case. 100 local ports, 10 groups × 100 rules (TCP ports
// and ranges, UDP ranges, ICMP, any, remote prefixes, and rules naming one of 5 remote groups of
// 50 members each); every port is in 2 groups. Programmed through DataplaneImpl + ConnectionImpl
// onto a private OVS (netdev) in its own netns. Prints the full programming time, the flow count
// next to the naive product (one flow per port × rule × port-range block × member), the compute
// part alone (buildFlows), and the delta of adding then removing one rule.
// Goal: full <= 1 s, delta <= 50 ms, flows additive.
// Run as root: bench_security_groups [ports] [rules]

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "lib/openflow/connection.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/pipeline/flow_builder.h"
#include "node-agent/pipeline/security_group_flows.h"
#include "tests/harness/netns.h"
#include "tests/harness/ovs_sandbox.h"

using namespace alcor;
using namespace alcor::agent;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kGroups = 10;
constexpr int kRemoteGroups = 5;
constexpr int kMembers = 50;

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

SecurityGroupRule makeRule(int g, int i) {
  SecurityGroupRule r;
  r.id = "g" + std::to_string(g) + "-r" + std::to_string(i);
  r.direction = i % 3 == 0 ? Direction::kEgress : Direction::kIngress;
  const auto port = static_cast<uint16_t>(1000 + (g * 100 + i) * 7);
  switch (i % 8) {
    case 0:
    case 1:
    case 2:
      r.protocol = IpProtocol::kTcp, r.port_min = r.port_max = port;
      break;
    case 3:
      r.protocol = IpProtocol::kTcp, r.port_min = port, r.port_max = port + 99;
      break;
    case 4:
      r.protocol = IpProtocol::kUdp, r.port_min = port, r.port_max = port + 30;
      break;
    case 5:
      r.protocol = IpProtocol::kIcmp;
      r.remote_prefix = *Ipv4Prefix::parse("172.16." + std::to_string(i) + ".0/24");
      break;
    default:  // 6, 7: remote groups
      r.protocol = i % 16 == 6 ? IpProtocol::kAny : IpProtocol::kTcp;
      if (r.protocol == IpProtocol::kTcp) r.port_min = r.port_max = port;
      r.remote_group_id = "remote" + std::to_string((g + i) % kRemoteGroups);
      break;
  }
  return r;
}

void fill(NetworkState& s, int ports, int rules) {
  s.vpcs["vpc"] = Vpc{"vpc", "proj", "vpc", 1001};
  Subnet sub;
  sub.id = "sub";
  sub.vpc_id = "vpc";
  sub.cidr = *Ipv4Prefix::parse("10.0.0.0/16");
  sub.vni = 1001;
  sub.gateway_ip = *Ipv4Address::parse("10.0.0.1");
  sub.gateway_mac = MacAddress::fromUint64(0xaabbcc000001ULL);
  s.subnets["sub"] = sub;
  for (int g = 0; g < kGroups; ++g) {
    SecurityGroup sg;
    sg.id = "g" + std::to_string(g);
    for (int i = 0; i < rules / kGroups; ++i) sg.rules.push_back(makeRule(g, i));
    s.security_groups[sg.id] = sg;
  }
  for (int r = 0; r < kRemoteGroups; ++r) {
    SecurityGroup sg;
    sg.id = "remote" + std::to_string(r);
    for (int m = 0; m < kMembers; ++m) {
      sg.member_ips.emplace_back(Ipv4Address(0x0a010000u + r * 256 + m + 1), 32);
    }
    s.security_groups[sg.id] = sg;
  }
  for (int p = 0; p < ports; ++p) {
    Port port;
    port.id = "p" + std::to_string(p);
    port.vpc_id = "vpc";
    port.mac = MacAddress::fromUint64(0xfa163e000000ULL + p + 1);
    port.fixed_ips = {PortIp{"sub", Ipv4Address(0x0a000100u + p + 10)}};
    port.host_ip = *Ipv4Address::parse("192.168.0.10");
    port.security_group_ids = {"g" + std::to_string(p % kGroups),
                               "g" + std::to_string((p + 3) % kGroups)};
    s.ports[port.id] = port;
    s.interfaces[port.id] = LocalInterface{port.id, "tap" + port.id, static_cast<uint32_t>(p + 1)};
  }
}

// One flow per (port, rule, port-range block, member): what per-port rule expansion installs.
size_t naiveProduct(const NetworkState& s) {
  size_t n = 0;
  for (const auto& [id, port] : s.ports) {
    for (const auto& gid : port.security_group_ids) {
      for (const auto& r : s.security_groups.at(gid).rules) {
        size_t blocks = 1;
        if ((r.protocol == IpProtocol::kTcp || r.protocol == IpProtocol::kUdp) && r.port_max) {
          blocks = pipeline::portRangeMasks(r.port_min, r.port_max).size();
        }
        size_t members = r.remote_group_id.empty()
                             ? 1
                             : s.security_groups.at(r.remote_group_id).member_ips.size();
        n += blocks * members;
      }
    }
  }
  return n;
}

size_t flowCount(const testing::OvsSandbox& ovs) {
  auto r = ovs.ofctl({"dump-aggregate", "br-int"});
  auto at = r.out.find("flow_count=");
  return at == std::string::npos ? 0 : std::stoul(r.out.substr(at + 11));
}

}  // namespace

int main(int argc, char** argv) {
  const int ports = argc > 1 ? std::stoi(argv[1]) : 100;
  const int rules = argc > 2 ? std::stoi(argv[2]) : 1000;
  auto ns = testing::Netns::create("benchsg");
  if (!ns.ok()) {
    fprintf(stderr, "netns: %s (run as root)\n", ns.status().toString().c_str());
    return 1;
  }
  auto ovs = testing::OvsSandbox::start((*ns)->name());
  if (!ovs.ok() || !(*ovs)->addBridge("br-int").ok()) {
    fprintf(stderr, "ovs failed to start\n");
    return 1;
  }
  auto conn = openflow::ConnectionImpl::connect((*ovs)->mgmtTarget("br-int"));
  if (!conn.ok()) {
    fprintf(stderr, "connect: %s\n", conn.status().toString().c_str());
    return 1;
  }
  DataplaneImpl dataplane(**conn, DataplaneOptions{});
  if (!dataplane.start().ok()) return 1;
  dataplane.finishRestore();

  NetworkState target;
  fill(target, ports, rules);
  const size_t base_flows = flowCount(**ovs);

  // Compute part alone.
  pipeline::SegmentAllocator segments;
  (void)segments.sync(target.localVnis());
  auto t0 = Clock::now();
  auto desired = pipeline::buildFlows(target, segments, {});
  const double compute_ms = ms(Clock::now() - t0);
  // Warm: the whole pipeline again (a resync pays this; a delta recomputes only its owners).
  std::vector<double> warm;
  for (int i = 0; i < 5; ++i) {
    t0 = Clock::now();
    auto again = pipeline::buildFlows(target, segments, {});
    warm.push_back(ms(Clock::now() - t0));
  }
  std::sort(warm.begin(), warm.end());

  t0 = Clock::now();
  Status s = dataplane.update([&](NetworkState& st, ChangeSet& c) {
    st = target;
    c.whole_state = true;
  });
  const double full_ms = ms(Clock::now() - t0);
  const size_t installed = flowCount(**ovs);
  if (!s.ok() || installed != dataplane.stats().installed_flows) {
    fprintf(stderr, "full programming failed: %s (switch %zu, agent %zu)\n", s.toString().c_str(),
            installed, dataplane.stats().installed_flows);
    return 1;
  }
  size_t sg_flows = 0;
  for (const auto& f : desired.flows) {
    if (f.table == 30 || f.table == 31 || f.table == 60 || f.table == 61) ++sg_flows;
  }

  // Delta: one rule with a remote group and a port range, added then removed.
  SecurityGroupRule extra = makeRule(0, 7);
  extra.id = "extra";
  extra.port_min = 40000, extra.port_max = 40099;
  // Repeated: the first delta after a full programming also pays for OVS still revalidating.
  constexpr int kRounds = 7;
  std::vector<double> add_ms, remove_ms;
  uint64_t add_mods = 0, remove_mods = 0;
  for (int round = 0; round < kRounds && s.ok(); ++round) {
    uint64_t mods = dataplane.stats().flow_mods;
    t0 = Clock::now();
    s = dataplane.update([&](NetworkState& st, ChangeSet& c) {
      st.security_groups["g0"].rules.push_back(extra);
      c.security_groups.insert("g0");
    });
    add_ms.push_back(ms(Clock::now() - t0));
    add_mods = dataplane.stats().flow_mods - mods;
    mods = dataplane.stats().flow_mods;
    t0 = Clock::now();
    if (s.ok()) {
      s = dataplane.update([&](NetworkState& st, ChangeSet& c) {
        st.security_groups["g0"].rules.pop_back();
        c.security_groups.insert("g0");
      });
    }
    remove_ms.push_back(ms(Clock::now() - t0));
    remove_mods = dataplane.stats().flow_mods - mods;
  }
  const bool ok = s.ok() && flowCount(**ovs) == installed;
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };

  printf("security groups: %d ports x %d rules (%d groups, %d remote groups x %d members)\n", ports,
         rules, kGroups, kRemoteGroups, kMembers);
  printf("  full programming:  %8.1f ms  (compute %.1f ms cold, %.1f ms warm)   goal <= 1000 ms\n",
         full_ms, compute_ms, warm[warm.size() / 2]);
  printf("  flows on switch:   %8zu  (security group tables: %zu, pipeline before: %zu)\n",
         installed, sg_flows, base_flows);
  printf("  naive product:     %8zu  (port x rule x range block x member); ratio %.1fx\n",
         naiveProduct(target), static_cast<double>(naiveProduct(target)) / sg_flows);
  printf(
      "  add one rule:      %8.1f ms  median of %d (first %.1f, max %.1f; %llu flow mods)"
      "   goal <= 50 ms\n",
      median(add_ms), kRounds, add_ms.front(), *std::max_element(add_ms.begin(), add_ms.end()),
      static_cast<unsigned long long>(add_mods));
  printf("  remove it:         %8.1f ms  median of %d (first %.1f, max %.1f; %llu flow mods)\n",
         median(remove_ms), kRounds, remove_ms.front(),
         *std::max_element(remove_ms.begin(), remove_ms.end()),
         static_cast<unsigned long long>(remove_mods));
  printf("  %s\n", ok ? "OK" : "FAILED");
  return ok ? 0 : 1;
}
