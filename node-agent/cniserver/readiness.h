#pragma once

// Whether the agent can serve ADD: OVS bridges set up, the node registered, state reconciled.
// ADD waits a bounded time for readiness and then fails with TRY_AGAIN_LATER and the reason.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>

namespace alcor::agent {

class Readiness {
 public:
  void set(bool ready, std::string reason = "") {
    std::lock_guard<std::mutex> lock(mu_);
    ready_ = ready;
    reason_ = std::move(reason);
    cv_.notify_all();
  }
  bool wait(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return ready_; });
  }
  bool ready() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ready_;
  }
  std::string reason() const {
    std::lock_guard<std::mutex> lock(mu_);
    return reason_.empty() ? (ready_ ? "ready" : "starting") : reason_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool ready_ = false;
  std::string reason_ = "starting";
};

}  // namespace alcor::agent
