// Issue 20: GoalStates over a 3-node NATS cluster (nats-server on the infra address) to real
// agents on node namespaces: pods on two nodes talk with the controller in `mq` mode, the
// agents follow the subnet's subject; killing one NATS node between port creations loses
// nothing (later pods still reach every earlier one); a restarted agent resubscribes and
// resyncs.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;

class NatsSouthboundE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Cluster::start({.nodes = 2, .nats_nodes = 3});
    ASSERT_TRUE(c.ok()) << c.status().message();
    cluster = std::move(*c);
    auto net = cluster->createVpcAndSubnet("10.0.0.0/16", "10.0.1.0/24");
    ASSERT_TRUE(net.ok()) << net.status().message();
    std::tie(vpc, subnet) = *net;
  }
  std::unique_ptr<Cluster> cluster;
  std::string vpc, subnet;
};

TEST_F(NatsSouthboundE2eTest, PodsTalkOverTheBrokerAndSurviveANatsNodeAndAnAgentRestart) {
  auto a = cluster->addPod(0, vpc, subnet);
  auto b = cluster->addPod(1, vpc, subnet);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message() << b.status().message();
  EXPECT_TRUE(canPing(*a, b->ip(), 3));
  EXPECT_TRUE(canPing(*b, a->ip(), 3));
  EXPECT_THAT(readFileOrEmpty(cluster->controllerLog()), HasSubstr("southbound: NATS"));
  for (int i = 0; i < 2; ++i) {
    EXPECT_THAT(readFileOrEmpty(cluster->node(i).agentLog()),
                HasSubstr("subscribed to alcor.gs.subnet." + vpc + "." + subnet));
  }

  // One NATS node dies; pods created afterwards still get every neighbor.
  cluster->nats()->kill(0);
  auto c = cluster->addPod(0, vpc, subnet);
  auto d = cluster->addPod(1, vpc, subnet);
  ASSERT_TRUE(c.ok() && d.ok()) << c.status().message() << d.status().message();
  EXPECT_TRUE(canPing(*c, d->ip(), 5));
  EXPECT_TRUE(canPing(*d, a->ip(), 5));
  EXPECT_TRUE(canPing(*c, b->ip(), 5));

  // Agent 1 restarts: it registers again, gets its full state and resubscribes.
  cluster->stopAgent(1);
  ASSERT_TRUE(cluster->startAgent(1).ok());
  ASSERT_TRUE(cluster->waitAgentReady(1).ok());
  auto e = cluster->addPod(0, vpc, subnet);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_TRUE(canPing(*e, b->ip(), 5));
  EXPECT_TRUE(canPing(*d, e->ip(), 5));
}

}  // namespace
}  // namespace alcor::testing
