#pragma once

// Zeta-style gateways (GatewayState), which VPCs point at through gateway_ids. An update reaches
// the hosts with ports in those VPCs. Errors: kAlreadyExists, kNotFound, kInvalidArgument,
// kFailedPrecondition (a VPC still uses it).

#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/service/resource_store.h"

namespace alcor::controller {

class GatewayService {
 public:
  GatewayService(ResourceStore& store, Dpm& dpm) : store_(store), dpm_(dpm) {}

  StatusOr<Gateway> create(Gateway gateway);
  StatusOr<Gateway> update(const std::string& project, const ResourceId& id, Gateway gateway);
  StatusOr<Gateway> get(const std::string& project, const ResourceId& id) const;
  std::vector<Gateway> list(const std::string& project) const;
  Status remove(const std::string& project, const ResourceId& id);

 private:
  ResourceStore& store_;
  Dpm& dpm_;
};

}  // namespace alcor::controller
