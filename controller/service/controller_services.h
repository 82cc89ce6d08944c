#pragma once

// The controller's resource logic behind the REST API and the on-demand server: one
// ResourceStore (resources, indexes, allocators, the lock), one Dpm, and a service per resource
// family. The services are the internal API other components (REST handlers, a NetworkPolicy
// controller) call; each call is one transaction and one push.

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/dpm/goalstate_sink.h"
#include "controller/service/gateway_service.h"
#include "controller/service/node_service.h"
#include "controller/service/port_service.h"
#include "controller/service/resource_store.h"
#include "controller/service/router_service.h"
#include "controller/service/security_group_service.h"
#include "controller/service/security_policy_service.h"
#include "controller/service/subnet_service.h"
#include "controller/service/vpc_service.h"
#include "controller/store/store.h"

namespace alcor::controller {

struct ServiceOptions {
  int agent_port = 50001;  // for nodes registered without server_port
};

class ControllerServices {
 public:
  // Loads every resource from the store and rebuilds allocators and the DPM cache. Hosts with a
  // port that never reached ACTIVE get a resync; nothing else is pushed.
  static StatusOr<std::unique_ptr<ControllerServices>> create(Store& store, GoalStateSink& sink,
                                                              ServiceOptions options = {});

  NodeService& nodes() { return nodes_; }
  VpcService& vpcs() { return vpcs_; }
  SubnetService& subnets() { return subnets_; }
  PortService& ports() { return ports_; }
  SecurityGroupService& securityGroups() { return groups_; }
  SecurityPolicyService& securityPolicy() { return policy_; }
  RouterService& routers() { return routers_; }
  GatewayService& gateways() { return gateways_; }

  // --bootstrap-*: creates the VPC and subnet when absent ("ID:CIDR"); idempotent.
  Status bootstrap(const std::string& project, const std::string& vpc_spec,
                   const std::string& subnet_spec);

  // The PushScheduler's full state of a host.
  std::vector<StatePtr> fullState(const std::string& host_ip);
  // Whether the DPM has a port of the host in the subnet. Only with the store lock held: for
  // the sink's enqueue, which the DPM calls under it.
  bool hostInSubnetLocked(const std::string& host_ip, const std::string& subnet_id) const;
  // RequestGoalStates: see Dpm::onDemandState.
  std::optional<std::vector<StatePtr>> onDemandState(const std::string& host_ip, uint32_t vni,
                                                     Ipv4Address destination_ip);
  // Tests: the hosts that learned the port on demand.
  std::set<std::string> onDemandHostsOf(const ResourceId& port_id) const;

  struct Counts {
    size_t nodes, vpcs, subnets, ports, active_ports, security_groups, routers, gateways;
  };
  Counts counts() const;

 private:
  ControllerServices(Store& store, GoalStateSink& sink, ServiceOptions options);

  GoalStateSink& sink_;
  ResourceStore store_;
  Dpm dpm_;
  NodeService nodes_;
  VpcService vpcs_;
  SubnetService subnets_;
  PortService ports_;
  SecurityGroupService groups_;
  SecurityPolicyService policy_;
  RouterService routers_;
  GatewayService gateways_;
};

}  // namespace alcor::controller
