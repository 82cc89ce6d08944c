#pragma once

// GoalStatePusher fake: records every message it is given (address, version, bytes) in order and
// answers with what the test sets: a PushReply (acknowledged ports, failures), an error, or
// what a delivery function (in-process agents) answers.
// hold() makes pushes wait until release(), to observe
// what a scheduler queues while a push is in flight.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "controller/dpm/goalstate_pusher.h"

namespace alcor::controller {

class FakeGoalStatePusher : public GoalStatePusher {
 public:
  struct Sent {
    std::string address;
    int version = 2;
    std::string bytes;
    size_t resources = 0;
  };

  StatusOr<PushReply> push(const std::string& address, const EncodedGoalState& message) override {
    std::unique_lock lock(mu_);
    ++started_;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !held_ || cancelled_; });
    if (cancelled_) return cancelledError("the pusher was cancelled");
    if (!fail_.ok()) {
      failed_attempts_.push_back(address);
      return fail_;
    }
    sent_.push_back({address, message.version, message.bytes, message.resources});
    cv_.notify_all();
    if (deliver_) {
      Deliver deliver = deliver_;
      lock.unlock();
      return deliver(address, message);
    }
    return reply_;
  }
  void cancelAll() override {
    std::lock_guard lock(mu_);
    cancelled_ = true;
    cv_.notify_all();
  }

  // Every push fails with `status` (okStatus(): succeed again).
  void fail(Status status) {
    std::lock_guard lock(mu_);
    fail_ = std::move(status);
  }
  // Pushes are handed to `deliver` (in-process agents standing for the gRPC transport), whose
  // answer is the push's; they are recorded all the same.
  using Deliver = std::function<StatusOr<PushReply>(const std::string& address,
                                                    const EncodedGoalState& message)>;
  void deliverTo(Deliver deliver) {
    std::lock_guard lock(mu_);
    deliver_ = std::move(deliver);
  }
  void answer(PushReply reply) {
    std::lock_guard lock(mu_);
    reply_ = std::move(reply);
  }
  void hold() {
    std::lock_guard lock(mu_);
    held_ = true;
  }
  void release() {
    std::lock_guard lock(mu_);
    held_ = false;
    cv_.notify_all();
  }
  // Waits until `n` pushes have started (held or not); false after `timeout`.
  bool waitStarted(size_t n, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return started_ >= n; });
  }
  std::vector<Sent> sent() const {
    std::lock_guard lock(mu_);
    return sent_;
  }
  std::vector<std::string> failedAttempts() const {
    std::lock_guard lock(mu_);
    return failed_attempts_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Sent> sent_;
  std::vector<std::string> failed_attempts_;
  size_t started_ = 0;
  bool held_ = false;
  bool cancelled_ = false;
  Status fail_;
  PushReply reply_;
  Deliver deliver_;
};

}  // namespace alcor::controller
