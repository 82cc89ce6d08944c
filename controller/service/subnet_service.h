#pragma once

// Subnets: CIDR inside the VPC's and free of overlaps, gateway address and MAC (allocated), an
// address pool per subnet. Updates reach the hosts with ports in the subnet. Errors:
// kAlreadyExists (id, overlap), kNotFound, kInvalidArgument, kFailedPrecondition (ports or a
// router still use it).

#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/service/resource_store.h"

namespace alcor::controller {

class SubnetService {
 public:
  SubnetService(ResourceStore& store, Dpm& dpm) : store_(store), dpm_(dpm) {}

  StatusOr<Subnet> create(Subnet subnet);
  StatusOr<Subnet> update(const std::string& project, const ResourceId& id, Subnet subnet);
  StatusOr<Subnet> get(const std::string& project, const ResourceId& id) const;
  std::vector<Subnet> list(const std::string& project) const;
  Status remove(const std::string& project, const ResourceId& id);

 private:
  ResourceStore& store_;
  Dpm& dpm_;
};

}  // namespace alcor::controller
