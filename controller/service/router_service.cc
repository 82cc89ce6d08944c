#include "controller/service/router_service.h"

#include <algorithm>

namespace alcor::controller {

namespace {
std::set<ResourceId> subnetsOf(const Router& r) {
  std::set<ResourceId> out;
  for (const auto& i : r.interfaces) out.insert(i.subnet_id);
  return out;
}
}  // namespace

Status RouterService::changeLocked(const Router& r, const std::set<ResourceId>& subnets) {
  RETURN_IF_ERROR(store_.persist({ResourceStore::putMutation(r)}));
  HostSnapshots before = dpm_.snapshotHostsOf(subnets);
  store_.put(r);
  dpm_.hostsChanged(before, subnets);
  return okStatus();
}

StatusOr<Router> RouterService::create(Router r) {
  auto lock = store_.lock();
  if (r.id.empty()) r.id = ResourceId::generate();
  if (store_.routers().find(r.id)) return alreadyExistsError("router " + r.id + " already exists");
  r.interfaces.clear();  // through add_router_interface only
  RETURN_IF_ERROR(store_.persist({ResourceStore::putMutation(r)}));
  store_.put(r);
  return r;
}

StatusOr<Router> RouterService::update(const std::string& project, const ResourceId& id, Router r) {
  auto lock = store_.lock();
  const Router* old = store_.routers().find(project, id);
  if (!old) return notFoundError("router " + id + " not found");
  if (r.id != id || r.project_id != old->project_id) {
    return invalidArgumentError("router id and project_id cannot change");
  }
  if (r.interfaces != old->interfaces) {
    return invalidArgumentError("router interfaces change through add/remove_router_interface");
  }
  // Same hosts, same neighbors: this pushes the router's new routing tables.
  RETURN_IF_ERROR(changeLocked(r, subnetsOf(r)));
  return r;
}

StatusOr<Router> RouterService::get(const std::string& project, const ResourceId& id) const {
  auto lock = store_.lock();
  const Router* r = store_.routers().find(project, id);
  if (!r) return notFoundError("router " + id + " not found");
  return *r;
}

std::vector<Router> RouterService::list(const std::string& project) const {
  auto lock = store_.lock();
  return store_.routers().list(project);
}

Status RouterService::remove(const std::string& project, const ResourceId& id) {
  auto lock = store_.lock();
  const Router* r = store_.routers().find(project, id);
  if (!r) return notFoundError("router " + id + " not found");
  if (!r->interfaces.empty()) {
    return failedPreconditionError("router " + id + " still has interfaces");
  }
  RETURN_IF_ERROR(store_.persist({ResourceStore::eraseMutation<Router>(id)}));
  store_.erase<Router>(id);
  return okStatus();
}

StatusOr<RouterInterface> RouterService::addInterface(const std::string& project,
                                                      const ResourceId& router_id,
                                                      const ResourceId& subnet_id) {
  auto lock = store_.lock();
  const Router* found = store_.routers().find(project, router_id);
  if (!found) return notFoundError("router " + router_id + " not found");
  const Subnet* subnet = store_.subnets().find(project, subnet_id);
  if (!subnet) return notFoundError("subnet " + subnet_id + " not found");
  if (auto others = store_.routersOfSubnet(subnet_id); !others.empty()) {
    return alreadyExistsError("subnet " + subnet_id + " is already attached to router " +
                              others[0]->id);
  }
  for (const auto& i : found->interfaces) {
    const Subnet* s = store_.subnets().find(i.subnet_id);
    if (s && s->network_id == subnet->network_id && s->cidr.overlaps(subnet->cidr)) {
      return alreadyExistsError("subnet " + subnet_id + " overlaps attached subnet " + s->id);
    }
  }
  Router r = *found;
  RouterInterface iface{subnet_id, ResourceId::generate()};
  r.interfaces.push_back(iface);
  RETURN_IF_ERROR(changeLocked(r, subnetsOf(r)));
  return iface;
}

StatusOr<RouterInterface> RouterService::removeInterface(const std::string& project,
                                                         const ResourceId& router_id,
                                                         const ResourceId& subnet_id) {
  auto lock = store_.lock();
  const Router* found = store_.routers().find(project, router_id);
  if (!found) return notFoundError("router " + router_id + " not found");
  Router r = *found;
  auto it = std::find_if(r.interfaces.begin(), r.interfaces.end(),
                         [&](const RouterInterface& i) { return i.subnet_id == subnet_id; });
  if (it == r.interfaces.end()) {
    return notFoundError("router " + router_id + " has no interface on subnet " + subnet_id);
  }
  RouterInterface removed = *it;
  auto subnets = subnetsOf(r);  // including the detached one: its hosts lose the L3 neighbors
  r.interfaces.erase(it);
  RETURN_IF_ERROR(changeLocked(r, subnets));
  return removed;
}

}  // namespace alcor::controller
