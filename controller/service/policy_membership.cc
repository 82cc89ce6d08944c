// NetworkService: the groups and port memberships the NetworkPolicy component owns
// (docs/design/network-policy.md). Ports keep them apart from their own security groups.

#include "controller/model/json_codec.h"
#include "controller/service/network_service.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"

namespace alcor::controller {

void NetworkService::setPolicyHooks(std::string managed_group_prefix, std::string owner,
                                    PolicyMembershipSource source,
                                    std::function<void()> ports_changed) {
  std::lock_guard lock(mu_);
  managed_group_prefix_ = std::move(managed_group_prefix);
  policy_port_owner_ = std::move(owner);
  policy_membership_ = std::move(source);
  ports_changed_ = std::move(ports_changed);
}

Status NetworkService::refuseManagedGroup(const std::string& group_id) const {
  if (managed_group_prefix_.empty() || !startsWith(group_id, managed_group_prefix_)) {
    return okStatus();
  }
  return failedPreconditionError("security group " + group_id +
                                 " is managed by the NetworkPolicy component; change the "
                                 "NetworkPolicy instead");
}

void NetworkService::applyPolicyMembershipLocked(Port& p) const {
  p.policy_security_groups.clear();
  p.policy_address_groups.clear();
  if (!policy_membership_ || p.device_owner != policy_port_owner_) return;
  auto m = policy_membership_(p.device_id, !p.security_groups.empty());
  if (!m) return;
  for (const auto& id : m->filter) {
    if (groups_.count(id)) p.policy_security_groups.push_back(id);
  }
  for (const auto& id : m->address) {
    if (groups_.count(id)) p.policy_address_groups.push_back(id);
  }
}

std::vector<SecurityGroup> NetworkService::listSecurityGroupsWithPrefix(
    const std::string& id_prefix) const {
  std::lock_guard lock(mu_);
  std::vector<SecurityGroup> out;
  for (auto it = groups_.lower_bound(id_prefix);
       it != groups_.end() && startsWith(it->first, id_prefix); ++it) {
    out.push_back(it->second);
  }
  return out;
}

std::vector<Port> NetworkService::listPortsOfOwner(const std::string& device_owner) const {
  std::lock_guard lock(mu_);
  std::vector<Port> out;
  for (const auto& [id, p] : ports_) {
    if (p.device_owner == device_owner) out.push_back(p);
  }
  return out;
}

Status NetworkService::applyPolicyGroups(const PolicyGroupsUpdate& u) {
  std::lock_guard lock(mu_);
  if (managed_group_prefix_.empty()) {
    return failedPreconditionError("no NetworkPolicy component is configured");
  }
  std::set<std::string> removing(u.remove.begin(), u.remove.end());
  std::map<std::string, SecurityGroup> puts;
  for (SecurityGroup g : u.put) {
    if (!startsWith(g.id, managed_group_prefix_) || removing.count(g.id)) {
      return invalidArgumentError("security group " + g.id + " is not the policy component's");
    }
    for (auto& r : g.rules) {
      r.security_group_id = g.id;
      r.project_id = g.project_id;
      auto owner = rule_group_.find(r.id);
      if (r.id.empty() || (owner != rule_group_.end() && owner->second != g.id)) {
        return invalidArgumentError("rule id \"" + r.id + "\" of group " + g.id +
                                    " is empty or another group's");
      }
    }
    puts[g.id] = std::move(g);
  }
  auto exists = [&](const std::string& id) {
    return !removing.count(id) && (puts.count(id) || groups_.count(id));
  };
  for (const auto& [id, g] : puts) {
    for (const auto& r : g.rules) {
      if (!r.remote_group_id.empty() && !exists(r.remote_group_id)) {
        return notFoundError("remote group " + r.remote_group_id + " of group " + id);
      }
    }
  }
  std::vector<std::pair<Port, Port>> changed_ports;  // before, after
  for (const auto& [id, m] : u.ports) {
    auto it = ports_.find(id);
    if (it == ports_.end()) continue;  // deleted meanwhile
    Port p = it->second;
    p.policy_security_groups = m.filter;
    p.policy_address_groups = m.address;
    for (const auto* list : {&m.filter, &m.address}) {
      for (const auto& g : *list) {
        if (!exists(g)) return notFoundError("group " + g + " of port " + id + " does not exist");
      }
    }
    if (p.policy_security_groups == it->second.policy_security_groups &&
        p.policy_address_groups == it->second.policy_address_groups) {
      continue;
    }
    changed_ports.emplace_back(it->second, std::move(p));
  }
  std::map<std::string, Port> next_ports;
  for (const auto& [before, after] : changed_ports) next_ports[after.id] = after;
  for (const auto& id : removing) {
    if (!groups_.count(id)) continue;
    if (!startsWith(id, managed_group_prefix_)) {
      return invalidArgumentError("security group " + id + " is not the policy component's");
    }
    for (const auto& [pid, p] : ports_) {
      const Port& now = next_ports.count(pid) ? next_ports[pid] : p;
      if (memberOf(now, id)) {
        return failedPreconditionError("security group " + id + " is still used by port " + pid);
      }
    }
    for (const auto& [gid, g] : groups_) {
      if (removing.count(gid) || puts.count(gid)) continue;
      for (const auto& r : g.rules) {
        if (r.remote_group_id == id) {
          return failedPreconditionError("security group " + id + " is named by group " + gid);
        }
      }
    }
  }

  std::vector<Mutation> batch;
  std::vector<std::string> changed_groups;
  for (const auto& [id, g] : puts) {
    auto old = groups_.find(id);
    const std::string body = toJson(g).dump();
    if (old != groups_.end() && toJson(old->second).dump() == body) continue;
    batch.push_back(Mutation::put(Kind::kSecurityGroup, id, body));
    changed_groups.push_back(id);
  }
  for (const auto& [before, after] : changed_ports) {
    batch.push_back(Mutation::put(Kind::kPort, after.id, toJson(after).dump()));
  }
  std::map<std::string, std::set<std::string>> removed_hosts;
  for (const auto& id : removing) {
    if (!groups_.count(id)) continue;
    batch.push_back(Mutation::erase(Kind::kSecurityGroup, id));
    removed_hosts[id] = dpm_.hostsOfGroup(id);
  }
  if (batch.empty()) return okStatus();
  RETURN_IF_ERROR(store_.apply(batch));

  for (const auto& id : changed_groups) {
    if (auto old = groups_.find(id); old != groups_.end()) {
      for (const auto& r : old->second.rules) rule_group_.erase(r.id);
    }
    groups_[id] = puts[id];
    for (const auto& r : puts[id].rules) rule_group_[r.id] = id;
  }
  for (const auto& [id, hosts] : removed_hosts) {
    for (const auto& r : groups_[id].rules) rule_group_.erase(r.id);
    groups_.erase(id);
  }
  for (const auto& id : changed_groups) dpm_.securityGroupChanged(id, false);
  for (const auto& [before, after] : changed_ports) {
    auto pb = placementLocked(before);
    ports_[after.id] = after;
    auto pa = placementLocked(after);
    if (pb || pa) dpm_.portChanged(pb, pa);
  }
  for (const auto& [id, hosts] : removed_hosts) dpm_.securityGroupRemoved(id, hosts);
  ALOG(Debug, NetworkPolicy) << "applied " << changed_groups.size() << " group(s), "
                             << changed_ports.size() << " port(s), " << removed_hosts.size()
                             << " removal(s)";
  return okStatus();
}

}  // namespace alcor::controller
