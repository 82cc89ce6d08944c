#pragma once

// VPCs (Alcor's "networks"): VNI allocation, gateways they point at. Attaching or detaching a
// ZETA gateway withdraws or announces the VPC's neighbors. Errors: kAlreadyExists, kNotFound,
// kInvalidArgument for immutable fields, kFailedPrecondition for a VPC that still has subnets.

#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/service/resource_store.h"

namespace alcor::controller {

class VpcService {
 public:
  VpcService(ResourceStore& store, Dpm& dpm) : store_(store), dpm_(dpm) {}

  StatusOr<Vpc> create(Vpc vpc);
  StatusOr<Vpc> update(const std::string& project, const ResourceId& id, Vpc vpc);
  StatusOr<Vpc> get(const std::string& project, const ResourceId& id) const;
  std::vector<Vpc> list(const std::string& project) const;
  Status remove(const std::string& project, const ResourceId& id);

 private:
  ResourceStore& store_;
  Dpm& dpm_;
};

}  // namespace alcor::controller
