#pragma once

// What one mutation of the NetworkState touched, by object id. Every writer fills it (the
// GoalState handler, the CNI server); the data plane expands it, through one dependency function
// (pipeline/dependencies.h), into the flow owners to recompute. An object named here that did
// not really change costs a recomputation and nothing more; one that changed and is not named
// keeps stale flows until the next resync, so writers name what they touch.

#include <set>
#include <string>

namespace alcor::agent {

struct ChangeSet {
  std::set<std::string> vpcs, subnets, ports, neighbors, dhcp, routers, gateways, security_groups,
      interfaces, host_gateways;  // host_gateways: by VPC id
  // The mutation replaced the state wholesale (tests, benchmarks): every owner is recomputed.
  bool whole_state = false;
  bool empty() const;
  void merge(const ChangeSet& other);
};

}  // namespace alcor::agent
