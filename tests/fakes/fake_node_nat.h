#pragma once

// NodeNat fake: keeps the networks of the last apply() and can be told to fail.

#include <mutex>
#include <vector>

#include "node-agent/host/node_nat.h"

namespace alcor::agent {

class FakeNodeNat : public NodeNat {
 public:
  Status apply(const std::vector<HostNetwork>& networks) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!fail_.ok()) return fail_;
    networks_ = networks;
    ++applies_;
    return okStatus();
  }
  Status remove() override {
    std::lock_guard<std::mutex> lock(mu_);
    networks_.clear();
    removed_ = true;
    return okStatus();
  }
  void fail(Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    fail_ = std::move(s);
  }
  std::vector<HostNetwork> networks() const {
    std::lock_guard<std::mutex> lock(mu_);
    return networks_;
  }
  int applies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return applies_;
  }
  bool removed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return removed_;
  }

 private:
  mutable std::mutex mu_;
  Status fail_;
  std::vector<HostNetwork> networks_;
  int applies_ = 0;
  bool removed_ = false;
};

}  // namespace alcor::agent
