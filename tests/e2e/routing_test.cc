// Issue 6: layer 3 in the overlay — the gateway IP answers ping from flows, and the distributed
// router (RouterState with the host's DVR MAC, gateway MAC restored on the receiving host) routes
// between two subnets of one VPC, on one node and across nodes. Everything goes through the real
// controller's REST API (routers, add_router_interface) and the real plugin.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/base/strings.h"
#include "tests/e2e/two_subnet_fixture.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class RoutingTest : public TwoSubnetTest {
 protected:
  // A router with both subnets attached.
  void addRouter() {
    auto r = cluster->rest("POST", "/project/" + cluster->project() + "/routers",
                           {{"router", {{"name", "r1"}}}});
    ASSERT_TRUE(r.status == 201 || r.status == 200) << r.raw;
    const std::string id = r.body["router"]["id"];
    for (const auto& s : {subnet_a, subnet_b}) {
      auto i = cluster->rest(
          "PUT", "/project/" + cluster->project() + "/routers/" + id + "/add_router_interface",
          {{"subnet_id", s}});
      ASSERT_EQ(i.status, 200) << i.raw;
    }
  }

  // Routing state reaches agents asynchronously: retry the ping for a few seconds.
  bool eventuallyPings(const Pod& from, const std::string& ip) {
    return waitFor([&] { return canPing(from, ip, 1); }, std::chrono::seconds(15));
  }
};

TEST_F(RoutingTest, TheGatewayAnswersPingFromFlows) {
  auto a = cluster->addPod(0, vpc, subnet_a);
  ASSERT_TRUE(a.ok()) << a.status().message();
  auto r = a->ns->exec({"ping", "-c", "3", "-i", "0.2", "-W", "1", "10.0.1.1"});
  EXPECT_TRUE(r.ok()) << r.describe();
  // Three requests, three replies, all with valid checksums (ping counts only those).
  EXPECT_THAT(r.out, HasSubstr("3 received")) << r.out;
  // Answered by the flow (its counters reach OpenFlow when the datapath flow stats are pushed).
  CommandResult flow;
  waitFor(
      [&] {
        flow = cluster->node(0).ovs->ofctl(
            {"dump-flows", "br-int", "table=40,icmp,icmp_type=8,nw_dst=10.0.1.1"});
        return flow.out.find("n_packets=3,") != std::string::npos;
      },
      std::chrono::seconds(5));
  EXPECT_THAT(flow.out, HasSubstr("n_packets=3,")) << flow.out;
}

TEST_F(RoutingTest, PodsOfTwoSubnetsOnOneNodeTalkThroughTheRouter) {
  addRouter();
  auto a = cluster->addPod(0, vpc, subnet_a);
  auto b = cluster->addPod(0, vpc, subnet_b);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message() << b.status().message();
  EXPECT_TRUE(eventuallyPings(*a, b->ip()));
  EXPECT_TRUE(eventuallyPings(*b, a->ip()));
  EXPECT_TRUE(tcpWorks(*a, *b));
  // Routed on node 0 (L3Forwarding to the gateway MAC, then L3Routes to the local port).
  auto routed =
      cluster->node(0).ovs->ofctl({"dump-flows", "br-int", "table=41,ip,nw_dst=" + b->ip()});
  EXPECT_THAT(routed.out, Not(HasSubstr("n_packets=0,"))) << routed.out;
}

TEST_F(RoutingTest, PodsOfTwoSubnetsOnTwoNodesTalkThroughTheDistributedRouter) {
  addRouter();
  auto a = cluster->addPod(0, vpc, subnet_a);
  auto b = cluster->addPod(1, vpc, subnet_b);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message() << b.status().message();
  EXPECT_TRUE(eventuallyPings(*a, b->ip()));
  EXPECT_TRUE(eventuallyPings(*b, a->ip()));
  EXPECT_TRUE(tcpWorks(*a, *b));
  // The receiving node restored the gateway MAC on frames routed by the other node.
  auto restore =
      cluster->node(1).ovs->ofctl({"dump-flows", "br-int", "table=45,ip,nw_dst=10.0.2.0/24"});
  EXPECT_THAT(restore.out, HasSubstr("->eth_src")) << restore.out;
  EXPECT_THAT(restore.out, Not(HasSubstr("n_packets=0,"))) << restore.out;
}

TEST_F(RoutingTest, ARouterAddedLaterConnectsRunningPods) {
  auto a = cluster->addPod(0, vpc, subnet_a);
  auto b = cluster->addPod(1, vpc, subnet_b);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(canPing(*a, b->ip(), 1));  // no router: subnets do not reach each other
  addRouter();
  EXPECT_TRUE(eventuallyPings(*a, b->ip()));
  EXPECT_TRUE(eventuallyPings(*b, a->ip()));
}

}  // namespace
}  // namespace alcor::testing
