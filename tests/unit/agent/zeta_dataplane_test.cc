// Zeta groups through the real pipeline and DataplaneImpl, against FakeConnection: one select
// group per VPC with a Zeta gateway and a local port, installed before the flows that use it,
// updated with the FWD list, removed after them; direct-path flows stay outside the diff.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/openflow/fake_connection.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/pipeline/cookie.h"
#include "node-agent/pipeline/tables.h"
#include "node-agent/pipeline/zeta_flows.h"
#include "tests/unit/agent/test_state.h"

namespace alcor::agent {
namespace {

using namespace testing;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr uint32_t kTunnel = 100;

void addZetaGateway(NetworkState& s, std::vector<const char*> fwds) {
  Gateway g;
  g.id = "zeta-1";
  g.type = GatewayType::kZeta;
  g.oam_port = 8300;
  int i = 1;
  for (const char* f : fwds) {
    g.destinations.push_back({ip(f), MacAddress::fromUint64(0x025a00000000ULL + i++)});
  }
  s.gateways[g.id] = g;
  s.vpcs["vpc-a"].gateway_ids = {g.id};
}

std::vector<openflow::Flow> flowsUsingGroups(const openflow::FakeConnection& of) {
  std::vector<openflow::Flow> out;
  for (const auto& f : of.flows()) {
    for (const auto& a : f.actions) {
      if (std::holds_alternative<openflow::Group>(a)) out.push_back(f);
    }
  }
  return out;
}

class ZetaDataplaneTest : public ::testing::Test {
 protected:
  void SetUp() override {
    DataplaneOptions options;
    options.pipeline.tunnel_ofport = kTunnel;
    dataplane = std::make_unique<DataplaneImpl>(of, options);
    ASSERT_TRUE(dataplane->start().ok());
    dataplane->finishRestore();
  }
  Status mutate(const std::function<void(NetworkState&)>& fn) {
    return dataplane->update(tracked([&](NetworkState& s) { fn(s); }));
  }
  void setUpZetaVpc(std::vector<const char*> fwds) {
    ASSERT_TRUE(mutate([&](NetworkState& s) {
                  addVpc(s);
                  addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
                  addZetaGateway(s, fwds);
                }).ok());
  }

  openflow::FakeConnection of;
  std::unique_ptr<DataplaneImpl> dataplane;
};

TEST_F(ZetaDataplaneTest, SelectGroupHasOneBucketPerFwd) {
  setUpZetaVpc({"192.168.0.201", "192.168.0.202"});
  auto groups = of.groups();
  ASSERT_THAT(groups, SizeIs(1));
  EXPECT_EQ(groups[0].group_id, 1001u);
  EXPECT_EQ(groups[0].type, openflow::GroupMod::kSelect);
  ASSERT_THAT(groups[0].buckets, SizeIs(2));
  EXPECT_EQ(openflow::formatActions(groups[0].buckets[1].actions),
            "set_field:192.168.0.202->tun_dst,set_field:02:5a:00:00:00:02->eth_dst,output:100");
  auto users = flowsUsingGroups(of);
  ASSERT_THAT(users, SizeIs(2));  // unknown unicast and unanswered ARP
  for (const auto& f : users) {
    EXPECT_THAT(openflow::formatActions(f.actions), HasSubstr("group:1001"));
  }
}

TEST_F(ZetaDataplaneTest, GroupFollowsTheFwdList) {
  setUpZetaVpc({"192.168.0.201", "192.168.0.202"});
  ASSERT_TRUE(mutate([](NetworkState& s) { s.gateways["zeta-1"].destinations.pop_back(); }).ok());
  ASSERT_THAT(of.groups(), SizeIs(1));
  EXPECT_THAT(of.groups()[0].buckets, SizeIs(1));
}

TEST_F(ZetaDataplaneTest, GroupGoesWithTheLastLocalPort) {
  setUpZetaVpc({"192.168.0.201"});
  ASSERT_TRUE(mutate([](NetworkState& s) { s.interfaces.erase("p1"); }).ok());
  EXPECT_THAT(of.groups(), SizeIs(0));
  EXPECT_THAT(flowsUsingGroups(of), SizeIs(0));
}

TEST_F(ZetaDataplaneTest, GroupGoesWithTheGateway) {
  setUpZetaVpc({"192.168.0.201"});
  ASSERT_TRUE(mutate([](NetworkState& s) { s.vpcs["vpc-a"].gateway_ids.clear(); }).ok());
  EXPECT_THAT(of.groups(), SizeIs(0));
  EXPECT_THAT(flowsUsingGroups(of), SizeIs(0));
}

TEST_F(ZetaDataplaneTest, NonZetaGatewaysGetNoGroup) {
  setUpZetaVpc({"192.168.0.201"});
  ASSERT_TRUE(
      mutate([](NetworkState& s) { s.gateways["zeta-1"].type = GatewayType::kOther; }).ok());
  EXPECT_THAT(of.groups(), SizeIs(0));
}

TEST_F(ZetaDataplaneTest, GroupsAreReplayedAfterASwitchRestart) {
  setUpZetaVpc({"192.168.0.201"});
  of.simulateReconnect();  // OVS lost flows and groups
  ASSERT_TRUE(dataplane->resync().ok());
  EXPECT_THAT(of.groups(), SizeIs(1));
  EXPECT_THAT(flowsUsingGroups(of), SizeIs(2));
}

TEST_F(ZetaDataplaneTest, ResyncRewritesAGroupThatStillExists) {
  setUpZetaVpc({"192.168.0.201"});
  ASSERT_TRUE(dataplane->resync().ok());  // groups unknown: modify succeeds
  EXPECT_THAT(of.groups(), SizeIs(1));
  EXPECT_FALSE(dataplane->needsResync());
}

TEST_F(ZetaDataplaneTest, AFailedGroupModIsRetried) {
  of.failNext(unavailableError("switch gone"));
  Status s = mutate([&](NetworkState& st) {
    addVpc(st);
    addPort(st, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
    addZetaGateway(st, {"192.168.0.201"});
  });
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(of.groups(), SizeIs(0));
  EXPECT_THAT(flowsUsingGroups(of), SizeIs(0));  // no flow may point at a missing group
  EXPECT_TRUE(dataplane->needsResync());
  ASSERT_TRUE(dataplane->resync().ok());
  EXPECT_THAT(of.groups(), SizeIs(1));
  EXPECT_THAT(flowsUsingGroups(of), SizeIs(2));
}

TEST_F(ZetaDataplaneTest, DirectPathFlowsAreLeftToTheirIdleTimeout) {
  setUpZetaVpc({"192.168.0.201"});
  pipeline::DirectPath path;
  path.vni = 1001;
  path.src_ip = ip("10.1.0.5");
  path.dst_ip = ip("10.1.0.9");
  path.protocol = 17;
  path.src_port = 5000;
  path.dst_port = 53;
  path.instance_mac = mac("fa:16:3e:00:00:09");
  path.node_ip = ip("192.168.0.11");
  path.idle_timeout = 2;
  ASSERT_TRUE(of.send({openflow::FlowMod::add(pipeline::directPathFlow(path, kTunnel))}).ok());
  ASSERT_TRUE(mutate([](NetworkState& s) { s.ports["p1"].name = "renamed"; }).ok());
  ASSERT_TRUE(dataplane->resync().ok());
  int direct = 0;
  for (const auto& f : of.flows()) {
    if (pipeline::cookieCategory(f.cookie) == pipeline::CookieCategory::kDirectPath) ++direct;
  }
  EXPECT_EQ(direct, 1);
}

TEST(ZetaFlowsTest, DirectPathFlowMatchesTheFiveTupleOfTheVni) {
  pipeline::DirectPath path;
  path.vni = 700;
  path.src_ip = ip("10.0.1.4");
  path.dst_ip = ip("10.0.1.5");
  path.protocol = 6;
  path.src_port = 40000;
  path.dst_port = 80;
  path.instance_mac = mac("fa:16:3e:00:00:05");
  path.node_ip = ip("10.200.0.11");
  path.idle_timeout = 2;
  openflow::Flow f = pipeline::directPathFlow(path, kTunnel);
  EXPECT_EQ(f.table, pipeline::kL2Forwarding.id);
  EXPECT_EQ(f.idle_timeout, 2);
  EXPECT_EQ(f.cookie, pipeline::directPathCookie(700));
  EXPECT_THAT(openflow::formatFlow(f), HasSubstr("tp_src=40000"));
  EXPECT_EQ(openflow::formatActions(f.actions),
            "set_field:fa:16:3e:00:00:05->eth_dst,set_field:0x2bc->tun_id,"
            "set_field:10.200.0.11->tun_dst,output:100");
  path.protocol = 1;
  EXPECT_THAT(openflow::formatFlow(pipeline::directPathFlow(path, kTunnel)),
              ::testing::Not(HasSubstr("tp_src")));
}

}  // namespace
}  // namespace alcor::agent
