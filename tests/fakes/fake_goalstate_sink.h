#pragma once

// GoalStateSink fake: records what the DPM and the services queue, per host and in order,
// without pushing anything. enqueueNow answers at once with a status the test chooses.

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "controller/dpm/goalstate_sink.h"

namespace alcor::controller {

class FakeGoalStateSink : public GoalStateSink {
 public:
  void setAddress(const std::string& host_ip, const std::string& address) override {
    std::lock_guard lock(mu_);
    addresses_[host_ip] = address;
  }
  void forget(const std::string& host_ip) override {
    std::lock_guard lock(mu_);
    addresses_.erase(host_ip);
    queued_.erase(host_ip);
    forgotten_.insert(host_ip);
  }
  void enqueue(HostStates states) override {
    std::lock_guard lock(mu_);
    for (auto& [host, list] : states) {
      auto& q = queued_[host];
      q.insert(q.end(), list.begin(), list.end());
    }
  }
  void requestResync(const std::string& host_ip) override {
    std::lock_guard lock(mu_);
    queued_[host_ip].clear();
    resyncs_.insert(host_ip);
  }
  std::future<Status> enqueueNow(const std::string& host_ip,
                                 std::vector<StatePtr> states) override {
    std::lock_guard lock(mu_);
    auto& q = queued_[host_ip];
    q.insert(q.end(), states.begin(), states.end());
    std::promise<Status> p;
    p.set_value(now_status_);
    return p.get_future();
  }

  void vpcPortsChanged(const std::string& vpc_id, size_t ports) override {
    std::lock_guard lock(mu_);
    vpc_ports_[vpc_id] = ports;
  }
  // The last count the DPM gave for the VPC; -1 when none.
  int64_t vpcPorts(const std::string& vpc_id) const {
    std::lock_guard lock(mu_);
    auto it = vpc_ports_.find(vpc_id);
    return it == vpc_ports_.end() ? -1 : static_cast<int64_t>(it->second);
  }

  // What enqueueNow answers from now on.
  void answerNow(Status status) {
    std::lock_guard lock(mu_);
    now_status_ = std::move(status);
  }
  // Everything queued for the host since the last take(), and forgets it.
  std::vector<StatePtr> take(const std::string& host_ip) {
    std::lock_guard lock(mu_);
    std::vector<StatePtr> out;
    out.swap(queued_[host_ip]);
    return out;
  }
  void clear() {
    std::lock_guard lock(mu_);
    queued_.clear();
    resyncs_.clear();
    forgotten_.clear();
    vpc_ports_.clear();
  }
  std::string address(const std::string& host_ip) const {
    std::lock_guard lock(mu_);
    auto it = addresses_.find(host_ip);
    return it == addresses_.end() ? "" : it->second;
  }
  bool resyncRequested(const std::string& host_ip) const {
    std::lock_guard lock(mu_);
    return resyncs_.count(host_ip) > 0;
  }
  bool forgotten(const std::string& host_ip) const {
    std::lock_guard lock(mu_);
    return forgotten_.count(host_ip) > 0;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::string> addresses_;
  std::map<std::string, std::vector<StatePtr>> queued_;
  std::set<std::string> resyncs_;
  std::set<std::string> forgotten_;
  std::map<std::string, size_t> vpc_ports_;
  Status now_status_;
};

}  // namespace alcor::controller
