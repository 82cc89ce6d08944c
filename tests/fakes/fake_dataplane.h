#pragma once

// Dataplane fake: applies mutations to an in-memory NetworkState, records the change sets, and
// can be told to fail programming. A port counts as programmed when it has an interface (or is
// a plugged host gateway's port).

#include <condition_variable>
#include <mutex>
#include <vector>

#include "node-agent/dataplane/dataplane.h"

namespace alcor::agent {

class FakeDataplane : public Dataplane {
 public:
  Status update(const Mutation& mutation) override {
    std::lock_guard<std::mutex> lock(mu_);
    ChangeSet changes;
    mutation(state_, changes);
    change_log_.push_back(changes);
    cv_.notify_all();
    return next_status_;
  }

  void read(const std::function<void(const NetworkState&)>& reader) const override {
    std::lock_guard<std::mutex> lock(mu_);
    reader(state_);
  }

  std::set<std::string> waitForPorts(const std::set<std::string>& ids,
                                     std::chrono::steady_clock::time_point deadline) override {
    std::unique_lock<std::mutex> lock(mu_);
    auto ready = [&] {
      std::set<std::string> out;
      for (const auto& id : ids) {
        if (state_.portIsPlugged(id) || state_.pluggedHostGateway(id)) out.insert(id);
      }
      return out;
    };
    cv_.wait_until(lock, deadline, [&] { return ready().size() == ids.size(); });
    return ready();
  }

  void attach(const std::string& port_id, uint32_t ofport) {
    std::lock_guard<std::mutex> lock(mu_);
    state_.interfaces[port_id] = LocalInterface{port_id, "tap" + port_id, ofport};
    cv_.notify_all();
  }

  // Changes the state from the side (as the GoalState handler would), waking waiters.
  void mutate(const Mutation& mutation) {
    std::lock_guard<std::mutex> lock(mu_);
    ChangeSet changes;
    mutation(state_, changes);
    cv_.notify_all();
  }

  void failNextUpdates(Status status) { next_status_ = std::move(status); }
  NetworkState state() const {
    std::lock_guard<std::mutex> lock(mu_);
    return state_;
  }
  std::vector<ChangeSet> changeLog() const {
    std::lock_guard<std::mutex> lock(mu_);
    return change_log_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  NetworkState state_;
  std::vector<ChangeSet> change_log_;
  Status next_status_;
};

}  // namespace alcor::agent
