// Property: the incremental data plane installs exactly what a full recompute computes. Random
// sequences of GoalStates (through the real GoalStateHandler: VPCs, subnets, ports, neighbors,
// DHCP entries, routers, Zeta gateways, security groups; created, updated, deleted), interface
// plugs and unplugs (as the CNI server makes them) and resyncs are applied to a DataplaneImpl on
// the in-memory switch. After every step the switch's flows must equal buildFlows() over the
// same state and segments, flow for flow (cookies, actions and all), and so must its groups and
// the ports reported programmed. The small id, address and MAC pools make objects collide on
// purpose (a neighbor with a local port's address, two VPCs with one VNI, ...).

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <sstream>

#include <unistd.h>

#include "lib/base/logging.h"
#include "lib/openflow/fake_connection.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/goalstate/goalstate_handler.h"
#include "node-agent/pipeline/flow_builder.h"

namespace alcor::agent {
namespace {

constexpr uint32_t kTunnel = 100;
const std::vector<std::string> kVpcs = {"vpc-a", "vpc-b"};
const std::vector<std::string> kSubnets = {"sub-a1", "sub-a2", "sub-b1"};
const std::vector<std::string> kPorts = {"p0", "p1", "p2", "p3", "p4", "p5"};
const std::vector<std::string> kGroups = {"sg-1", "sg-2"};
// Host gateway ports (host access): gw-<VPC>, plugged as host gateways, never as pods.
const std::vector<std::string> kGatewayPorts = {"gw-vpc-a", "gw-vpc-b"};

class Generator {
 public:
  explicit Generator(uint32_t seed) : rng_(seed) {}

  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  bool chance(int percent) { return pick(100) < percent; }
  template <typename T>
  const T& any(const std::vector<T>& v) {
    return v[static_cast<size_t>(pick(static_cast<int>(v.size())))];
  }

  // Addresses from small pools: the same address or MAC turns up on several objects.
  std::string ip(const std::string& subnet) {
    const std::string net = subnet == "sub-a2" ? "10.1.1." : "10.1.0.";
    return net + std::to_string(4 + pick(6));
  }
  std::string mac() { return "fa:16:3e:00:00:0" + std::to_string(pick(8)); }
  schema::OperationType upsert() { return chance(50) ? schema::CREATE : schema::UPDATE; }

  void vpc(schema::GoalStateV2& gs) {
    const std::string id = any(kVpcs);
    auto& st = (*gs.mutable_vpc_states())[id];
    if (chance(15)) return del(st, id);
    st.set_operation_type(upsert());
    auto* c = st.mutable_configuration();
    c->set_id(id);
    c->set_cidr("10.1.0.0/16");
    // Mostly each VPC its VNI; sometimes both share one, or one moves.
    c->set_tunnel_id(chance(80) ? (id == "vpc-a" ? 1001 : 2002)
                                : any(std::vector<int>{1001, 3003}));
    if (chance(40)) c->add_gateway_ids("zeta-1");
  }

  void subnet(schema::GoalStateV2& gs) {
    const std::string id = any(kSubnets);
    auto& st = (*gs.mutable_subnet_states())[id];
    if (chance(10)) return del(st, id);
    st.set_operation_type(upsert());
    auto* c = st.mutable_configuration();
    c->set_id(id);
    c->set_vpc_id(id == "sub-b1" ? "vpc-b" : "vpc-a");
    c->set_cidr(id == "sub-a2" ? "10.1.1.0/24" : "10.1.0.0/24");
    c->set_tunnel_id(chance(70) ? 0 : any(std::vector<int>{1001, 1101, 2002}));
    c->set_dhcp_enable(chance(70));
    const std::string gw = id == "sub-a2" ? "10.1.1.1" : "10.1.0.1";
    if (chance(90)) c->mutable_gateway()->set_ip_address(chance(90) ? gw : ip(id));
    if (chance(90)) c->mutable_gateway()->set_mac_address(chance(70) ? "aa:bb:cc:00:00:01" : mac());
  }

  void port(schema::GoalStateV2& gs) {
    const std::string id = chance(80) ? any(kPorts) : any(kGatewayPorts);
    auto& st = (*gs.mutable_port_states())[id];
    if (chance(15)) return del(st, id);
    st.set_operation_type(upsert());
    auto* c = st.mutable_configuration();
    c->set_id(id);
    c->set_mac_address(mac());
    c->set_admin_state_up(true);
    c->set_device_id("pod-" + id);
    const std::string subnet = any(kSubnets);
    auto* fip = c->add_fixed_ips();
    fip->set_subnet_id(subnet);
    fip->set_ip_address(ip(subnet));
    if (chance(20)) {
      auto* second = c->add_fixed_ips();
      second->set_subnet_id(subnet);
      second->set_ip_address(ip(subnet));
    }
    if (chance(25)) {
      auto* pair = c->add_allow_address_pairs();
      pair->set_ip_address(chance(50) ? ip(subnet) : "10.1.0.64/28");
      if (chance(50)) pair->set_mac_address(mac());
    }
    for (const auto& g : kGroups) {
      if (chance(45)) c->add_security_group_ids()->set_id(g);
    }
    if (chance(15)) c->set_port_security_enabled(false);
  }

  void neighbor(schema::GoalStateV2& gs) {
    const std::string id = "n" + std::to_string(pick(6));
    const bool l3 = chance(30);
    const std::string key = (l3 ? "L3/" : "L2/") + id;
    auto& st = (*gs.mutable_neighbor_states())[key];
    if (chance(15)) return del(st, id);
    st.set_operation_type(upsert());
    auto* c = st.mutable_configuration();
    c->set_id(id);
    c->set_mac_address(mac());
    c->set_host_ip_address("192.168.0." + std::to_string(20 + pick(3)));
    const std::string subnet = any(kSubnets);
    auto* f = c->add_fixed_ips();
    f->set_neighbor_type(l3 ? schema::L3 : schema::L2);
    f->set_subnet_id(subnet);
    f->set_ip_address(ip(subnet));
  }

  void dhcp(schema::GoalStateV2& gs) {
    const std::string id = "d" + std::to_string(pick(5));
    auto& st = (*gs.mutable_dhcp_states())[id];
    if (chance(20)) return del(st, id);
    st.set_operation_type(upsert());
    auto* c = st.mutable_configuration();
    c->set_id(id);
    const std::string subnet = any(kSubnets);
    c->set_subnet_id(subnet);
    c->set_mac_address(mac());
    c->set_ipv4_address(ip(subnet));
  }

  void router(schema::GoalStateV2& gs) {
    const std::string id = chance(70) ? "r1" : "r2";
    auto& st = (*gs.mutable_router_states())[id];
    if (chance(20)) return del(st, id);
    st.set_operation_type(upsert());
    auto* c = st.mutable_configuration();
    c->set_id(id);
    if (chance(80)) c->set_host_dvr_mac_address(chance(50) ? "fe:16:11:00:00:01" : mac());
    for (const auto& s : kSubnets) {
      if (chance(50)) c->add_subnet_routing_tables()->set_subnet_id(s);
    }
  }

  void gateway(schema::GoalStateV2& gs) {
    auto& st = (*gs.mutable_gateway_states())["zeta-1"];
    if (chance(20)) return del(st, "zeta-1");
    st.set_operation_type(upsert());
    auto* c = st.mutable_configuration();
    c->set_id("zeta-1");
    c->set_gateway_type(schema::ZETA);
    c->mutable_zeta_info()->set_port_inband_operation(8300);
    for (int i = pick(3); i > 0; --i) {
      auto* d = c->add_destinations();
      d->set_ip_address("192.168.0." + std::to_string(200 + pick(3)));
      d->set_mac_address("02:5a:00:00:00:0" + std::to_string(1 + pick(3)));
    }
  }

  void securityGroup(schema::GoalStateV2& gs) {
    const std::string id = any(kGroups);
    auto& st = (*gs.mutable_security_group_states())[id];
    if (chance(15)) return del(st, id);
    st.set_operation_type(upsert());
    auto* c = st.mutable_configuration();
    c->set_id(id);
    c->set_vpc_id("vpc-a");
    for (int i = pick(4); i > 0; --i) {
      auto* r = c->add_security_group_rules();
      r->set_id("r" + std::to_string(pick(4)));
      r->set_direction(chance(50) ? schema::SecurityGroupConfiguration::INGRESS
                                  : schema::SecurityGroupConfiguration::EGRESS);
      r->set_protocol(
          any(std::vector<schema::Protocol>{schema::TCP, schema::UDP, schema::ICMP, schema::HTTP}));
      if (chance(50)) {
        const uint32_t lo = 80 + static_cast<uint32_t>(pick(3));
        r->set_port_range_min(lo);
        r->set_port_range_max(lo + static_cast<uint32_t>(pick(20)));
      }
      if (chance(40)) {
        r->set_remote_group_id(any(kGroups));
      } else if (chance(50)) {
        r->set_remote_ip_prefix(chance(50) ? "10.1.0.5/32" : "10.2.0.0/16");
      }
    }
    for (int i = pick(3); i > 0; --i) c->add_member_ip_addresses(ip("sub-a1"));
  }

  // One GoalStateV2 of one to three items.
  schema::GoalStateV2 goalState() {
    schema::GoalStateV2 gs;
    gs.set_format_version(2);
    for (int i = 1 + pick(3); i > 0; --i) {
      switch (pick(9)) {
        case 0:
          vpc(gs);
          break;
        case 1:
          subnet(gs);
          break;
        case 2:
        case 3:
          port(gs);
          break;
        case 4:
          neighbor(gs);
          break;
        case 5:
          dhcp(gs);
          break;
        case 6:
          router(gs);
          break;
        case 7:
          gateway(gs);
          break;
        default:
          securityGroup(gs);
          break;
      }
    }
    return gs;
  }

 private:
  template <typename State>
  void del(State& st, const std::string& id) {
    st.set_operation_type(schema::DELETE);
    st.mutable_configuration()->set_id(id);
  }

  std::mt19937 rng_;
};

std::string text(const std::vector<openflow::Flow>& flows) {
  std::ostringstream out;
  for (const auto& f : flows) out << "  " << openflow::formatFlow(f) << "\n";
  return out.str();
}

// Flows in a canonical order (the fake switch keeps table and priority order only).
std::vector<openflow::Flow> sorted(std::vector<openflow::Flow> flows) {
  std::sort(flows.begin(), flows.end(), [](const openflow::Flow& a, const openflow::Flow& b) {
    return std::tie(a.table, a.priority) < std::tie(b.table, b.priority) ||
           (std::tie(a.table, a.priority) == std::tie(b.table, b.priority) &&
            openflow::formatFlow(a) < openflow::formatFlow(b));
  });
  return flows;
}

std::vector<openflow::GroupMod> sortedGroups(std::vector<openflow::GroupMod> groups) {
  for (auto& g : groups) g.command = openflow::GroupMod::kAdd;
  std::sort(groups.begin(), groups.end(),
            [](const auto& a, const auto& b) { return a.group_id < b.group_id; });
  return groups;
}

class IncrementalPropertyTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  IncrementalPropertyTest()
      : segments_file(::testing::TempDir() + "/segments-prop-" + std::to_string(getpid()) + "-" +
                      std::to_string(GetParam()) + ".json") {
    std::remove(segments_file.c_str());
    log::setLevel(log::Level::kError);  // thousands of GoalStates, many refused on purpose
    options.pipeline.tunnel_ofport = kTunnel;
    options.pipeline.node_ip = *Ipv4Address::parse("192.168.0.10");
    // The control guard: its exceptions follow subnets and plugged ports of allowed namespaces.
    options.pipeline.control_ports = {50001, 9009};
    options.pipeline.control_access_namespaces = {"system"};
    // Service CIDRs: a filtered port's after-DNAT egress flows follow its addresses and segment.
    options.pipeline.service_cidrs = {*Ipv4Prefix::parse("10.96.0.0/12")};
    options.segments_path = segments_file;
    dataplane = std::make_unique<DataplaneImpl>(of, options);
    handler = std::make_unique<GoalStateHandler>(
        *dataplane, GoalStateHandlerOptions{"192.168.0.10", std::chrono::milliseconds(0)});
  }
  ~IncrementalPropertyTest() override { std::remove(segments_file.c_str()); }

  // The CNI server's plug and unplug: interfaces only, as PodManager writes them.
  Status plug(const std::string& port, uint32_t ofport) {
    return dataplane->update([&](NetworkState& s, ChangeSet& c) {
      LocalInterface iface{port, "tap" + port, ofport};
      iface.pod_namespace = ofport % 2 ? "system" : "tenant";  // half may reach the guarded ports
      s.interfaces[port] = iface;
      c.interfaces.insert(port);
    });
  }
  // Host access: the gateway of a VPC plugged (gw-<VPC> at an ofport) or removed, as
  // HostGateways writes them.
  Status setHostGateway(const std::string& vpc, uint32_t ofport) {
    return dataplane->update([&](NetworkState& s, ChangeSet& c) {
      if (ofport == 0) {
        if (s.host_gateways.erase(vpc)) c.host_gateways.insert(vpc);
        return;
      }
      s.host_gateways[vpc] = HostGateway{vpc, "gw-" + vpc, "alcor-gw-" + vpc, ofport};
      c.host_gateways.insert(vpc);
    });
  }
  Status unplug(const std::string& port) {
    return dataplane->update([&](NetworkState& s, ChangeSet& c) {
      if (s.interfaces.erase(port)) c.interfaces.insert(port);
    });
  }

  // The switch against the full recompute of the dataplane's own state and segments.
  ::testing::AssertionResult matchesFullRecompute() {
    NetworkState state;
    dataplane->read([&](const NetworkState& s) { state = s; });
    pipeline::SegmentAllocator segments(segments_file);
    if (Status s = segments.load(); !s.ok()) return ::testing::AssertionFailure() << s;
    pipeline::DesiredFlows want = pipeline::buildFlows(state, segments, options.pipeline);
    auto have = sorted(of.flows());
    auto expected = sorted(want.flows);
    if (have != expected) {
      std::vector<openflow::Flow> missing, extra;
      for (const auto& f : expected) {
        if (std::find(have.begin(), have.end(), f) == have.end()) missing.push_back(f);
      }
      for (const auto& f : have) {
        if (std::find(expected.begin(), expected.end(), f) == expected.end()) extra.push_back(f);
      }
      return ::testing::AssertionFailure() << "missing on the switch:\n"
                                           << text(missing) << "not in the full recompute:\n"
                                           << text(extra);
    }
    if (sortedGroups(of.groups()) != sortedGroups(want.groups)) {
      return ::testing::AssertionFailure() << "groups differ";
    }
    std::set<std::string> ids(kPorts.begin(), kPorts.end());
    ids.insert(kGatewayPorts.begin(), kGatewayPorts.end());
    auto programmed = dataplane->waitForPorts(ids, std::chrono::steady_clock::now());
    if (programmed != want.programmed_ports) {
      return ::testing::AssertionFailure() << "programmed ports differ";
    }
    return ::testing::AssertionSuccess();
  }

  std::string segments_file;
  DataplaneOptions options;
  openflow::FakeConnection of;
  std::unique_ptr<DataplaneImpl> dataplane;
  std::unique_ptr<GoalStateHandler> handler;
};

TEST_P(IncrementalPropertyTest, EveryStepEqualsTheFullRecompute) {
  Generator gen(GetParam());
  ASSERT_TRUE(dataplane->start().ok());
  dataplane->finishRestore();
  ASSERT_TRUE(matchesFullRecompute());
  constexpr int kSteps = 250;
  size_t most_flows = 0;
  for (int step = 0; step < kSteps; ++step) {
    std::string what;
    const int roll = gen.pick(100);
    if (roll < 65) {
      schema::GoalStateV2 gs = gen.goalState();
      what = "GoalState " + gs.ShortDebugString();
      (void)handler->handle(gs);
    } else if (roll < 85) {
      const size_t i = static_cast<size_t>(gen.pick(static_cast<int>(kPorts.size())));
      // A port keeps its ofport, but a re-plug may bring a new one.
      const uint32_t ofport = static_cast<uint32_t>(gen.chance(80) ? 10 + i : 30 + i);
      what = "plug " + kPorts[i] + " ofport " + std::to_string(ofport);
      ASSERT_TRUE(plug(kPorts[i], ofport).ok()) << what;
    } else if (roll < 92) {
      const std::string& port = gen.any(kPorts);
      what = "unplug " + port;
      ASSERT_TRUE(unplug(port).ok()) << what;
    } else if (roll < 97) {
      const size_t i = static_cast<size_t>(gen.pick(static_cast<int>(kVpcs.size())));
      // Removed, or plugged at its ofport (50, 60), or re-plugged at another one (51, 61).
      const uint32_t ofport =
          gen.chance(30) ? 0 : static_cast<uint32_t>(50 + 10 * i + (gen.chance(80) ? 0 : 1));
      what = "host gateway of " + kVpcs[i] + " at ofport " + std::to_string(ofport);
      ASSERT_TRUE(setHostGateway(kVpcs[i], ofport).ok()) << what;
    } else {
      what = "resync";
      ASSERT_TRUE(dataplane->resync().ok());
    }
    ASSERT_TRUE(matchesFullRecompute())
        << "seed " << GetParam() << " step " << step << ": " << what;
    most_flows = std::max(most_flows, of.flows().size());
  }
  // The run reached busy states, not only empty ones.
  EXPECT_GT(most_flows, 60u);
}

INSTANTIATE_TEST_SUITE_P(Seeds, IncrementalPropertyTest, ::testing::Range(1u, 25u));

}  // namespace
}  // namespace alcor::agent
