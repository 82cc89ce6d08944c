// Issue 20: GoalStates over a 3-node NATS cluster (nats-server on the infra address) to real
// agents on node namespaces: pods on two nodes talk with the controller in `mq` mode, the
// agents follow the subnet's subject; killing one NATS node between port creations loses
// nothing (later pods still reach every earlier one); a restarted agent resubscribes and
// resyncs. With --southbound=auto (low thresholds) a VPC crosses to NATS and back with its
// pods talking, every port ACTIVE and every neighbor on every node after each crossing.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/one_subnet_fixture.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class NatsSouthboundE2eTest : public OneSubnetTest {
 protected:
  NatsSouthboundE2eTest() : OneSubnetTest({.nodes = 2, .nats_nodes = 3}) {}
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

// --southbound=auto, up 3 / down 3: above 3 ports the VPC's subnets are multicast over NATS,
// below 3 back on gRPC (agents with gRPC and NATS both); a multicast minimum of 1 host, since
// with two nodes each neighbor has one receiver.
class AutoSouthboundE2eTest : public OneSubnetTest {
 protected:
  AutoSouthboundE2eTest()
      : OneSubnetTest({.nodes = 2,
                       .extra_controller_flags = {"--mq-auto-up=3", "--mq-auto-down=3",
                                                  "--mq-multicast-min=1"},
                       .nats_nodes = 3,
                       .nats_southbound = "auto"}) {}
  Pod pod(int node) {
    auto p = cluster->addPod(node, vpc, subnet);
    EXPECT_TRUE(p.ok()) << p.status().message();
    return p.ok() ? std::move(*p) : Pod();
  }
  // Every port ACTIVE, and every pod's MAC in the flows of the other node (its neighbor there),
  // before any traffic (which could learn a missing one on demand).
  bool converged(const std::vector<const Pod*>& pods) {
    auto r = cluster->rest("GET", "/project/" + cluster->project() + "/ports");
    if (r.status != 200 || r.body["ports"].size() != pods.size()) return false;
    for (const auto& p : r.body["ports"]) {
      if (p["status"] != "ACTIVE") return false;
    }
    for (const Pod* p : pods) {
      if (flowsMentioning(cluster->node(1 - p->node), podMac(*p)).empty()) return false;
    }
    return true;
  }
  void expectTalking(const std::vector<const Pod*>& pods) {
    EXPECT_TRUE(waitFor([&] { return converged(pods); }, 20s));
    for (const Pod* from : pods) {
      for (const Pod* to : pods) {
        if (from->node != to->node) EXPECT_TRUE(canPing(*from, to->ip(), 3)) << to->ip();
      }
    }
  }
  uint64_t metric(const std::string& name) {
    const std::string text = cluster->rest("GET", "/metrics").raw;
    auto at = text.find("\n" + name + " ");
    return at == std::string::npos ? 0 : std::stoull(text.substr(at + name.size() + 2));
  }
};

TEST_F(AutoSouthboundE2eTest, AVpcCrossesToNatsAndBackWithItsPodsTalking) {
  Pod a = pod(0), b = pod(1), c = pod(0);
  expectTalking({&a, &b, &c});
  EXPECT_THAT(readFileOrEmpty(cluster->controllerLog()), HasSubstr("southbound: auto"));
  EXPECT_EQ(metric("alcor_mq_multicast_messages_total"), 0u);
  EXPECT_EQ(metric("alcor_mq_auto_vpcs"), 0u);

  // The fourth port: up to NATS; its neighbor reaches node 0 over the subnet's subject.
  Pod d = pod(1);
  expectTalking({&a, &b, &c, &d});
  EXPECT_THAT(readFileOrEmpty(cluster->controllerLog()),
              HasSubstr("vpc " + vpc + ": 4 ports > 3, neighbors of its subnets now over NATS"));
  EXPECT_EQ(metric("alcor_mq_auto_vpcs"), 1u);
  EXPECT_GT(metric("alcor_mq_multicast_messages_total"), 0u);
  Pod e = pod(0);  // on NATS: its neighbor goes to node 1 by multicast
  expectTalking({&a, &b, &c, &d, &e});

  // Down to 2 ports: back to gRPC. The deletes reach the other node either way.
  for (Pod* p : {&c, &d, &e}) {
    auto del = cluster->delPod(*p, vpc, subnet);
    ASSERT_TRUE(del.ok()) << del.describe();
  }
  for (const Pod* p : {&c, &d, &e}) {
    EXPECT_TRUE(waitFor(
        [&] { return flowsMentioning(cluster->node(1 - p->node), podMac(*p)).empty(); }, 20s));
  }
  expectTalking({&a, &b});
  EXPECT_THAT(readFileOrEmpty(cluster->controllerLog()),
              HasSubstr("vpc " + vpc + ": 2 ports < 3, neighbors of its subnets back on gRPC"));
  EXPECT_EQ(metric("alcor_mq_auto_vpcs"), 0u);
  EXPECT_EQ(metric("alcor_mq_auto_switches_total"), 2u);
  const uint64_t multicast = metric("alcor_mq_multicast_messages_total");

  // On gRPC again, the agents still subscribed: a new pod's neighbor comes by unicast.
  Pod f = pod(1);
  expectTalking({&a, &b, &f});
  EXPECT_EQ(metric("alcor_mq_multicast_messages_total"), multicast);
}

}  // namespace
}  // namespace alcor::testing
