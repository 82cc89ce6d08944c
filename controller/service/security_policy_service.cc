#include "controller/service/security_policy_service.h"

#include <algorithm>
#include <set>

namespace alcor::controller {

namespace {
bool samePort(const Port& a, const Port& b) {
  return a.security_groups == b.security_groups &&
         a.policy_security_groups == b.policy_security_groups &&
         a.policy_address_groups == b.policy_address_groups;
}
}  // namespace

Status SecurityPolicyService::apply(const SecurityPolicyChange& change) {
  if (change.empty()) return okStatus();
  auto lock = store_.lock();
  // The groups as they will be: the batch's puts over the stored ones, minus the removed.
  std::map<ResourceId, SecurityGroup> puts;
  std::set<ResourceId> put_ids;
  for (const auto& g : change.put) {
    if (g.id.empty() || g.project_id.empty()) {
      return invalidArgumentError("a security group of the batch has no id or project");
    }
    if (!puts.emplace(g.id, g).second) {
      return invalidArgumentError("security group " + g.id + " is put twice");
    }
    put_ids.insert(g.id);
  }
  const std::set<ResourceId> removed(change.remove.begin(), change.remove.end());
  for (const auto& id : removed) {
    if (put_ids.count(id))
      return invalidArgumentError("security group " + id + " is put and removed");
    if (!store_.groups().find(id)) return notFoundError("security group " + id + " not found");
  }
  std::set<ResourceId> rule_ids;
  for (auto& [id, g] : puts) {
    const SecurityGroup* previous = store_.groups().find(id);
    if (previous && previous->project_id != g.project_id) {
      return invalidArgumentError("security group " + id + " cannot change project");
    }
    RETURN_IF_ERROR(groups_.prepareRulesLocked(g, previous, put_ids));
    for (const auto& r : g.rules) {
      if (!rule_ids.insert(r.id).second)
        return alreadyExistsError("rule " + r.id + " is put twice");
    }
  }
  auto groupExists = [&](const ResourceId& id, const std::string& project) {
    if (removed.count(id)) return false;
    auto p = puts.find(id);
    if (p != puts.end()) return p->second.project_id == project;
    return store_.groups().find(project, id) != nullptr;
  };
  // Ports: their new groups must exist once the batch is applied.
  std::map<ResourceId, std::pair<Port, Port>> ports;  // id -> before, after
  for (const auto& [id, group_ids] : change.ports) {
    const Port* found = store_.ports().find(id);
    if (!found) return notFoundError("port " + id + " not found");
    for (const auto& g : group_ids) {
      if (!groupExists(g, found->project_id)) {
        return notFoundError("security group " + g + " not found");
      }
    }
    Port after = *found;
    after.security_groups = group_ids;
    ports.emplace(id, std::pair{*found, std::move(after)});
  }
  for (const auto& [id, m] : change.policy_ports) {
    const Port* found = store_.ports().find(id);
    if (!found) continue;  // deleted meanwhile
    for (const auto* list : {&m.filter, &m.address}) {
      for (const auto& g : *list) {
        if (removed.count(g) || (!puts.count(g) && !store_.groups().find(g))) {
          return notFoundError("security group " + g + " of port " + id + " not found");
        }
      }
    }
    auto [it, inserted] = ports.try_emplace(id, std::pair{*found, *found});
    it->second.second.policy_security_groups = m.filter;
    it->second.second.policy_address_groups = m.address;
  }
  // Removed groups: no port keeps them (groupExists kept ports from gaining them), no remaining
  // group names them.
  for (const auto& id : removed) {
    for (const Port* p : store_.memberPortsOf(id)) {
      auto changed = ports.find(p->id);
      if (memberOf(changed == ports.end() ? *p : changed->second.second, id)) {
        return failedPreconditionError("security group " + id + " is used by port " + p->id);
      }
    }
    for (const auto& naming : store_.groupsNaming(id)) {
      if (removed.count(naming) || naming == id) continue;
      auto p = puts.find(naming);
      const auto& rules = p != puts.end() ? p->second.rules : store_.groups().find(naming)->rules;
      for (const auto& r : rules) {
        if (r.remote_group_id == id) {
          return failedPreconditionError("security group " + id + " is named by group " + naming);
        }
      }
    }
    for (const auto& [gid, g] : puts) {
      for (const auto& r : g.rules) {
        if (r.remote_group_id == id) {
          return failedPreconditionError("security group " + id + " is named by group " + gid);
        }
      }
    }
  }

  std::vector<Mutation> batch;
  for (const auto& [id, g] : puts) batch.push_back(ResourceStore::putMutation(g));
  for (const auto& [id, change] : ports) {
    if (!samePort(change.first, change.second)) {
      batch.push_back(ResourceStore::putMutation(change.second));
    }
  }
  for (const auto& id : removed) batch.push_back(ResourceStore::eraseMutation<SecurityGroup>(id));
  if (batch.empty()) return okStatus();
  RETURN_IF_ERROR(store_.persist(batch));

  // The hosts that hold a removed group, as they are before the change.
  std::map<ResourceId, std::set<std::string>> removed_hosts;
  for (const auto& id : removed) removed_hosts[id] = dpm_.hostsHoldingGroup(id);
  std::vector<ResourceId> replaced;
  for (auto& [id, g] : puts) {
    if (store_.groups().find(id)) replaced.push_back(id);
    store_.put(std::move(g));
  }
  std::vector<PortChange> port_changes;
  for (auto& [id, change] : ports) {
    auto& [before, after] = change;
    if (samePort(before, after)) continue;
    auto placed_before = store_.placementOf(before);
    store_.put(after);
    auto placed_after = store_.placementOf(after);
    if (placed_before || placed_after) port_changes.push_back({placed_before, placed_after});
  }
  // Groups first: a port's host then gets its groups' new rules with its new memberships.
  for (const auto& id : replaced) dpm_.securityGroupChanged(id);
  if (!port_changes.empty()) dpm_.portsChanged(port_changes);
  for (const auto& id : removed) store_.erase<SecurityGroup>(id);
  for (const auto& [id, hosts] : removed_hosts) dpm_.securityGroupRemoved(id, hosts);
  return okStatus();
}

std::vector<SecurityGroup> SecurityPolicyService::groupsWithPrefix(
    const std::string& id_prefix) const {
  auto lock = store_.lock();
  std::vector<SecurityGroup> out;
  for (const auto& [id, g] : store_.groups().all()) {
    if (id.str().starts_with(id_prefix)) out.push_back(g);
  }
  return out;
}

std::vector<Port> SecurityPolicyService::portsOfOwner(const std::string& device_owner) const {
  auto lock = store_.lock();
  std::vector<Port> out;
  for (const auto& [id, p] : store_.ports().all()) {
    if (p.device_owner == device_owner) out.push_back(p);
  }
  return out;
}

}  // namespace alcor::controller
