#pragma once

// Data-Plane Manager: turns resource changes into per-host GoalStateV2 fragments, as Alcor's DPM
// does (docs/controller.md, "DPM rules"):
// - the port's host gets a unicast GoalState: port, VPC, subnets, DHCP, security groups,
//   gateways of the VPC, routers of its subnets (with the host's DVR MAC);
// - every other host with ports in the port's subnets gets an L2 neighbor for it, and every host
//   with ports in another subnet of the same router an L3 neighbor;
// - a host that gains (or loses) its first (last) port in a subnet gets (or loses) the whole
//   neighbor set of that subnet and its routers;
// - subnets of a VPC with a ZETA gateway announce no neighbors: the gateway's FWDs forward the
//   first packets and tell the source host the direct path (docs/design/zeta.md);
// - router, security group, gateway, VPC and subnet changes fan out to the hosts that use them.
// Fragments go to the PushScheduler; nothing here blocks on the network. Not thread-safe: the
// owner (NetworkService) serializes calls.

#include <map>
#include <optional>
#include <set>
#include <string>

#include "alcor/goalstate.pb.h"
#include "controller/dpm/port_cache.h"
#include "controller/dpm/push_scheduler.h"
#include "controller/dpm/topology.h"

namespace alcor::controller {

// A port and the IP of the node it is bound to (ports of unknown nodes have no placement).
struct PortPlacement {
  Port port;
  std::string host_ip;
};

// What a host had before a change, to push the difference after it.
struct HostSnapshot {
  std::set<std::string> neighbor_keys;
  std::set<std::string> router_ids;
};
using HostSnapshots = std::map<std::string, HostSnapshot>;

class Dpm {
 public:
  Dpm(const Topology& topology, PushScheduler& scheduler)
      : topology_(topology), scheduler_(scheduler) {}

  // Start-up: fills the cache without pushing.
  void load(const std::vector<PortPlacement>& placements);

  void portChanged(const std::optional<PortPlacement>& before,
                   const std::optional<PortPlacement>& after);

  // Around a router change (interfaces added or removed, router deleted): snapshot the hosts
  // of the router's subnets before, push the differences after.
  HostSnapshots snapshotHostsOf(const std::set<std::string>& subnet_ids) const;
  void hostsChanged(const HostSnapshots& before, const std::set<std::string>& subnet_ids);

  // Pushes the group (rules and member addresses) to every host with a port in it or in a group
  // whose rules name it as remote group (security_group_fanout.cc).
  void securityGroupChanged(const std::string& group_id, bool deleted);
  // Hosts that hold the group: with a port filtered by it or by a group naming it.
  std::set<std::string> hostsOfGroup(const std::string& group_id) const;
  // The group is gone (no port uses it any more): `hosts` (hostsOfGroup before) drop it.
  void securityGroupRemoved(const std::string& group_id, const std::set<std::string>& hosts);
  void vpcChanged(const std::string& vpc_id);
  void subnetChanged(const std::string& subnet_id);
  void gatewayChanged(const std::string& gateway_id, bool deleted);

  // Everything the host should have: its ports' bundles, all neighbors, routers.
  schema::GoalStateV2 fullState(const std::string& host_ip) const;
  // On-demand: the neighbor state `host_ip` needs to reach `destination_ip` in the VPC with
  // `vni`; nullopt when no port there has that address (NOT_ROUTABLE).
  std::optional<schema::GoalStateV2> onDemandState(const std::string& host_ip, uint32_t vni,
                                                   const std::string& destination_ip) const;

  const SubnetPortCache& cache() const { return cache_; }

 private:
  using Fragments = std::map<std::string, schema::GoalStateV2>;
  enum Kinds { kNone = 0, kL2 = 1, kL3 = 2 };

  HostSnapshot snapshot(const std::string& host_ip) const;
  // The subnet's VPC has a ZETA gateway: its ports are not announced as neighbors.
  bool zetaOffloaded(const std::string& subnet_id) const;
  int neighborKinds(const std::string& host_ip, const std::vector<std::string>& subnets) const;
  std::set<std::string> candidateHosts(const std::vector<std::string>& subnets) const;
  void addContext(schema::GoalStateV2& gs, const Port& port, schema::OperationType op) const;
  void addSubnetContext(schema::GoalStateV2& gs, const std::string& subnet_id,
                        schema::OperationType op) const;
  // Security groups (security_group_fanout.cc).
  // Member addresses of each group, sorted and unique, from one pass over the ports.
  using GroupMembers = std::map<std::string, std::vector<std::string>>;
  GroupMembers memberAddressesOf(const std::set<std::string>& group_ids) const;
  std::set<std::string> groupsNaming(const std::string& remote_group_id) const;
  void addGroupState(schema::GoalStateV2& gs, const SecurityGroup& g, const std::string& vpc_id,
                     schema::OperationType op, const std::vector<std::string>& members) const;
  void addSecurityGroups(schema::GoalStateV2& gs, const Port& port, schema::OperationType op) const;
  void securityGroupMembersChanged(const std::optional<PortPlacement>& before,
                                   const std::optional<PortPlacement>& after);
  void addPortBundle(schema::GoalStateV2& gs, const Port& port, const std::string& host_ip,
                     schema::OperationType op) const;
  void addRouter(schema::GoalStateV2& gs, const Router& router, const std::string& host_ip,
                 schema::OperationType op) const;
  bool addNeighbor(schema::GoalStateV2& gs, const std::string& key, schema::OperationType op) const;
  void addNeighborOf(schema::GoalStateV2& gs, const Port& port, const std::string& port_host,
                     schema::NeighborType type, schema::OperationType op) const;
  void pushDiff(Fragments& out, const std::string& host_ip, const HostSnapshot& before) const;
  void flush(Fragments& fragments);
  std::string hostMac(const std::string& host_ip) const;

  const Topology& topology_;
  PushScheduler& scheduler_;
  SubnetPortCache cache_;
};

std::vector<std::string> subnetIdsOf(const Port& port);

}  // namespace alcor::controller
