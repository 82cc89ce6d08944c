// NetworkService: security groups and rules, routers and their interfaces, gateways.

#include "controller/model/json_codec.h"
#include "controller/service/network_service.h"
#include "lib/base/uuid.h"

namespace alcor::controller {

void NetworkService::forEachSecurityGroup(
    const std::function<void(const SecurityGroup&)>& fn) const {
  for (const auto& [id, g] : groups_) fn(g);
}

// ---- Security groups ----

StatusOr<SecurityGroup> NetworkService::createSecurityGroup(SecurityGroup g) {
  std::lock_guard lock(mu_);
  if (g.id.empty()) g.id = newUuid();
  RETURN_IF_ERROR(refuseManagedGroup(g.id));
  if (groups_.count(g.id)) return alreadyExistsError("security group " + g.id + " already exists");
  for (auto& r : g.rules) {
    if (r.id.empty()) r.id = newUuid();
    if (rule_group_.count(r.id)) return alreadyExistsError("rule " + r.id + " already exists");
    r.security_group_id = g.id;
    r.project_id = g.project_id;
  }
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kSecurityGroup, g.id, toJson(g).dump())}));
  for (const auto& r : g.rules) rule_group_[r.id] = g.id;
  groups_[g.id] = g;
  return g;
}

StatusOr<SecurityGroup> NetworkService::updateSecurityGroup(const std::string& project,
                                                            const std::string& id,
                                                            SecurityGroup g) {
  std::lock_guard lock(mu_);
  const SecurityGroup* old = scoped(groups_, project, id);
  if (!old) return notFoundError("security group " + id + " not found");
  RETURN_IF_ERROR(refuseManagedGroup(id));
  if (g.id != id || g.project_id != old->project_id) {
    return invalidArgumentError("security group id and project_id cannot change");
  }
  g.rules = old->rules;  // rules change through /security-group-rules
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kSecurityGroup, id, toJson(g).dump())}));
  groups_[id] = g;
  dpm_.securityGroupChanged(id, false);
  return g;
}

StatusOr<SecurityGroup> NetworkService::getSecurityGroup(const std::string& project,
                                                         const std::string& id) const {
  std::lock_guard lock(mu_);
  return getScoped(groups_, project, id, "security group");
}

std::vector<SecurityGroup> NetworkService::listSecurityGroups(const std::string& project) const {
  std::lock_guard lock(mu_);
  return listScoped(groups_, project);
}

Status NetworkService::deleteSecurityGroup(const std::string& project, const std::string& id) {
  std::lock_guard lock(mu_);
  const SecurityGroup* g = scoped(groups_, project, id);
  if (!g) return notFoundError("security group " + id + " not found");
  RETURN_IF_ERROR(refuseManagedGroup(id));
  for (const auto& [pid, p] : ports_) {
    if (memberOf(p, id)) {
      return failedPreconditionError("security group " + id + " is used by port " + pid);
    }
  }
  RETURN_IF_ERROR(store_.apply({Mutation::erase(Kind::kSecurityGroup, id)}));
  for (const auto& r : g->rules) rule_group_.erase(r.id);
  groups_.erase(id);
  return okStatus();
}

StatusOr<SecurityGroupRule> NetworkService::createRule(SecurityGroupRule r) {
  std::lock_guard lock(mu_);
  const SecurityGroup* found = scoped(groups_, r.project_id, r.security_group_id);
  if (!found) return notFoundError("security group " + r.security_group_id + " not found");
  RETURN_IF_ERROR(refuseManagedGroup(found->id));
  if (r.id.empty()) r.id = newUuid();
  if (rule_group_.count(r.id)) return alreadyExistsError("rule " + r.id + " already exists");
  if (!r.remote_group_id.empty() && !scoped(groups_, r.project_id, r.remote_group_id)) {
    return notFoundError("remote security group " + r.remote_group_id + " not found");
  }
  SecurityGroup g = *found;
  g.rules.push_back(r);
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kSecurityGroup, g.id, toJson(g).dump())}));
  groups_[g.id] = g;
  rule_group_[r.id] = g.id;
  dpm_.securityGroupChanged(g.id, false);
  return r;
}

StatusOr<SecurityGroupRule> NetworkService::getRule(const std::string& project,
                                                    const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = rule_group_.find(id);
  const SecurityGroup* g = it == rule_group_.end() ? nullptr : scoped(groups_, project, it->second);
  if (g) {
    for (const auto& r : g->rules) {
      if (r.id == id) return r;
    }
  }
  return notFoundError("security group rule " + id + " not found");
}

std::vector<SecurityGroupRule> NetworkService::listRules(const std::string& project) const {
  std::lock_guard lock(mu_);
  std::vector<SecurityGroupRule> out;
  for (const auto& [id, g] : groups_) {
    if (g.project_id == project) out.insert(out.end(), g.rules.begin(), g.rules.end());
  }
  return out;
}

Status NetworkService::deleteRule(const std::string& project, const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = rule_group_.find(id);
  const SecurityGroup* found =
      it == rule_group_.end() ? nullptr : scoped(groups_, project, it->second);
  if (!found) return notFoundError("security group rule " + id + " not found");
  RETURN_IF_ERROR(refuseManagedGroup(found->id));
  SecurityGroup g = *found;
  std::erase_if(g.rules, [&](const SecurityGroupRule& r) { return r.id == id; });
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kSecurityGroup, g.id, toJson(g).dump())}));
  groups_[g.id] = g;
  rule_group_.erase(id);
  dpm_.securityGroupChanged(g.id, false);
  return okStatus();
}

// ---- Routers ----

std::set<std::string> NetworkService::routerSubnetsLocked(const Router& r) const {
  std::set<std::string> out;
  for (const auto& i : r.interfaces) out.insert(i.subnet_id);
  return out;
}

StatusOr<Router> NetworkService::createRouter(Router r) {
  std::lock_guard lock(mu_);
  if (r.id.empty()) r.id = newUuid();
  if (routers_.count(r.id)) return alreadyExistsError("router " + r.id + " already exists");
  r.interfaces.clear();  // through add_router_interface only
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kRouter, r.id, toJson(r).dump())}));
  routers_[r.id] = r;
  return r;
}

StatusOr<Router> NetworkService::updateRouter(const std::string& project, const std::string& id,
                                              Router r) {
  std::lock_guard lock(mu_);
  const Router* old = scoped(routers_, project, id);
  if (!old) return notFoundError("router " + id + " not found");
  if (r.id != id || r.project_id != old->project_id) {
    return invalidArgumentError("router id and project_id cannot change");
  }
  if (r.interfaces != old->interfaces) {
    return invalidArgumentError("router interfaces change through add/remove_router_interface");
  }
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kRouter, id, toJson(r).dump())}));
  auto subnets = routerSubnetsLocked(r);
  HostSnapshots before = dpm_.snapshotHostsOf(subnets);
  routers_[id] = r;
  // Same hosts, same neighbors: this pushes the routers' new routing tables.
  dpm_.hostsChanged(before, subnets);
  return r;
}

StatusOr<Router> NetworkService::getRouter(const std::string& project,
                                           const std::string& id) const {
  std::lock_guard lock(mu_);
  return getScoped(routers_, project, id, "router");
}

std::vector<Router> NetworkService::listRouters(const std::string& project) const {
  std::lock_guard lock(mu_);
  return listScoped(routers_, project);
}

Status NetworkService::deleteRouter(const std::string& project, const std::string& id) {
  std::lock_guard lock(mu_);
  const Router* r = scoped(routers_, project, id);
  if (!r) return notFoundError("router " + id + " not found");
  if (!r->interfaces.empty()) {
    return failedPreconditionError("router " + id + " still has interfaces");
  }
  RETURN_IF_ERROR(store_.apply({Mutation::erase(Kind::kRouter, id)}));
  routers_.erase(id);
  return okStatus();
}

StatusOr<RouterInterface> NetworkService::addRouterInterface(const std::string& project,
                                                             const std::string& router_id,
                                                             const std::string& subnet_id) {
  std::lock_guard lock(mu_);
  const Router* found = scoped(routers_, project, router_id);
  if (!found) return notFoundError("router " + router_id + " not found");
  const Subnet* subnet = scoped(subnets_, project, subnet_id);
  if (!subnet) return notFoundError("subnet " + subnet_id + " not found");
  for (const Router* other : routersOfSubnet(subnet_id)) {
    return alreadyExistsError("subnet " + subnet_id + " is already attached to router " +
                              other->id);
  }
  for (const auto& i : found->interfaces) {
    const Subnet* s = findSubnet(i.subnet_id);
    if (s && s->network_id == subnet->network_id &&
        Ipv4Prefix::parse(s->cidr)->overlaps(*Ipv4Prefix::parse(subnet->cidr))) {
      return alreadyExistsError("subnet " + subnet_id + " overlaps attached subnet " + s->id);
    }
  }
  Router r = *found;
  RouterInterface iface{subnet_id, newUuid()};
  r.interfaces.push_back(iface);
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kRouter, r.id, toJson(r).dump())}));
  auto subnets = routerSubnetsLocked(r);
  HostSnapshots before = dpm_.snapshotHostsOf(subnets);
  routers_[r.id] = r;
  dpm_.hostsChanged(before, subnets);
  return iface;
}

StatusOr<RouterInterface> NetworkService::removeRouterInterface(const std::string& project,
                                                                const std::string& router_id,
                                                                const std::string& subnet_id) {
  std::lock_guard lock(mu_);
  const Router* found = scoped(routers_, project, router_id);
  if (!found) return notFoundError("router " + router_id + " not found");
  Router r = *found;
  auto it = std::find_if(r.interfaces.begin(), r.interfaces.end(),
                         [&](const RouterInterface& i) { return i.subnet_id == subnet_id; });
  if (it == r.interfaces.end()) {
    return notFoundError("router " + router_id + " has no interface on subnet " + subnet_id);
  }
  RouterInterface removed = *it;
  auto subnets = routerSubnetsLocked(r);
  r.interfaces.erase(it);
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kRouter, r.id, toJson(r).dump())}));
  HostSnapshots before = dpm_.snapshotHostsOf(subnets);
  routers_[r.id] = r;
  dpm_.hostsChanged(before, subnets);
  return removed;
}

// ---- Gateways ----

StatusOr<Gateway> NetworkService::createGateway(Gateway g) {
  std::lock_guard lock(mu_);
  if (g.id.empty()) g.id = newUuid();
  if (gateways_.count(g.id)) return alreadyExistsError("gateway " + g.id + " already exists");
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kGateway, g.id, toJson(g).dump())}));
  gateways_[g.id] = g;
  return g;
}

StatusOr<Gateway> NetworkService::updateGateway(const std::string& project, const std::string& id,
                                                Gateway g) {
  std::lock_guard lock(mu_);
  const Gateway* old = scoped(gateways_, project, id);
  if (!old) return notFoundError("gateway " + id + " not found");
  if (g.id != id || g.project_id != old->project_id) {
    return invalidArgumentError("gateway id and project_id cannot change");
  }
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kGateway, id, toJson(g).dump())}));
  gateways_[id] = g;
  dpm_.gatewayChanged(id, false);
  return g;
}

StatusOr<Gateway> NetworkService::getGateway(const std::string& project,
                                             const std::string& id) const {
  std::lock_guard lock(mu_);
  return getScoped(gateways_, project, id, "gateway");
}

std::vector<Gateway> NetworkService::listGateways(const std::string& project) const {
  std::lock_guard lock(mu_);
  return listScoped(gateways_, project);
}

Status NetworkService::deleteGateway(const std::string& project, const std::string& id) {
  std::lock_guard lock(mu_);
  if (!scoped(gateways_, project, id)) return notFoundError("gateway " + id + " not found");
  for (const auto& [vid, v] : vpcs_) {
    if (std::find(v.gateway_ids.begin(), v.gateway_ids.end(), id) != v.gateway_ids.end()) {
      return failedPreconditionError("gateway " + id + " is used by VPC " + vid);
    }
  }
  RETURN_IF_ERROR(store_.apply({Mutation::erase(Kind::kGateway, id)}));
  gateways_.erase(id);
  return okStatus();
}

}  // namespace alcor::controller
