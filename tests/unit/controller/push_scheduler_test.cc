// PushScheduler on its own, over FakeGoalStatePusher: per-host order, coalescing of what is
// queued while a push is in flight, neighbor chunks, the same encoded bytes for every host,
// backoff and retry of what was not delivered, acknowledgements, full resyncs, shutdown.

#include "controller/dpm/push_scheduler.h"

#include <gtest/gtest.h>

#include <thread>

#include "tests/fakes/fake_goalstate_pusher.h"

namespace alcor::controller {
namespace {

using namespace std::chrono_literals;

StatePtr portState(const std::string& id, schema::OperationType op = schema::CREATE,
                   const std::string& name = "") {
  schema::PortState s;
  s.set_operation_type(op);
  s.mutable_configuration()->set_id(id);
  s.mutable_configuration()->set_name(name);
  return encodeState(schema::PORT, id, s);
}

StatePtr vpcState(const std::string& id) {
  schema::VpcState s;
  s.set_operation_type(schema::INFO);
  s.mutable_configuration()->set_id(id);
  return encodeState(schema::VPC, id, s);
}

StatePtr neighborState(const std::string& id, const StatePtr& vpc) {
  schema::NeighborState s;
  s.set_operation_type(schema::CREATE);
  s.mutable_configuration()->set_id(id);
  return encodeState(schema::NEIGHBOR, "L2/" + id, s, {vpc});
}

schema::GoalStateV2 parse(const FakeGoalStatePusher::Sent& sent) {
  schema::GoalStateV2 gs;
  EXPECT_TRUE(gs.ParseFromString(sent.bytes));
  return gs;
}

class PushSchedulerTest : public ::testing::Test {
 protected:
  void start(PushSchedulerOptions options = {}) {
    options.initial_backoff = 20ms;
    options.max_backoff = 40ms;
    scheduler_ = std::make_unique<PushScheduler>(pusher_, options);
    scheduler_->setAckCallback(
        [this](const std::string& host, const std::vector<std::string>& ids) {
          std::lock_guard lock(mu_);
          for (const auto& id : ids) acked_.push_back(host + " " + id);
        });
    scheduler_->setFullStateProvider([this](const std::string& host) {
      std::lock_guard lock(mu_);
      ++full_state_calls_;
      return std::vector<StatePtr>{portState("full-of-" + host)};
    });
    scheduler_->start();
  }
  void TearDown() override {
    pusher_.release();
    if (scheduler_) scheduler_->stop();
  }

  FakeGoalStatePusher pusher_;
  std::unique_ptr<PushScheduler> scheduler_;
  std::mutex mu_;
  std::vector<std::string> acked_;
  int full_state_calls_ = 0;
};

TEST_F(PushSchedulerTest, HoldsStatesUntilTheHostHasAnAddress) {
  start();
  scheduler_->enqueue({{"10.0.0.1", {portState("p1")}}});
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  EXPECT_TRUE(pusher_.sent().empty());
  EXPECT_EQ(scheduler_->stats().queue_depth, 1u);
  scheduler_->setAddress("10.0.0.1", "10.0.0.1:50001");
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  auto sent = pusher_.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].address, "10.0.0.1:50001");
  auto gs = parse(sent[0]);
  EXPECT_EQ(gs.port_states().count("p1"), 1u);
  // Exactly one host_resources key, the host, listing the state.
  ASSERT_EQ(gs.host_resources().size(), 1);
  EXPECT_EQ(gs.host_resources().at("10.0.0.1").resources_size(), 1);
}

TEST_F(PushSchedulerTest, KeepsOrderAndCoalescesWhatIsQueuedDuringAPush) {
  start({.workers = 4});
  scheduler_->setAddress("10.0.0.1", "a:1");
  pusher_.hold();
  scheduler_->enqueue({{"10.0.0.1", {portState("p1")}}});
  ASSERT_TRUE(pusher_.waitStarted(1, 1s));
  // Queued while p1's push is in flight: one later message, p2 updated then deleted.
  scheduler_->enqueue({{"10.0.0.1", {portState("p2", schema::CREATE)}}});
  scheduler_->enqueue({{"10.0.0.1", {portState("p3", schema::CREATE)}}});
  scheduler_->enqueue({{"10.0.0.1", {portState("p2", schema::DELETE)}}});
  std::this_thread::sleep_for(50ms);  // idle workers must not start a second push to the host
  pusher_.release();
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  auto sent = pusher_.sent();
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(parse(sent[0]).port_states().count("p1"), 1u);
  auto second = parse(sent[1]);
  EXPECT_EQ(second.port_states().size(), 2);
  EXPECT_EQ(second.port_states().at("p2").operation_type(), schema::DELETE);
  EXPECT_EQ(second.port_states().at("p3").operation_type(), schema::CREATE);
}

TEST_F(PushSchedulerTest, SplitsNeighborsIntoChunksWithTheirContext) {
  start({.max_neighbors_per_message = 2});
  scheduler_->setAddress("10.0.0.1", "a:1");
  StatePtr vpc = vpcState("vpc1");
  std::vector<StatePtr> states{portState("own")};
  for (int i = 0; i < 5; ++i) states.push_back(neighborState("n" + std::to_string(i), vpc));
  scheduler_->enqueue({{"10.0.0.1", states}});
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  auto sent = pusher_.sent();
  // The port (and the VPC its neighbors need) first, then 2 + 2 + 1 neighbors.
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(parse(sent[0]).port_states().size(), 1);
  EXPECT_EQ(parse(sent[0]).neighbor_states().size(), 0);
  size_t neighbors = 0;
  for (size_t i = 1; i < sent.size(); ++i) {
    auto gs = parse(sent[i]);
    EXPECT_LE(gs.neighbor_states().size(), 2);
    EXPECT_EQ(gs.vpc_states().count("vpc1"), 1u) << "chunk " << i << " lacks its VPC";
    neighbors += gs.neighbor_states().size();
  }
  EXPECT_EQ(neighbors, 5u);
}

TEST_F(PushSchedulerTest, SendsTheSameEncodedBytesToEveryHost) {
  start();
  StatePtr shared = neighborState("n1", vpcState("vpc1"));
  HostStates states;
  for (int h = 1; h <= 3; ++h) {
    std::string ip = "10.0.0." + std::to_string(h);
    scheduler_->setAddress(ip, ip + ":1");
    states[ip] = {shared};
  }
  scheduler_->enqueue(states);
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  auto sent = pusher_.sent();
  ASSERT_EQ(sent.size(), 3u);
  for (const auto& s : sent) {
    EXPECT_NE(s.bytes.find(shared->bytes), std::string::npos) << s.address;
    auto gs = parse(s);
    EXPECT_EQ(gs.neighbor_states().at("L2/n1").configuration().id(), "n1");
  }
}

TEST_F(PushSchedulerTest, RetriesWithBackoffAndKeepsWhatWasNotDelivered) {
  start();
  scheduler_->setAddress("10.0.0.1", "a:1");
  pusher_.fail(unavailableError("connection refused"));
  scheduler_->enqueue({{"10.0.0.1", {portState("p1")}}});
  // Several attempts, spaced by the backoff.
  for (int i = 0; i < 200 && pusher_.failedAttempts().size() < 3; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  ASSERT_GE(pusher_.failedAttempts().size(), 3u);
  auto stats = scheduler_->stats();
  EXPECT_GE(stats.rpc_failures, 3u);
  EXPECT_EQ(stats.queue_depth, 1u);
  scheduler_->enqueue({{"10.0.0.1", {portState("p2")}}});
  pusher_.fail(okStatus());
  ASSERT_TRUE(scheduler_->waitIdle(2s));
  auto sent = pusher_.sent();
  ASSERT_EQ(sent.size(), 1u);
  auto gs = parse(sent[0]);
  EXPECT_EQ(gs.port_states().count("p1"), 1u);
  EXPECT_EQ(gs.port_states().count("p2"), 1u);
  EXPECT_EQ(scheduler_->stats().queue_depth, 0u);
}

TEST_F(PushSchedulerTest, ReportsAcknowledgedPorts) {
  start();
  scheduler_->setAddress("10.0.0.1", "a:1");
  pusher_.answer({.acknowledged_ports = {"p1"}, .failures = {}});
  scheduler_->enqueue({{"10.0.0.1", {portState("p1")}}});
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  std::lock_guard lock(mu_);
  EXPECT_EQ(acked_, std::vector<std::string>{"10.0.0.1 p1"});
}

TEST_F(PushSchedulerTest, ResyncReplacesTheQueueByTheFullState) {
  start();
  scheduler_->enqueue({{"10.0.0.1", {portState("stale")}}});
  scheduler_->requestResync("10.0.0.1");
  scheduler_->setAddress("10.0.0.1", "a:1");
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  auto sent = pusher_.sent();
  ASSERT_EQ(sent.size(), 1u);
  auto gs = parse(sent[0]);
  EXPECT_EQ(gs.port_states().count("full-of-10.0.0.1"), 1u);
  EXPECT_EQ(gs.port_states().count("stale"), 0u);
  EXPECT_EQ(scheduler_->stats().resyncs, 1u);
}

TEST_F(PushSchedulerTest, TooLongAQueueBecomesAResync) {
  start({.max_pending_resources = 3});
  for (int i = 0; i < 4; ++i) {
    scheduler_->enqueue({{"10.0.0.1", {portState("p" + std::to_string(i))}}});
  }
  scheduler_->setAddress("10.0.0.1", "a:1");
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  auto sent = pusher_.sent();
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(parse(sent[0]).port_states().size(), 1);
  EXPECT_EQ(parse(sent[0]).port_states().count("full-of-10.0.0.1"), 1u);
}

TEST_F(PushSchedulerTest, EnqueueNowReportsDeliveryAndGoesFirst) {
  start({.workers = 1});
  scheduler_->setAddress("10.0.0.1", "a:1");
  scheduler_->setAddress("10.0.0.2", "b:1");
  pusher_.hold();
  scheduler_->enqueue({{"10.0.0.1", {portState("p1")}}});
  ASSERT_TRUE(pusher_.waitStarted(1, 1s));
  scheduler_->enqueue({{"10.0.0.1", {portState("p2")}}});
  auto delivered = scheduler_->enqueueNow("10.0.0.2", {portState("asked")});
  EXPECT_EQ(delivered.wait_for(30ms), std::future_status::timeout);
  pusher_.release();
  ASSERT_EQ(delivered.wait_for(1s), std::future_status::ready);
  EXPECT_TRUE(delivered.get().ok());
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  auto sent = pusher_.sent();
  ASSERT_EQ(sent.size(), 3u);
  // The one worker served the waiting host before the rest of host 1's queue.
  EXPECT_EQ(sent[1].address, "b:1");
  EXPECT_EQ(sent[2].address, "a:1");
}

TEST_F(PushSchedulerTest, EnqueueNowFailsForAHostWithoutAgent) {
  start();
  auto delivered = scheduler_->enqueueNow("10.0.0.9", {portState("x")});
  ASSERT_EQ(delivered.wait_for(1s), std::future_status::ready);
  EXPECT_EQ(delivered.get().code(), StatusCode::kUnavailable);
}

TEST_F(PushSchedulerTest, StopCancelsWaitersAndRefusesNewWork) {
  start();
  scheduler_->setAddress("10.0.0.1", "a:1");
  pusher_.fail(unavailableError("down"));
  auto delivered = scheduler_->enqueueNow("10.0.0.1", {portState("p1")});
  ASSERT_EQ(delivered.wait_for(1s), std::future_status::ready);
  EXPECT_FALSE(delivered.get().ok());  // the attempt failed; the state stays queued
  pusher_.hold();
  pusher_.fail(okStatus());
  auto waiting = scheduler_->enqueueNow("10.0.0.1", {portState("p2")});
  pusher_.cancelAll();
  scheduler_->stop();
  ASSERT_EQ(waiting.wait_for(1s), std::future_status::ready);
  EXPECT_FALSE(waiting.get().ok());
  auto after = scheduler_->enqueueNow("10.0.0.1", {portState("p3")});
  ASSERT_EQ(after.wait_for(1s), std::future_status::ready);
  EXPECT_FALSE(after.get().ok());
  EXPECT_TRUE(pusher_.sent().empty());
}

TEST_F(PushSchedulerTest, ForgetDropsTheHostsQueue) {
  start();
  scheduler_->enqueue({{"10.0.0.1", {portState("p1")}}});
  scheduler_->forget("10.0.0.1");
  scheduler_->setAddress("10.0.0.1", "a:1");
  ASSERT_TRUE(scheduler_->waitIdle(1s));
  EXPECT_TRUE(pusher_.sent().empty());
}

}  // namespace
}  // namespace alcor::controller
