#pragma once

// Data-Plane Manager: turns resource changes into per-host queues of encoded states, as Alcor's
// DPM v2 does with unicast and multicast GoalStates (docs/controller.md, "DPM rules"):
// - the port's host gets its unicast states: port, VPC, subnets, DHCP, security groups, gateways
//   of the VPC, routers of its subnets (with the host's DVR MAC);
// - every other host with ports in the port's subnets gets an L2 neighbor for it, and every host
//   with ports in another subnet of the same router an L3 neighbor: that state is built and
//   serialized once and the same bytes are queued for all of them (multicast);
// - a host that gains (or loses) its first (last) port in a subnet gets (or loses) the whole
//   neighbor set of that subnet and its routers;
// - subnets of a VPC with a ZETA gateway announce no neighbors: the gateway's FWDs forward the
//   first packets and tell the source host the direct path (docs/design/zeta.md);
// - a host that learned a neighbor on demand is remembered, and gets its updates and deletes;
// - router, security group, gateway, VPC and subnet changes fan out to the hosts that use them.
// States go to the GoalStateSink; nothing here blocks on the network. Not thread-safe: the
// services call it with the ResourceStore's lock held.

#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "controller/dpm/goalstate_sink.h"
#include "controller/dpm/port_cache.h"
#include "controller/dpm/topology.h"

namespace alcor::controller {

// A port and the IP and MAC of the node it is bound to (ports of unknown nodes have no
// placement). Neighbor states carry both.
struct PortPlacement {
  Port port;
  std::string host_ip;
  std::string host_mac;
};

// One port created (no before), changed or moved, or deleted (no after).
struct PortChange {
  std::optional<PortPlacement> before;
  std::optional<PortPlacement> after;
};

// What a host had before a change, to push the difference after it.
struct HostSnapshot {
  std::set<std::string> neighbor_keys;
  std::set<ResourceId> router_ids;
};
using HostSnapshots = std::map<std::string, HostSnapshot>;

class Dpm {
 public:
  Dpm(const Topology& topology, GoalStateSink& sink) : topology_(topology), sink_(sink) {}

  // Start-up: fills the cache without pushing.
  void load(const std::vector<PortPlacement>& placements);

  // The port changes of one request, in order; queued for the hosts once, at the end.
  void portsChanged(const std::vector<PortChange>& changes);

  // Around a router change (interfaces added or removed, router updated): snapshot the hosts of
  // the router's subnets before, push the differences after.
  HostSnapshots snapshotHostsOf(const std::set<ResourceId>& subnet_ids) const;
  void hostsChanged(const HostSnapshots& before, const std::set<ResourceId>& subnet_ids);

  // Pushes the group (rules and member addresses) to every host with a port in it or in a group
  // whose rules name it as remote group (security_group_fanout.cc).
  void securityGroupChanged(const ResourceId& group_id);
  // Hosts that hold the group: with a port filtered by it or by a group naming it.
  std::set<std::string> hostsHoldingGroup(const ResourceId& group_id) const;
  // The group is gone (no port or group uses it any more): `hosts` (hostsHoldingGroup before
  // the change) drop it.
  void securityGroupRemoved(const ResourceId& group_id, const std::set<std::string>& hosts);
  void vpcChanged(const ResourceId& vpc_id);
  void subnetChanged(const ResourceId& subnet_id);
  void gatewayChanged(const ResourceId& gateway_id);
  // The host's agent starts afresh (node registered again) or is gone: forget what it learned
  // on demand.
  void hostReset(const std::string& host_ip);

  // Everything the host should have: its ports' states, all its neighbors (also those it
  // learned on demand), routers.
  std::vector<StatePtr> fullState(const std::string& host_ip);
  // On demand: the neighbor state `host_ip` needs to reach `destination_ip` in the VPC with
  // `vni` (nothing when it is the host's own port); nullopt when no port there has that address
  // (NOT_ROUTABLE) or the host has no port in that VPC. Remembers that the host learned it.
  std::optional<std::vector<StatePtr>> onDemandState(const std::string& host_ip, uint32_t vni,
                                                     Ipv4Address destination_ip);
  // Tests: the hosts that learned the port on demand.
  std::set<std::string> onDemandHostsOf(const ResourceId& port_id) const;

  const SubnetPortCache& cache() const { return cache_; }
  // Placed ports (bound to a known node) of the VPC, kept as ports change; the sink hears
  // every change of it (GoalStateSink::vpcPortsChanged).
  size_t portsInVpc(const ResourceId& vpc_id) const;

 private:
  enum Kinds { kNone = 0, kL2 = 1, kL3 = 2 };
  // States queued per host during one operation, handed to the sink at its end.
  struct Delivery {
    HostStates hosts;
    std::set<ResourceId> groups_to_refresh;  // member addresses changed
    // (host, group, VPC): group states port bundles need, built once at the end.
    std::set<std::tuple<std::string, ResourceId, ResourceId>> group_needs;
    void add(const std::string& host, StatePtr s) { hosts[host].push_back(std::move(s)); }
  };

  // ---- Encoded states, built once and shared (dpm_states.cc) ----
  StatePtr subnetContext(const ResourceId& subnet_id, schema::OperationType op);
  std::vector<StatePtr> contextOf(const Port& port, schema::OperationType op);
  StatePtr neighborState(const Port& port, const std::string& port_host, schema::NeighborType type,
                         schema::OperationType op);
  StatePtr neighborDeleteState(schema::NeighborType type, const ResourceId& port_id);
  StatePtr routerState(const Router& router, const std::string& host_ip, schema::OperationType op);
  StatePtr gatewayState(const Gateway& gateway, schema::OperationType op);
  void addPortBundle(Delivery& out, const Port& port, const std::string& host_ip,
                     schema::OperationType op);
  void addPortDelete(Delivery& out, const Port& port, const std::string& host_ip);
  // When a port (or its node) changes, its cached neighbor states are stale.
  void forgetPortStates(const ResourceId& port_id);
  void forgetAllStates();
  std::string hostMac(const std::string& host_ip) const;

  // ---- Host selection (dpm.cc) ----
  HostSnapshot snapshot(const std::string& host_ip) const;
  bool zetaOffloaded(const ResourceId& subnet_id) const;
  int neighborKinds(const std::string& host_ip, const std::vector<ResourceId>& subnets) const;
  std::map<std::string, int> audience(const std::vector<ResourceId>& subnets,
                                      const std::string& except_host) const;
  bool addNeighbor(Delivery& out, const std::string& host, const std::string& key,
                   schema::OperationType op);
  void pushDiff(Delivery& out, const std::string& host_ip, const HostSnapshot& before);
  void portChanged(Delivery& out, const std::optional<PortPlacement>& before,
                   const std::optional<PortPlacement>& after);
  void onDemandHostsChanged(Delivery& out, const std::optional<PortPlacement>& before,
                            const std::optional<PortPlacement>& after,
                            const std::map<std::string, int>& audience_after);
  void flush(Delivery& out);
  void countVpcPorts(const std::vector<PortChange>& changes);

  // ---- Security groups (security_group_fanout.cc) ----
  std::vector<std::string> memberAddresses(const ResourceId& group_id) const;
  StatePtr groupState(const SecurityGroup& g, const ResourceId& vpc_id, schema::OperationType op,
                      std::map<std::pair<ResourceId, ResourceId>, StatePtr>& built);
  void addSecurityGroups(Delivery& out, const std::string& host, const Port& port);
  void resolveGroups(Delivery& out);
  void refreshGroup(Delivery& out, const ResourceId& group_id);
  void noteMembersChanged(Delivery& out, const std::optional<PortPlacement>& before,
                          const std::optional<PortPlacement>& after);

  const Topology& topology_;
  GoalStateSink& sink_;
  SubnetPortCache cache_;
  // Encoded states kept across operations: neighbors ("L2/<port>#<op>") and subnet/VPC context
  // ("<subnet>#<op>").
  std::unordered_map<std::string, StatePtr> neighbor_states_;
  std::unordered_map<std::string, StatePtr> context_states_;
  // Stamped on every neighbor state built (revision_number): the order of the DPM's decisions
  // about neighbors, so an agent getting a neighbor by two paths (unicast and a subnet's
  // multicast on NATS) keeps the newest. Starts again at 1 with the controller.
  uint32_t neighbor_revision_ = 0;
  std::map<ResourceId, size_t> vpc_ports_;  // placed ports per VPC
  // Port -> hosts that learned it on demand -> the neighbor type they learned.
  std::map<ResourceId, std::map<std::string, schema::NeighborType>> on_demand_;
};

std::vector<ResourceId> subnetIdsOf(const Port& port);
// Whether the two versions give the same neighbor state (host, MACs, addresses).
bool sameNeighbor(const PortPlacement& a, const PortPlacement& b);

}  // namespace alcor::controller
