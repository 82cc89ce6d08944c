#pragma once

// SecurityPolicyWriter fake: an in-memory store of groups and pod ports with the real writer's
// checks (all or nothing; groups must exist before ports or rules name them; a group still in
// use cannot go), a count of applies and what each changed, and injectable failures.

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/netpol/policy_writer.h"
#include "lib/base/strings.h"

namespace alcor::controller::netpol {

class FakeSecurityPolicyWriter : public SecurityPolicyWriter {
 public:
  // A pod's port (device id = pod UID) with its own security groups.
  void addPort(const std::string& port_id, const std::string& pod_uid,
               std::vector<std::string> own_groups = {}) {
    {
      std::lock_guard lock(mu_);
      ports_[port_id] = {port_id, pod_uid, !own_groups.empty(), {}};
      own_[port_id] = std::move(own_groups);
      if (auto g = callbacks_.groupsForNewPort(pod_uid, ports_[port_id].has_own_groups)) {
        ports_[port_id].groups = *g;
      }
    }
    callbacks_.notify();
  }
  void removePort(const std::string& port_id) {
    {
      std::lock_guard lock(mu_);
      ports_.erase(port_id);
      own_.erase(port_id);
    }
    callbacks_.notify();
  }
  void fail(Status s) {
    std::lock_guard lock(mu_);
    fail_ = std::move(s);
  }

  std::vector<SecurityGroup> listGroups(const std::string& prefix) const override {
    std::lock_guard lock(mu_);
    std::vector<SecurityGroup> out;
    for (const auto& [id, g] : groups_) {
      if (startsWith(id, prefix)) out.push_back(g);
    }
    return out;
  }
  std::vector<PodPort> listPodPorts() const override {
    std::lock_guard lock(mu_);
    std::vector<PodPort> out;
    for (const auto& [id, p] : ports_) out.push_back(p);
    return out;
  }
  Status apply(const SecurityPolicyChange& change) override {
    std::lock_guard lock(mu_);
    if (!fail_.ok()) return fail_;
    auto groups = groups_;
    auto ports = ports_;
    for (const auto& g : change.put) groups[g.id.str()] = g;
    for (const auto& [id, m] : change.ports) {
      if (!ports.count(id)) continue;
      for (const auto* list : {&m.filter, &m.address}) {
        for (const auto& g : *list) {
          if (!groups.count(g)) return notFoundError("group " + g + " of port " + id);
        }
      }
      ports[id].groups = m;
    }
    for (const auto& id : change.remove) groups.erase(id);
    for (const auto& [id, p] : ports) {
      for (const auto* list : {&p.groups.filter, &p.groups.address}) {
        for (const auto& g : *list) {
          if (!groups.count(g)) return failedPreconditionError("port " + id + " uses " + g);
        }
      }
    }
    for (const auto& [id, g] : groups) {
      for (const auto& r : g.rules) {
        if (!r.remote_group_id.empty() && !groups.count(r.remote_group_id.str())) {
          return notFoundError("remote group " + r.remote_group_id + " of " + id);
        }
      }
    }
    groups_ = std::move(groups);
    ports_ = std::move(ports);
    ++applies_;
    last_change_ = change;
    return okStatus();
  }
  void setPortObserver(std::function<void()> observer) override {
    callbacks_.setObserver(std::move(observer));
  }
  void setGroupsForNewPort(GroupsForNewPort source) override {
    callbacks_.setSource(std::move(source));
  }

  // Inspection.
  std::map<std::string, SecurityGroup> groups() const {
    std::lock_guard lock(mu_);
    return groups_;
  }
  std::optional<PodPort> port(const std::string& id) const {
    std::lock_guard lock(mu_);
    auto it = ports_.find(id);
    return it == ports_.end() ? std::nullopt : std::optional<PodPort>(it->second);
  }
  std::vector<std::string> ownGroups(const std::string& port_id) const {
    std::lock_guard lock(mu_);
    auto it = own_.find(port_id);
    return it == own_.end() ? std::vector<std::string>{} : it->second;
  }
  int applies() const {
    std::lock_guard lock(mu_);
    return applies_;
  }
  SecurityPolicyChange lastChange() const {
    std::lock_guard lock(mu_);
    return last_change_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, SecurityGroup> groups_;
  std::map<std::string, PodPort> ports_;
  std::map<std::string, std::vector<std::string>> own_;
  Status fail_;
  int applies_ = 0;
  SecurityPolicyChange last_change_;
  PortCallbacks callbacks_;
};

}  // namespace alcor::controller::netpol
