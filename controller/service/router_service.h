#pragma once

// Routers and their interfaces (one per subnet; a subnet on at most one router). Attaching or
// detaching a subnet, or changing the routes, pushes the difference to the hosts of the router's
// subnets: L3 neighbors and the router's state (per host: it carries the host's DVR MAC).
// Errors: kNotFound, kAlreadyExists (overlaps, a subnet already attached), kInvalidArgument,
// kFailedPrecondition (a router with interfaces).

#include <set>
#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/service/resource_store.h"

namespace alcor::controller {

class RouterService {
 public:
  RouterService(ResourceStore& store, Dpm& dpm) : store_(store), dpm_(dpm) {}

  StatusOr<Router> create(Router router);
  StatusOr<Router> update(const std::string& project, const ResourceId& id, Router router);
  StatusOr<Router> get(const std::string& project, const ResourceId& id) const;
  std::vector<Router> list(const std::string& project) const;
  Status remove(const std::string& project, const ResourceId& id);
  StatusOr<RouterInterface> addInterface(const std::string& project, const ResourceId& router_id,
                                         const ResourceId& subnet_id);
  StatusOr<RouterInterface> removeInterface(const std::string& project, const ResourceId& router_id,
                                            const ResourceId& subnet_id);

 private:
  // Stores the router's new version and pushes the difference to the hosts of `subnets`.
  Status changeLocked(const Router& r, const std::set<ResourceId>& subnets);

  ResourceStore& store_;
  Dpm& dpm_;
};

}  // namespace alcor::controller
