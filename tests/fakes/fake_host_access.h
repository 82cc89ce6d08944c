#pragma once

// HostAccess fake: records the VPCs asked for and answers with a per-VPC status (OK unless set).

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "node-agent/cniserver/host_access.h"

namespace alcor::agent {

class FakeHostAccess : public HostAccess {
 public:
  Status ensure(const std::string& project, const std::string& vpc_id,
                const std::string& subnet_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    calls_.push_back({project, vpc_id, subnet_id});
    auto it = answers_.find(vpc_id);
    return it == answers_.end() ? okStatus() : it->second;
  }

  void answer(const std::string& vpc_id, Status status) {
    std::lock_guard<std::mutex> lock(mu_);
    answers_[vpc_id] = std::move(status);
  }
  struct Call {
    std::string project, vpc_id, subnet_id;
  };
  std::vector<Call> calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return calls_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, Status> answers_;
  std::vector<Call> calls_;
};

}  // namespace alcor::agent
