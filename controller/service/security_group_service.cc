#include "controller/service/security_group_service.h"

#include <algorithm>
#include <set>

namespace alcor::controller {

Status SecurityGroupService::prepareRulesLocked(SecurityGroup& g, const SecurityGroup* previous,
                                                const std::set<ResourceId>& also_known) const {
  std::set<ResourceId> ids;
  for (auto& r : g.rules) {
    if (r.id.empty()) r.id = ResourceId::generate();
    const SecurityGroup* owner = store_.groupOfRule(r.id);
    if ((owner && owner != previous) || !ids.insert(r.id).second) {
      return alreadyExistsError("rule " + r.id + " already exists");
    }
    r.security_group_id = g.id;
    r.project_id = g.project_id;
    if (!r.remote_group_id.empty() && r.remote_group_id != g.id &&
        !also_known.count(r.remote_group_id) &&
        !store_.groups().find(g.project_id, r.remote_group_id)) {
      return notFoundError("remote security group " + r.remote_group_id + " not found");
    }
    if (!r.remote_group_id.empty() && !r.remote_ip_prefix.empty()) {
      return invalidArgumentError("rule " + r.id +
                                  ": remote_group_id cannot be combined with remote_ip_prefix");
    }
    if (r.port_range_min && r.port_range_max && *r.port_range_min > *r.port_range_max) {
      return invalidArgumentError("rule " + r.id +
                                  ": port_range_min is greater than port_range_max");
    }
  }
  return okStatus();
}

void SecurityGroupService::setManagedPrefix(std::string prefix) {
  auto lock = store_.lock();
  managed_prefix_ = std::move(prefix);
}

Status SecurityGroupService::refuseManagedLocked(const ResourceId& id) const {
  if (managed_prefix_.empty() || !id.str().starts_with(managed_prefix_)) return okStatus();
  return failedPreconditionError("security group " + id +
                                 " is managed by the NetworkPolicy component; change the "
                                 "NetworkPolicy instead");
}

Status SecurityGroupService::storeLocked(const SecurityGroup& g, bool push) {
  RETURN_IF_ERROR(store_.persist({ResourceStore::putMutation(g)}));
  store_.put(g);
  if (push) dpm_.securityGroupChanged(g.id);
  return okStatus();
}

StatusOr<SecurityGroup> SecurityGroupService::create(SecurityGroup g) {
  auto lock = store_.lock();
  if (g.id.empty()) g.id = ResourceId::generate();
  RETURN_IF_ERROR(refuseManagedLocked(g.id));
  if (store_.groups().find(g.id)) {
    return alreadyExistsError("security group " + g.id + " already exists");
  }
  RETURN_IF_ERROR(prepareRulesLocked(g, nullptr));
  // No port uses a new group yet: nothing to push.
  RETURN_IF_ERROR(storeLocked(g, /*push=*/false));
  return g;
}

StatusOr<SecurityGroup> SecurityGroupService::update(const std::string& project,
                                                     const ResourceId& id, SecurityGroup g) {
  auto lock = store_.lock();
  const SecurityGroup* old = store_.groups().find(project, id);
  if (!old) return notFoundError("security group " + id + " not found");
  RETURN_IF_ERROR(refuseManagedLocked(id));
  if (g.id != id || g.project_id != old->project_id) {
    return invalidArgumentError("security group id and project_id cannot change");
  }
  g.rules = old->rules;  // rules change through /security-group-rules
  RETURN_IF_ERROR(storeLocked(g, /*push=*/true));
  return g;
}

StatusOr<SecurityGroup> SecurityGroupService::replace(const std::string& project,
                                                      const ResourceId& id, SecurityGroup g) {
  auto lock = store_.lock();
  const SecurityGroup* old = store_.groups().find(project, id);
  if (!old) return notFoundError("security group " + id + " not found");
  RETURN_IF_ERROR(refuseManagedLocked(id));
  g.id = id;
  g.project_id = old->project_id;
  RETURN_IF_ERROR(prepareRulesLocked(g, old));
  RETURN_IF_ERROR(storeLocked(g, /*push=*/true));
  return g;
}

StatusOr<SecurityGroup> SecurityGroupService::get(const std::string& project,
                                                  const ResourceId& id) const {
  auto lock = store_.lock();
  const SecurityGroup* g = store_.groups().find(project, id);
  if (!g) return notFoundError("security group " + id + " not found");
  return *g;
}

std::vector<SecurityGroup> SecurityGroupService::list(const std::string& project) const {
  auto lock = store_.lock();
  return store_.groups().list(project);
}

Status SecurityGroupService::remove(const std::string& project, const ResourceId& id) {
  auto lock = store_.lock();
  if (!store_.groups().find(project, id)) {
    return notFoundError("security group " + id + " not found");
  }
  RETURN_IF_ERROR(refuseManagedLocked(id));
  if (auto users = store_.memberPortsOf(id); !users.empty()) {
    return failedPreconditionError("security group " + id + " is used by port " + users[0]->id);
  }
  RETURN_IF_ERROR(store_.persist({ResourceStore::eraseMutation<SecurityGroup>(id)}));
  store_.erase<SecurityGroup>(id);
  return okStatus();
}

StatusOr<SecurityGroupRule> SecurityGroupService::createRule(SecurityGroupRule r) {
  auto lock = store_.lock();
  const SecurityGroup* found = store_.groups().find(r.project_id, r.security_group_id);
  if (!found) return notFoundError("security group " + r.security_group_id + " not found");
  RETURN_IF_ERROR(refuseManagedLocked(found->id));
  SecurityGroup g = *found;
  g.rules.push_back(r);
  // A rule id already in this group is a duplicate within it; in another, taken.
  RETURN_IF_ERROR(prepareRulesLocked(g, found));
  SecurityGroupRule created = g.rules.back();
  RETURN_IF_ERROR(storeLocked(g, /*push=*/true));
  return created;
}

StatusOr<SecurityGroupRule> SecurityGroupService::getRule(const std::string& project,
                                                          const ResourceId& id) const {
  auto lock = store_.lock();
  const SecurityGroup* g = store_.groupOfRule(id);
  if (g && (project.empty() || g->project_id == project)) {
    for (const auto& r : g->rules) {
      if (r.id == id) return r;
    }
  }
  return notFoundError("security group rule " + id + " not found");
}

std::vector<SecurityGroupRule> SecurityGroupService::listRules(const std::string& project) const {
  auto lock = store_.lock();
  std::vector<SecurityGroupRule> out;
  for (const auto& g : store_.groups().list(project)) {
    out.insert(out.end(), g.rules.begin(), g.rules.end());
  }
  return out;
}

Status SecurityGroupService::removeRule(const std::string& project, const ResourceId& id) {
  auto lock = store_.lock();
  const SecurityGroup* found = store_.groupOfRule(id);
  if (!found || (!project.empty() && found->project_id != project)) {
    return notFoundError("security group rule " + id + " not found");
  }
  RETURN_IF_ERROR(refuseManagedLocked(found->id));
  SecurityGroup g = *found;
  std::erase_if(g.rules, [&](const SecurityGroupRule& r) { return r.id == id; });
  return storeLocked(g, /*push=*/true);
}

}  // namespace alcor::controller
