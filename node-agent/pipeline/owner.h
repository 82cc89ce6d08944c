#pragma once

// Owners: the unit in which the agent computes, stores and diffs flows. An owner is the object a
// flow's cookie names (cookie.h): a port, a neighbor, a subnet, a segment (a VNI with a local
// port), ... Each owner kind has one function in the pipeline that computes all of its flows from
// the NetworkState (flowsOf, flow_builder.h), and the data plane keeps the installed flows per
// owner, so a change recomputes only the owners it makes dirty (dependencies.h).
//
// Owners are ordered as the full recompute visits them. When two owners want a flow with the same
// identity (table, priority, match; e.g. an ARP answer for an address that a local port and a
// stale neighbor both claim), the first in this order wins, in the full recompute and in the
// data plane alike.

#include <compare>
#include <cstdint>
#include <string>

namespace alcor::agent::pipeline {

enum class OwnerKind : uint8_t {
  kStatic,       // table misses and pipeline-wide punts; cookie "static"
  kPort,         // a plugged local port: classification, port security, ARP, L2/L3 delivery
  kDhcp,         // DHCP punt of a local port that has a DHCP entry
  kSegment,      // a VNI with a local port: tunnel classification, flooding, unknown unicast
  kSubnet,       // gateway ARP/ICMP, distributed routing of a subnet
  kNeighbor,     // a port on another host
  kHostGateway,  // a host-reachable VPC's gateway port: the node <-> the VPC's pods (id: VPC)
  kHostAccess,   // the established flows every host gateway shares ("host-access")
  kZeta,         // a VPC's Zeta gateway group for one VNI (flows and the select group)
  kSgPort,       // a protected port's conntrack and port clause flows ("sg-port:<port>")
  // Shared security-group flows: statics, allow sets, rule and member clauses. Clause flows are
  // shared between groups (one flow carries the conjunctions of every set that needs its match),
  // so these are one owner.
  kSgRules,
  // Control guard (control_guard_flows.cc): the drops of the guarded ports (config only), the
  // exception for destinations in a subnet's own VPC, the exception for a port of an allowed
  // namespace.
  kGuard,
  kGuardSubnet,
  kGuardPort,
};

struct OwnerKey {
  OwnerKind kind = OwnerKind::kStatic;
  std::string id;       // port id, neighbor key, subnet id, VPC id (zeta, host gateway)
  uint32_t number = 0;  // the VNI (segment, zeta)
  auto operator<=>(const OwnerKey&) const = default;
};

inline OwnerKey staticOwner() { return {OwnerKind::kStatic, "", 0}; }
inline OwnerKey portOwner(const std::string& id) { return {OwnerKind::kPort, id, 0}; }
inline OwnerKey dhcpOwner(const std::string& id) { return {OwnerKind::kDhcp, id, 0}; }
inline OwnerKey segmentOwner(uint32_t vni) { return {OwnerKind::kSegment, "", vni}; }
inline OwnerKey subnetOwner(const std::string& id) { return {OwnerKind::kSubnet, id, 0}; }
inline OwnerKey neighborOwner(const std::string& key) { return {OwnerKind::kNeighbor, key, 0}; }
inline OwnerKey hostGatewayOwner(const std::string& vpc_id) {
  return {OwnerKind::kHostGateway, vpc_id, 0};
}
inline OwnerKey hostAccessOwner() { return {OwnerKind::kHostAccess, "", 0}; }
inline OwnerKey zetaOwner(const std::string& vpc_id, uint32_t vni) {
  return {OwnerKind::kZeta, vpc_id, vni};
}
inline OwnerKey sgPortOwner(const std::string& id) { return {OwnerKind::kSgPort, id, 0}; }
inline OwnerKey sgRulesOwner() { return {OwnerKind::kSgRules, "", 0}; }
inline OwnerKey guardOwner() { return {OwnerKind::kGuard, "", 0}; }
inline OwnerKey guardSubnetOwner(const std::string& id) { return {OwnerKind::kGuardSubnet, id, 0}; }
inline OwnerKey guardPortOwner(const std::string& id) { return {OwnerKind::kGuardPort, id, 0}; }

// "port p1", "segment 1001", "zeta vpc-1/1001" (logs, test messages).
std::string describe(const OwnerKey& owner);

}  // namespace alcor::agent::pipeline
