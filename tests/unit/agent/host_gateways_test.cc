// HostGatewayManager against fakes: a host-reachable VPC gets a real controller port (found
// again, never duplicated), an internal OVS port with that port's MAC and the node's address and
// routes, all before ensure() returns; overlapping VPCs are refused with a reason, a counter and
// the listener; unused gateways are released; NAT follows the active VPCs.

#include "node-agent/host/host_gateways.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "lib/netlink/fake_link_manager.h"
#include "lib/ovsdb/fake_bridge_client.h"
#include "tests/fakes/fake_controller_client.h"
#include "tests/fakes/fake_dataplane.h"
#include "tests/fakes/fake_node_nat.h"
#include "tests/harness/addresses.h"
#include "tests/harness/process.h"

namespace alcor::agent {
namespace {

using ::testing::HasSubstr;

#define ASSERT_OK(expr)         \
  do {                          \
    Status s_ = (expr);         \
    ASSERT_TRUE(s_.ok()) << s_; \
  } while (false)

using alcor::testing::prefix;

class HostGatewaysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.path() + "/net/ipv4");
    std::ofstream(dir_.path() + "/net/ipv4/ip_forward") << "0\n";
    ASSERT_TRUE(bridges_.ensureBridge({"br-int"}).ok());
    for (const char* name : {"alcor-gw0", "alcor-gw1", "alcor-gw2"}) {
      netlink::LinkInfo link;
      link.name = name;
      links_.addLink("", link);
    }
    addVpc("vpc-a", "10.0.0.0/16", "sub-a", "10.0.1.0/24", 1001);
    addVpc("vpc-b", "10.1.0.0/16", "sub-b", "10.1.1.0/24", 1002);
    addVpc("vpc-red", "10.0.0.0/16", "sub-red", "10.0.1.0/24", 1003);  // overlaps vpc-a
    // The controller pushes a created port's GoalState, as the DPM does.
    controller_.onCreate([this](const PortRecord& rec) {
      if (!deliver_) return;
      dataplane_.mutate([&](NetworkState& s, ChangeSet&) {
        Port p;
        p.id = rec.id;
        p.vpc_id = rec.network_id;
        p.mac = *MacAddress::parse(rec.mac_address);
        // No subnet asked for: the VPC's first, as the controller picks it.
        std::string subnet = rec.fixed_ips[0].subnet_id;
        for (const auto& [id, sn] : s.subnets) {
          if (!s.subnets.count(subnet) && sn.vpc_id == rec.network_id) subnet = id;
        }
        p.fixed_ips = {{subnet, *Ipv4Address::parse(rec.fixed_ips[0].ip_address)}};
        s.ports[rec.id] = p;
      });
    });
  }

  void addVpc(const std::string& vpc, const char* cidr, const std::string& subnet,
              const char* subnet_cidr, uint32_t vni) {
    dataplane_.mutate([&](NetworkState& s, ChangeSet&) {
      s.vpcs[vpc] = Vpc{vpc, "demo", vpc, vni, prefix(cidr), {}};
      Subnet sn;
      sn.id = subnet;
      sn.vpc_id = vpc;
      sn.cidr = prefix(subnet_cidr);
      sn.vni = vni;
      s.subnets[subnet] = sn;
    });
  }

  std::unique_ptr<HostGatewayManager> manager(const std::string& cluster_vpc = "vpc-a") {
    HostGatewayOptions o;
    o.node_name = "node-1";
    o.cluster_vpc = cluster_vpc;
    o.cluster_project = "demo";
    o.ready_timeout = std::chrono::milliseconds(300);
    o.proc_sys = dir_.path();
    return std::make_unique<HostGatewayManager>(
        o, controller_, bridges_, links_, dataplane_, &nat_,
        [this](const HostAccessInfo& info) { refused_.push_back(info.vpc_id); });
  }

  void plugPod(const std::string& id, const std::string& vpc, uint32_t ofport) {
    dataplane_.mutate([&](NetworkState& s, ChangeSet&) {
      Port p;
      p.id = id;
      p.vpc_id = vpc;
      s.ports[id] = p;
      s.interfaces[id] = LocalInterface{id, "tap" + id, ofport};
    });
  }

  std::string readForwarding() {
    std::ifstream in(dir_.path() + "/net/ipv4/ip_forward");
    std::string v;
    in >> v;
    return v;
  }

  testing::TempDir dir_;
  FakeControllerClient controller_;
  ovsdb::FakeBridgeClient bridges_;
  netlink::FakeLinkManager links_;
  FakeDataplane dataplane_;
  FakeNodeNat nat_;
  std::vector<std::string> refused_;
  bool deliver_ = true;
};

TEST_F(HostGatewaysTest, TheClusterVpcGetsARealPortAndTheNodeItsAddressAndRoutes) {
  auto m = manager();
  ASSERT_OK(m->start());

  ASSERT_EQ(controller_.requests().size(), 1u);
  const PortRequest req = controller_.requests()[0];
  EXPECT_EQ(req.network_id, "vpc-a");
  EXPECT_EQ(req.device_owner, kHostGatewayOwner);
  EXPECT_EQ(req.device_id, "node-1");
  EXPECT_EQ(req.host_id, "node-1");
  const PortRecord port = controller_.ports().begin()->second;

  auto ovs = bridges_.port("br-int", "alcor-gw0");
  ASSERT_TRUE(ovs.has_value());
  EXPECT_EQ(ovs->type, "internal");
  EXPECT_EQ(ovs->mac, port.mac_address);
  EXPECT_EQ(ovs->external_ids.at(kHostGatewayVpcKey), "vpc-a");
  EXPECT_EQ(ovs->external_ids.at(kHostGatewayPortKey), port.id);

  auto link = links_.getLink("", "alcor-gw0");
  ASSERT_TRUE(link.ok() && link->has_value());
  const auto& info = **link;
  EXPECT_EQ(info.mac.toString(), port.mac_address);
  ASSERT_EQ(info.addresses.size(), 1u);
  EXPECT_EQ(info.addresses[0].toString(), port.fixed_ips[0].ip_address + "/24");
  ASSERT_EQ(info.routes.size(), 1u);  // the VPC beyond the connected subnet, from the address
  EXPECT_EQ(info.routes[0].destination.toString(), "10.0.0.0/16");
  EXPECT_EQ(info.routes[0].source->toString(), port.fixed_ips[0].ip_address);

  NetworkState s = dataplane_.state();
  ASSERT_TRUE(s.host_gateways.count("vpc-a"));
  EXPECT_EQ(s.host_gateways["vpc-a"].ofport, 1u);
  EXPECT_EQ(nat_.networks(), (std::vector<HostNetwork>{{"alcor-gw0", {prefix("10.0.0.0/16")}}}));
  EXPECT_EQ(readForwarding(), "1");
  auto status = m->status();
  ASSERT_EQ(status.size(), 1u);
  EXPECT_TRUE(status[0].active);

  // Cached: a pod's ADD costs nothing more.
  EXPECT_TRUE(m->ensure("demo", "vpc-a", "sub-a").ok());
  EXPECT_EQ(controller_.requests().size(), 1u);
}

TEST_F(HostGatewaysTest, ARestartedAgentFindsItsPortsAgainInsteadOfCreatingNewOnes) {
  ASSERT_OK(manager()->start());
  ASSERT_OK(manager()->ensure("demo", "vpc-b", "sub-b"));
  ASSERT_EQ(controller_.ports().size(), 2u);
  // A new agent: empty state apart from what the controller re-pushes.
  dataplane_.mutate([](NetworkState& s, ChangeSet&) { s.host_gateways.clear(); });
  auto again = manager();
  ASSERT_OK(again->start());
  EXPECT_EQ(controller_.requests().size(), 2u);
  EXPECT_EQ(controller_.ports().size(), 2u);
  NetworkState s = dataplane_.state();
  EXPECT_EQ(s.host_gateways["vpc-a"].ovs_port, "alcor-gw0");
  EXPECT_EQ(s.host_gateways["vpc-b"].ovs_port, "alcor-gw1");
  EXPECT_EQ(again->status().size(), 2u);
}

TEST_F(HostGatewaysTest, AnotherVpcGetsItsOwnGatewayAndBothAreInTheNatTable) {
  auto m = manager();
  ASSERT_OK(m->start());
  ASSERT_OK(m->ensure("demo", "vpc-b", "sub-b"));
  EXPECT_TRUE(bridges_.port("br-int", "alcor-gw1").has_value());
  auto nets = nat_.networks();
  ASSERT_EQ(nets.size(), 2u);
  EXPECT_EQ(nets[1], (HostNetwork{"alcor-gw1", {prefix("10.1.0.0/16")}}));
}

TEST_F(HostGatewaysTest, AnOverlappingVpcIsRefusedWithAReasonAndNothingIsCreated) {
  auto m = manager();
  ASSERT_OK(m->start());
  Status s = m->ensure("demo", "vpc-red", "sub-red");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("VPC vpc-red (10.0.0.0/16) is refused host access"));
  EXPECT_THAT(s.message(), HasSubstr("overlaps VPC vpc-a"));
  EXPECT_EQ(controller_.requests().size(), 1u);  // only the cluster VPC's port
  EXPECT_FALSE(bridges_.port("br-int", "alcor-gw1").has_value());
  EXPECT_EQ(m->refusals(), 1u);
  EXPECT_EQ(refused_, std::vector<std::string>{"vpc-red"});
  // Asking again answers from memory: no second event.
  EXPECT_EQ(m->ensure("demo", "vpc-red", "sub-red").code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(refused_.size(), 1u);
  bool listed = false;
  for (const auto& info : m->status()) {
    if (info.vpc_id == "vpc-red") listed = !info.active && info.overlaps == "vpc-a";
  }
  EXPECT_TRUE(listed);
}

TEST_F(HostGatewaysTest, AVpcWhoseCidrArrivesWithItsGatewayPortIsCheckedThenAndTornDown) {
  auto m = manager();
  ASSERT_OK(m->start());
  // vpc-late is not known before its gateway port's GoalState brings it.
  controller_.onCreate([this](const PortRecord& rec) {
    dataplane_.mutate([&](NetworkState& s, ChangeSet&) {
      s.vpcs["vpc-late"] = Vpc{"vpc-late", "demo", "late", 1004, prefix("10.0.128.0/17"), {}};
      Subnet sn;
      sn.id = "sub-late";
      sn.vpc_id = "vpc-late";
      sn.cidr = prefix("10.0.128.0/24");
      sn.vni = 1004;
      s.subnets["sub-late"] = sn;
      Port p;
      p.id = rec.id;
      p.vpc_id = "vpc-late";
      p.mac = *MacAddress::parse(rec.mac_address);
      p.fixed_ips = {{"sub-late", *Ipv4Address::parse("10.0.128.5")}};
      s.ports[rec.id] = p;
    });
  });
  Status s = m->ensure("demo", "vpc-late", "sub-late");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s;
  EXPECT_FALSE(bridges_.port("br-int", "alcor-gw1").has_value());
  EXPECT_EQ(controller_.ports().size(), 1u);  // its port went back to the controller
  EXPECT_FALSE(dataplane_.state().host_gateways.count("vpc-late"));
}

TEST_F(HostGatewaysTest, AMissingGoalStateIsTransientAndTheNextTrySucceeds) {
  deliver_ = false;
  auto m = manager();
  Status s = m->start();
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr("did not arrive"));
  // The controller catches up; maintenance retries and reuses the port it made.
  auto rec = controller_.ports().begin()->second;
  dataplane_.mutate([&](NetworkState& st, ChangeSet&) {
    Port p;
    p.id = rec.id;
    p.vpc_id = "vpc-a";
    p.mac = *MacAddress::parse(rec.mac_address);
    p.fixed_ips = {{"sub-a", *Ipv4Address::parse(rec.fixed_ips[0].ip_address)}};
    st.ports[rec.id] = p;
  });
  m->retry();
  EXPECT_EQ(controller_.requests().size(), 1u);
  ASSERT_EQ(m->status().size(), 1u);
  EXPECT_TRUE(m->status()[0].active);
}

TEST_F(HostGatewaysTest, AVpcWithoutLocalPodsLosesItsGatewayButTheClusterVpcNever) {
  auto m = manager();
  ASSERT_OK(m->start());
  ASSERT_OK(m->ensure("demo", "vpc-b", "sub-b"));
  plugPod("pod-b", "vpc-b", 20);
  m->releaseUnused();
  EXPECT_EQ(m->status().size(), 2u);  // a pod still uses vpc-b
  dataplane_.mutate([](NetworkState& s, ChangeSet&) { s.interfaces.erase("pod-b"); });
  m->releaseUnused();
  ASSERT_EQ(m->status().size(), 1u);
  EXPECT_EQ(m->status()[0].vpc_id, "vpc-a");
  EXPECT_FALSE(bridges_.port("br-int", "alcor-gw1").has_value());
  EXPECT_EQ(controller_.deleted().size(), 1u);
  EXPECT_EQ(nat_.networks().size(), 1u);
  EXPECT_FALSE(dataplane_.state().host_gateways.count("vpc-b"));
  // The cluster VPC stays, so vpc-red is still refused.
  EXPECT_EQ(m->ensure("demo", "vpc-red", "sub-red").code(), StatusCode::kFailedPrecondition);
}

TEST_F(HostGatewaysTest, AGatewayPortDeletedBehindTheAgentsBackIsMadeAgain) {
  auto m = manager();
  ASSERT_OK(m->start());
  const std::string first = m->status()[0].port_id;
  // Someone deletes the port through the REST API: the controller stops pushing it.
  ASSERT_TRUE(controller_.deletePort("demo", first).ok());
  dataplane_.mutate([&](NetworkState& s, ChangeSet&) { s.ports.erase(first); });
  m->retry();
  ASSERT_EQ(m->status().size(), 1u);
  EXPECT_TRUE(m->status()[0].active);
  EXPECT_NE(m->status()[0].port_id, first);
  EXPECT_EQ(controller_.ports().size(), 1u);
  EXPECT_EQ(dataplane_.state().host_gateways["vpc-a"].port_id, m->status()[0].port_id);
  EXPECT_EQ(m->status()[0].ovs_port, "alcor-gw0");
}

TEST_F(HostGatewaysTest, TheClusterVpcNeverTakesAnotherVpcsGatewayPort) {
  // alcor-gw0 belongs to vpc-b (the cluster VPC flag changed since it was made).
  ASSERT_OK(manager("vpc-b")->start());
  ASSERT_EQ(bridges_.port("br-int", "alcor-gw0")->external_ids.at(kHostGatewayVpcKey), "vpc-b");
  auto m = manager();  // cluster VPC vpc-a
  ASSERT_OK(m->start());
  EXPECT_EQ(bridges_.port("br-int", "alcor-gw0")->external_ids.at(kHostGatewayVpcKey), "vpc-b");
  EXPECT_EQ(bridges_.port("br-int", "alcor-gw1")->external_ids.at(kHostGatewayVpcKey), "vpc-a");
}

TEST_F(HostGatewaysTest, ANatFailureIsRetriedByMaintenance) {
  nat_.fail(internalError("nftables: no"));
  auto m = manager();
  ASSERT_OK(m->start());  // host access itself works
  EXPECT_EQ(nat_.applies(), 0);
  nat_.fail(okStatus());
  m->retry();
  EXPECT_EQ(nat_.applies(), 1);
  EXPECT_EQ(nat_.networks().size(), 1u);
}

TEST_F(HostGatewaysTest, CleanupRemovesEveryGatewayAndTheNatTable) {
  ASSERT_OK(manager()->start());
  ASSERT_OK(manager()->ensure("demo", "vpc-b", "sub-b"));
  ASSERT_TRUE(removeHostAccess(bridges_, controller_, nat_, "br-int", "demo").ok());
  EXPECT_FALSE(bridges_.port("br-int", "alcor-gw0").has_value());
  EXPECT_FALSE(bridges_.port("br-int", "alcor-gw1").has_value());
  EXPECT_TRUE(controller_.ports().empty());
  EXPECT_TRUE(nat_.removed());
  EXPECT_TRUE(removeHostAccess(bridges_, controller_, nat_, "br-int", "demo").ok());
}

}  // namespace
}  // namespace alcor::agent
