#pragma once

// The read-only view of the resources that DPM computes GoalStates from. ResourceStore
// implements it over its in-memory maps and indexes; the services call DPM with the store's lock
// held, so lookups see one consistent state.

#include <functional>
#include <string>
#include <vector>

#include "controller/model/resources.h"

namespace alcor::controller {

class Topology {
 public:
  virtual ~Topology() = default;
  virtual const Vpc* findVpc(const ResourceId& id) const = 0;
  virtual const Vpc* findVpcByVni(uint32_t vni) const = 0;
  virtual const Subnet* findSubnet(const ResourceId& id) const = 0;
  virtual const Port* findPort(const ResourceId& id) const = 0;
  virtual const SecurityGroup* findSecurityGroup(const ResourceId& id) const = 0;
  virtual const Router* findRouter(const ResourceId& id) const = 0;
  virtual const Gateway* findGateway(const ResourceId& id) const = 0;
  virtual const Node* findNodeByIp(const std::string& local_ip) const = 0;
  // Routers with an interface on the subnet.
  virtual std::vector<const Router*> routersOfSubnet(const ResourceId& subnet_id) const = 0;
  // The port of the VPC that has `address` as a fixed IP; null when none.
  virtual const Port* findPortByAddress(const ResourceId& vpc_id, Ipv4Address address) const = 0;
  // Ports the group filters: their security groups, or NetworkPolicy's, include it.
  virtual std::vector<const Port*> portsInGroup(const ResourceId& group_id) const = 0;
  // Ports whose addresses are the group's members: those it filters and NetworkPolicy's
  // address members (Port::policy_address_groups).
  virtual std::vector<const Port*> memberPortsOf(const ResourceId& group_id) const = 0;
  // Groups with a rule naming `remote_group_id` as remote group.
  virtual std::vector<ResourceId> groupsNaming(const ResourceId& remote_group_id) const = 0;
  // Every port (VPC and gateway changes, which are rare).
  virtual void forEachPort(const std::function<void(const Port&)>& fn) const = 0;
};

}  // namespace alcor::controller
