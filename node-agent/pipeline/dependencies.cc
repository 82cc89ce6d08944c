#include "node-agent/pipeline/dependencies.h"

#include "node-agent/pipeline/build_context.h"

namespace alcor::agent::pipeline {
namespace {

std::vector<std::string> subnetsOf(const Router& router) {
  std::vector<std::string> out;
  for (const auto& rs : router.subnets) out.push_back(rs.subnet_id);
  return out;
}

std::set<OwnerKey> asSet(std::vector<OwnerKey> owners) {
  return {std::make_move_iterator(owners.begin()), std::make_move_iterator(owners.end())};
}

// VNIs whose segment appeared, went away or changed number.
std::set<uint32_t> resegmented(const std::map<uint32_t, uint16_t>& before,
                               const std::map<uint32_t, uint16_t>& after) {
  std::set<uint32_t> out;
  for (const auto& [vni, segment] : before) {
    auto it = after.find(vni);
    if (it == after.end() || it->second != segment) out.insert(vni);
  }
  for (const auto& [vni, segment] : after) {
    if (!before.count(vni)) out.insert(vni);
  }
  return out;
}

}  // namespace

DirtyOwners DependencyTracker::dirtyOwners(const ChangeSet& changes, const NetworkState& state,
                                           const SegmentAllocator& segments,
                                           const std::map<uint32_t, uint16_t>& segments_before,
                                           const PipelineConfig& config, FlowBuilder& builder) {
  DirtyOwners dirty;
  if (changes.whole_state) {
    dirty.all = true;
    reset(state, segments, config, builder);
    return dirty;
  }
  std::set<OwnerKey>& out = dirty.owners;
  bool all_dhcp = false, all_segments = false, all_zeta = false, security_groups = false;
  auto dirtyPort = [&](const std::string& id) {
    out.insert(portOwner(id));
    out.insert(dhcpOwner(id));
    out.insert(sgPortOwner(id));
    out.insert(guardPortOwner(id));
  };
  for (const auto* ids : {&changes.ports, &changes.interfaces}) {
    for (const auto& id : *ids) dirtyPort(id);
    if (!ids->empty()) all_segments = security_groups = true;
  }
  // A host gateway's flows come from its entry and its port's GoalState; whether one is plugged
  // may depend on the other entries (pluggedHostGateway), and there are few: all of them.
  bool host_gateways = !changes.host_gateways.empty();
  for (const auto& [vpc_id, gateway] : state.host_gateways) {
    host_gateways = host_gateways || changes.ports.count(gateway.port_id) > 0;
  }
  for (const auto& vpc_id : changes.host_gateways) out.insert(hostGatewayOwner(vpc_id));
  for (const auto& key : changes.neighbors) out.insert(neighborOwner(key));
  all_dhcp = !changes.dhcp.empty();

  // Objects that others refer to by id: found by scanning the referrers below.
  std::set<std::string> subnets(changes.subnets.begin(), changes.subnets.end());
  const std::set<std::string>& vpcs = changes.vpcs;
  const std::set<uint32_t> vnis = resegmented(segments_before, segments.all());
  std::set<std::string> routed;  // subnets whose router changed
  for (const auto& id : changes.routers) {
    auto& known = router_subnets_[id];
    routed.insert(known.begin(), known.end());
    auto it = state.routers.find(id);
    if (it == state.routers.end()) {
      router_subnets_.erase(id);
      continue;
    }
    known = subnetsOf(it->second);
    routed.insert(known.begin(), known.end());
  }
  for (const auto& id : subnets) out.insert(subnetOwner(id));
  for (const auto& id : routed) out.insert(subnetOwner(id));
  if (!subnets.empty() || !vpcs.empty() || !vnis.empty()) {
    all_segments = all_zeta = security_groups = host_gateways = true;
    all_dhcp = all_dhcp || !subnets.empty();
  }
  if (!changes.gateways.empty()) all_segments = all_zeta = true;
  if (!changes.security_groups.empty()) security_groups = true;

  auto inSubnets = [](const auto& ips, const std::set<std::string>& ids) {
    for (const auto& ip : ips) {
      if (ids.count(ip.subnet_id)) return true;
    }
    return false;
  };
  if (!subnets.empty() || !vpcs.empty() || !vnis.empty()) {
    for (const auto& [id, port] : state.ports) {
      if (inSubnets(port.fixed_ips, subnets) || vpcs.count(port.vpc_id) ||
          vnis.count(state.vniOfPort(port))) {
        dirtyPort(id);
      }
    }
  }
  if (!vnis.empty()) {
    for (const auto& [id, subnet] : state.subnets) {
      if (vnis.count(subnet.vni)) out.insert(subnetOwner(id));
    }
  }
  if (!subnets.empty() || !routed.empty() || !vpcs.empty() || !vnis.empty()) {
    for (const auto& [key, neighbor] : state.neighbors) {
      if (inSubnets(neighbor.ips, subnets) || inSubnets(neighbor.ips, routed) ||
          vpcs.count(neighbor.vpc_id) || vnis.count(vniOfNeighbor(state, neighbor))) {
        out.insert(neighborOwner(key));
      }
    }
  }

  if (all_dhcp) {
    for (const auto& [id, port] : state.ports) out.insert(dhcpOwner(id));
  }
  if (all_segments) {
    for (const auto& [vni, segment] : segments_before) out.insert(segmentOwner(vni));
    for (const auto& [vni, segment] : segments.all()) out.insert(segmentOwner(vni));
  }
  for (uint32_t vni : vnis) out.insert(segmentOwner(vni));
  if (all_zeta) {
    out.insert(zeta_owners_.begin(), zeta_owners_.end());
    zeta_owners_ = asSet(zetaOwners(state, segments, config));
    out.insert(zeta_owners_.begin(), zeta_owners_.end());
  }
  if (host_gateways) {
    for (const auto& [vpc_id, gateway] : state.host_gateways) out.insert(hostGatewayOwner(vpc_id));
    out.insert(hostAccessOwner());
  }
  if (security_groups) {
    SecurityGroupInputs now = securityGroupInputs(state, builder.securityGroupPlan());
    if (!now.sameRules(security_groups_)) out.insert(sgRulesOwner());
    for (const auto* side : {&security_groups_.ports, &now.ports}) {
      for (const auto& [id, sets] : *side) {
        auto before = security_groups_.ports.find(id);
        auto after = now.ports.find(id);
        if (before == security_groups_.ports.end() || after == now.ports.end() ||
            before->second != after->second) {
          out.insert(sgPortOwner(id));
        }
      }
    }
    security_groups_ = std::move(now);
  }
  // The guard's exception for a subnet follows the subnet's own flows (its CIDR and segment).
  std::vector<OwnerKey> guarded_subnets;
  for (const OwnerKey& owner : out) {
    if (owner.kind == OwnerKind::kSubnet) guarded_subnets.push_back(guardSubnetOwner(owner.id));
  }
  out.insert(guarded_subnets.begin(), guarded_subnets.end());
  return dirty;
}

void DependencyTracker::reset(const NetworkState& state, const SegmentAllocator& segments,
                              const PipelineConfig& config, FlowBuilder& builder) {
  router_subnets_.clear();
  for (const auto& [id, router] : state.routers) router_subnets_[id] = subnetsOf(router);
  security_groups_ = securityGroupInputs(state, builder.securityGroupPlan());
  zeta_owners_ = asSet(zetaOwners(state, segments, config));
}

}  // namespace alcor::agent::pipeline
