// The agent's NATS subscriber against a real nats-server, the test playing the controller:
// requests on the host subject are applied and answered; the first port in a subnet subscribes
// to the subnet's subject (and says so), the last one leaving unsubscribes and deletes that
// subnet's neighbors; sequence gaps ask for the full state; older unicast copies of a neighbor
// a subnet message already brought are dropped; the agent's own port is no neighbor. With
// --southbound=auto unicast comes over gRPC (applyUnicast): its ports drive the subscriptions
// too, a late subnet copy older than a unicast one is dropped, its epoch resets like NATS's.

#include "node-agent/goalstate/nats_subscriber.h"

#include <gtest/gtest.h>

#include <condition_variable>

#include "lib/nats/nats_connection.h"
#include "lib/southbound/subjects.h"
#include "tests/fakes/recording_goalstate_apply.h"
#include "tests/harness/nats_cluster.h"
#include "tests/unit/agent/subnet_goalstates.h"

namespace alcor::agent {
namespace {

namespace sb = southbound;
using namespace std::chrono_literals;
using alcor::testing::waitFor;

constexpr const char* kNode = "10.9.0.1";
constexpr const char* kOther = "10.9.0.2";
const std::string kSubject = "alcor.gs.subnet.vpc1.s1";

void addNeighbor(schema::GoalStateV2& gs, const std::string& port, const std::string& host,
                 uint32_t revision, schema::OperationType op = schema::CREATE) {
  addSubnetContext(gs);
  auto& n = (*gs.mutable_neighbor_states())["L2/" + port];
  n.set_operation_type(op);
  n.mutable_configuration()->set_id(port);
  n.mutable_configuration()->set_revision_number(revision);
  if (op != schema::DELETE) {
    n.mutable_configuration()->set_host_ip_address(host);
    auto* ip = n.mutable_configuration()->add_fixed_ips();
    ip->set_subnet_id("s1");
    ip->set_neighbor_type(schema::L2);
  }
}

class NatsSubscriberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    alcor::testing::NatsClusterOptions o;
    o.nodes = 1;
    auto c = alcor::testing::NatsCluster::start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = std::move(c).value();
    nats::NatsOptions agent_options;
    agent_options.servers = cluster_->urls();
    agent_options.ordered_delivery = true;
    auto a = nats::NatsConnection::connect(agent_options);
    auto b = nats::NatsConnection::connect(nats::NatsOptions{.servers = cluster_->urls()});
    ASSERT_TRUE(a.ok() && b.ok());
    agent_bus_ = std::move(a).value();
    controller_ = std::move(b).value();
    auto n = controller_->subscribe(sb::agentSubject(kNode), [this](const nats::Message& m) {
      std::lock_guard lock(mu_);
      notices_.push_back(m.data);
    });
    ASSERT_TRUE(n.ok());
    notice_sub_ = std::move(n).value();
    ASSERT_TRUE(controller_->flush(2s).ok());
    subscriber_ = std::make_unique<NatsGoalStateSubscriber>(
        *agent_bus_, kNode, [this](const schema::GoalStateV2& gs) { return agent_.apply(gs); },
        [this] {
          ++resyncs_;
          return okStatus();
        });
    ASSERT_TRUE(subscriber_->start().ok());
  }

  // A unicast request, as the controller's pusher sends it; returns the reply.
  schema::GoalStateOperationReply push(const schema::GoalStateV2& gs) {
    auto reply = controller_->request(sb::hostSubject(kNode), gs.SerializeAsString(),
                                      {{sb::kEpochHeader, "e1"}}, 5s);
    EXPECT_TRUE(reply.ok()) << reply.status();
    schema::GoalStateOperationReply out;
    if (reply.ok()) out.ParseFromString(reply->data);
    return out;
  }
  void multicast(const schema::GoalStateV2& gs, uint64_t seq) {
    ASSERT_TRUE(controller_
                    ->publish(kSubject, gs.SerializeAsString(),
                              {{sb::kEpochHeader, "e1"}, {sb::kSeqHeader, std::to_string(seq)}})
                    .ok());
  }
  void baseline(uint64_t seq) {
    ASSERT_TRUE(controller_
                    ->publish(sb::hostSubject(kNode), "",
                              {{sb::kKindHeader, sb::kBaselineKind},
                               {sb::kSubjectHeader, kSubject},
                               {sb::kEpochHeader, "e1"},
                               {sb::kSeqHeader, std::to_string(seq)}})
                    .ok());
  }
  // Everything sent so far was handled (a request is answered after what came before it).
  void sync() { push(schema::GoalStateV2()); }
  std::vector<std::string> notices() {
    std::lock_guard lock(mu_);
    return notices_;
  }

  std::unique_ptr<alcor::testing::NatsCluster> cluster_;
  std::unique_ptr<nats::NatsConnection> agent_bus_;
  std::unique_ptr<nats::NatsConnection> controller_;
  nats::SubscriptionPtr notice_sub_;
  RecordingGoalStateApply agent_;
  std::unique_ptr<NatsGoalStateSubscriber> subscriber_;
  std::atomic<int> resyncs_{0};
  std::mutex mu_;
  std::vector<std::string> notices_;
};

TEST_F(NatsSubscriberTest, RequestsAreAppliedAndAnsweredAndPortsDriveSubnetSubscriptions) {
  auto reply = push(portMessage("p1", schema::CREATE));
  ASSERT_EQ(reply.operation_statuses_size(), 1);
  EXPECT_EQ(reply.operation_statuses(0).operation_status(), schema::SUCCESS);
  EXPECT_EQ(subscriber_->subjects(), std::set<std::string>{kSubject});
  ASSERT_TRUE(waitFor([&] { return notices().size() == 1; }, 5s));
  EXPECT_EQ(notices()[0], "subscribed " + kSubject);

  // A second port in the subnet changes nothing; the subnet's messages now arrive.
  push(portMessage("p2", schema::CREATE));
  baseline(0);
  schema::GoalStateV2 n;
  addNeighbor(n, "remote", kOther, 7);
  multicast(n, 1);
  sync();
  EXPECT_EQ(agent_.neighborRevision("L2/remote"), 7u);
  EXPECT_EQ(subscriber_->stats().multicast_messages, 1u);

  // The last port leaving: unsubscribed, told, and the subnet's neighbors deleted.
  push(portMessage("p1", schema::DELETE));
  EXPECT_EQ(subscriber_->subjects().size(), 1u);
  push(portMessage("p2", schema::DELETE));
  EXPECT_TRUE(subscriber_->subjects().empty());
  EXPECT_FALSE(agent_.neighborRevision("L2/remote"));
  ASSERT_TRUE(waitFor([&] { return notices().size() == 2; }, 5s));
  EXPECT_EQ(notices()[1], "unsubscribed " + kSubject);
  // Later subnet messages are not applied.
  schema::GoalStateV2 late;
  addNeighbor(late, "late", kOther, 9);
  multicast(late, 2);
  sync();
  EXPECT_FALSE(agent_.neighborRevision("L2/late"));
  EXPECT_EQ(resyncs_.load(), 0);
}

TEST_F(NatsSubscriberTest, AGapAsksForTheFullStateAndTellsTheSubscriptionsAgain) {
  push(portMessage("p1", schema::CREATE));
  baseline(4);
  schema::GoalStateV2 n;
  addNeighbor(n, "a", kOther, 1);
  multicast(n, 4);  // before the baseline: already covered by unicast
  sync();
  EXPECT_FALSE(agent_.neighborRevision("L2/a"));
  multicast(n, 5);
  sync();
  EXPECT_EQ(resyncs_.load(), 0);
  schema::GoalStateV2 m;
  addNeighbor(m, "b", kOther, 2);
  multicast(m, 7);  // 6 was lost
  sync();
  EXPECT_EQ(resyncs_.load(), 1);
  EXPECT_EQ(agent_.neighborRevision("L2/b"), 2u);  // applied all the same
  EXPECT_EQ(subscriber_->stats().gaps, 1u);
  ASSERT_TRUE(waitFor([&] { return notices().size() == 2; }, 5s));
  EXPECT_EQ(notices()[1], "subscribed " + kSubject);
  multicast(n, 8);
  sync();
  EXPECT_EQ(resyncs_.load(), 1);
}

// The last subnet messages of a burst lost while the connection was down leave no later
// sequence number to show the gap: the reconnection itself asks for the full state.
TEST_F(NatsSubscriberTest, AReconnectionWhileSubscribedAsksForTheFullState) {
  push(portMessage("p1", schema::CREATE));
  ASSERT_TRUE(waitFor([&] { return notices().size() == 1; }, 5s));
  cluster_->kill(0);
  ASSERT_TRUE(cluster_->restart(0).ok());
  ASSERT_TRUE(waitFor([&] { return resyncs_.load() == 1; }, 10s));
  EXPECT_EQ(subscriber_->stats().reconnects, 1u);
  EXPECT_EQ(subscriber_->stats().gaps, 0u);
  EXPECT_EQ(subscriber_->stats().resync_requests, 1u);
  // Without a subnet subscription there is nothing to repair.
  push(portMessage("p1", schema::DELETE));
  cluster_->kill(0);
  ASSERT_TRUE(cluster_->restart(0).ok());
  ASSERT_TRUE(waitFor([&] { return subscriber_->stats().reconnects == 2; }, 10s));
  EXPECT_EQ(resyncs_.load(), 1);
}

TEST_F(NatsSubscriberTest, OlderUnicastCopiesOfAMulticastNeighborAreDroppedOwnPortIgnored) {
  push(portMessage("p1", schema::CREATE));
  baseline(0);
  schema::GoalStateV2 del;
  addNeighbor(del, "x", kOther, 9, schema::DELETE);
  schema::GoalStateV2 create;
  addNeighbor(create, "x", kOther, 8);
  push(create);  // applied: nothing newer yet
  EXPECT_EQ(agent_.neighborRevision("L2/x"), 8u);
  multicast(del, 1);  // the newer delete, by multicast
  sync();
  EXPECT_FALSE(agent_.neighborRevision("L2/x"));
  push(create);  // a late unicast copy of the older create: dropped
  EXPECT_FALSE(agent_.neighborRevision("L2/x"));
  EXPECT_EQ(subscriber_->stats().stale_neighbors, 1u);
  schema::GoalStateV2 newer;
  addNeighbor(newer, "x", kOther, 10);
  push(newer);  // a newer unicast copy is applied
  EXPECT_EQ(agent_.neighborRevision("L2/x"), 10u);

  schema::GoalStateV2 own;
  addNeighbor(own, "p1", kNode, 11);
  multicast(own, 2);
  sync();
  EXPECT_FALSE(agent_.neighborRevision("L2/p1"));
}

TEST_F(NatsSubscriberTest, ANewControllerEpochResetsAndRepeatsTheSubscriptions) {
  push(portMessage("p1", schema::CREATE));
  ASSERT_TRUE(waitFor([&] { return notices().size() == 1; }, 5s));
  auto reply =
      controller_->request(sb::hostSubject(kNode), schema::GoalStateV2().SerializeAsString(),
                           {{sb::kEpochHeader, "e2"}}, 5s);
  ASSERT_TRUE(reply.ok());
  ASSERT_TRUE(waitFor([&] { return notices().size() == 2; }, 5s));
  EXPECT_EQ(notices()[1], "subscribed " + kSubject);
}

}  // namespace
}  // namespace alcor::agent

namespace alcor::agent {
namespace {

// --southbound=auto: the gRPC server hands unicast messages to applyUnicast.
TEST_F(NatsSubscriberTest, GrpcDeliveredMessagesDriveSubscriptionsAndAreOrderedByRevision) {
  auto reply = subscriber_->applyUnicast(portMessage("p1", schema::CREATE), "e1");
  ASSERT_EQ(reply.operation_statuses_size(), 1);
  EXPECT_EQ(reply.operation_statuses(0).operation_status(), schema::SUCCESS);
  EXPECT_EQ(subscriber_->subjects(), std::set<std::string>{kSubject});
  ASSERT_TRUE(waitFor([&] { return notices().size() == 1; }, 5s));
  EXPECT_EQ(notices()[0], "subscribed " + kSubject);
  baseline(0);

  // The VPC went back to gRPC: a newer unicast copy arrives before a subnet message still on
  // its way with an older one, which must not undo it.
  schema::GoalStateV2 newer;
  addNeighbor(newer, "x", kOther, 12);
  subscriber_->applyUnicast(newer, "e1");
  schema::GoalStateV2 older;
  addNeighbor(older, "x", kOther, 11);
  multicast(older, 1);
  sync();
  EXPECT_EQ(agent_.neighborRevision("L2/x"), 12u);
  // The same for a delete: the late create does not bring the neighbor back.
  schema::GoalStateV2 del;
  addNeighbor(del, "y", kOther, 14, schema::DELETE);
  subscriber_->applyUnicast(del, "e1");
  schema::GoalStateV2 create;
  addNeighbor(create, "y", kOther, 13);
  multicast(create, 2);
  sync();
  EXPECT_FALSE(agent_.neighborRevision("L2/y"));
  EXPECT_EQ(subscriber_->stats().stale_neighbors, 2u);
  // Newer subnet copies still apply.
  schema::GoalStateV2 next;
  addNeighbor(next, "x", kOther, 15);
  multicast(next, 3);
  sync();
  EXPECT_EQ(agent_.neighborRevision("L2/x"), 15u);
  EXPECT_EQ(resyncs_.load(), 0);

  // A controller restart seen on the gRPC path: revisions start again, subscriptions repeated.
  schema::GoalStateV2 restarted;
  addNeighbor(restarted, "x", kOther, 1);
  subscriber_->applyUnicast(restarted, "e2");
  EXPECT_EQ(agent_.neighborRevision("L2/x"), 1u);
  ASSERT_TRUE(waitFor([&] { return notices().size() == 2; }, 5s));
  EXPECT_EQ(notices()[1], "subscribed " + kSubject);

  // The last port deleted over gRPC: unsubscribed.
  subscriber_->applyUnicast(portMessage("p1", schema::DELETE), "e2");
  EXPECT_TRUE(subscriber_->subjects().empty());
  ASSERT_TRUE(waitFor([&] { return notices().size() == 3; }, 5s));
  EXPECT_EQ(notices()[2], "unsubscribed " + kSubject);
}

// Deleted neighbors keep their revision for the last 65,536 deletes only (memory stays bounded);
// a neighbor created again after its delete is not forgotten with that delete.
TEST_F(NatsSubscriberTest, OnlyTheLastDeletesAreRemembered) {
  subscriber_->applyUnicast(portMessage("p1", schema::CREATE), "e1");
  baseline(0);
  schema::GoalStateV2 gone;
  addNeighbor(gone, "gone", kOther, 2, schema::DELETE);
  subscriber_->applyUnicast(gone, "e1");  // the oldest of 65,538 deletes
  for (uint32_t i = 0; i <= 65536; ++i) {
    schema::GoalStateV2 del;
    addNeighbor(del, "n" + std::to_string(i), kOther, 10 + i, schema::DELETE);
    subscriber_->applyUnicast(del, "e1");
    if (i == 0) {
      schema::GoalStateV2 recreated;
      addNeighbor(recreated, "n0", kOther, 5);  // created again (its cached older state)
      subscriber_->applyUnicast(recreated, "e1");
    }
  }
  // The two oldest deletes are forgotten: a late older create of "gone" applies again.
  schema::GoalStateV2 late_gone;
  addNeighbor(late_gone, "gone", kOther, 1);
  multicast(late_gone, 1);
  // n0's delete went too, but n0 lives again: its revision (5) stays.
  schema::GoalStateV2 late;
  addNeighbor(late, "n0", kOther, 4);
  multicast(late, 2);
  // n1's delete is still remembered: a late create does not bring it back.
  schema::GoalStateV2 late1;
  addNeighbor(late1, "n1", kOther, 3);
  multicast(late1, 3);
  sync();
  EXPECT_EQ(agent_.neighborRevision("L2/gone"), 1u);
  EXPECT_EQ(agent_.neighborRevision("L2/n0"), 5u);
  EXPECT_FALSE(agent_.neighborRevision("L2/n1"));
  EXPECT_EQ(subscriber_->stats().stale_neighbors, 2u);
}

}  // namespace
}  // namespace alcor::agent
