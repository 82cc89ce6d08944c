#pragma once

// What an agent's GoalStateHandler would hold, reduced to ports and neighbors by key, for tests
// of the NATS path (NatsGoalStateSubscriber::Apply): applies CREATE/UPDATE/DELETE in message
// order and answers SUCCESS for every port.

#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "alcor/goalstate.pb.h"
#include "alcor/goalstateprovisioner.pb.h"

namespace alcor::agent {

class RecordingGoalStateApply {
 public:
  schema::GoalStateOperationReply apply(const schema::GoalStateV2& gs) {
    std::lock_guard lock(mu_);
    ++messages_;
    schema::GoalStateOperationReply reply;
    for (const auto& [key, st] : gs.neighbor_states()) {
      if (st.operation_type() == schema::DELETE) {
        neighbors_.erase(key);
      } else {
        neighbors_[key] = st;
      }
    }
    for (const auto& [key, st] : gs.port_states()) {
      if (st.operation_type() == schema::DELETE) {
        ports_.erase(key);
      } else {
        ports_.insert(key);
      }
      auto* s = reply.add_operation_statuses();
      s->set_resource_id(key);
      s->set_resource_type(schema::PORT);
      s->set_operation_type(st.operation_type());
      s->set_operation_status(schema::SUCCESS);
    }
    return reply;
  }

  std::optional<uint32_t> neighborRevision(const std::string& key) const {
    std::lock_guard lock(mu_);
    auto it = neighbors_.find(key);
    if (it == neighbors_.end()) return std::nullopt;
    return it->second.configuration().revision_number();
  }
  std::set<std::string> neighborKeys() const {
    std::lock_guard lock(mu_);
    std::set<std::string> out;
    for (const auto& [key, st] : neighbors_) out.insert(key);
    return out;
  }
  std::set<std::string> ports() const {
    std::lock_guard lock(mu_);
    return ports_;
  }
  int messages() const {
    std::lock_guard lock(mu_);
    return messages_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, schema::NeighborState> neighbors_;
  std::set<std::string> ports_;
  int messages_ = 0;
};

}  // namespace alcor::agent
