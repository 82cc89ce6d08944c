#include "node-agent/pipeline/zeta_flows.h"

#include <set>

#include "node-agent/pipeline/build_context.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::agent::pipeline {

using openflow::Field;
using openflow::Flow;
using openflow::GroupMod;
using openflow::Match;

const Gateway* zetaGatewayOf(const NetworkState& state, const Vpc& vpc) {
  for (const auto& id : vpc.gateway_ids) {
    auto it = state.gateways.find(id);
    if (it != state.gateways.end() && it->second.type == GatewayType::kZeta &&
        !it->second.destinations.empty()) {
      return &it->second;
    }
  }
  return nullptr;
}

const Vpc* vpcOfVni(const NetworkState& state, uint32_t vni) {
  if (vni == 0) return nullptr;
  for (const auto& [id, vpc] : state.vpcs) {
    if (vpc.vni == vni) return &vpc;
  }
  for (const auto& [id, subnet] : state.subnets) {
    if (subnet.vni == vni) return state.vpc(subnet.vpc_id);
  }
  return nullptr;
}

uint64_t directPathCookie(uint32_t vni) {
  return makeCookie(CookieCategory::kDirectPath, "vni:" + std::to_string(vni));
}

Flow directPathFlow(const DirectPath& path, uint32_t tunnel_ofport) {
  Flow f;
  f.table = kL2Forwarding.id;
  f.priority = kDirectPathPriority;
  f.cookie = directPathCookie(path.vni);
  f.idle_timeout = path.idle_timeout;
  Match& m = f.match;
  m = openflow::ipv4Match();
  matchReg(m, kPktSourceField, kFromPod);
  matchReg(m, kVniField, path.vni);
  m.ipv4_src = path.src_ip;
  m.ipv4_dst = path.dst_ip;
  m.ip_proto = path.protocol;
  if (path.protocol == 6) {
    m.tcp_src = path.src_port;
    m.tcp_dst = path.dst_port;
  } else if (path.protocol == 17) {
    m.udp_src = path.src_port;
    m.udp_dst = path.dst_port;
  }
  f.actions = {openflow::setField(Field::kEthDst, path.instance_mac),
               openflow::setField(Field::kTunId, path.vni),
               openflow::setField(Field::kTunIpv4Dst, path.node_ip),
               openflow::output(tunnel_ofport)};
  return f;
}

namespace {

GroupMod zetaGroup(const Gateway& gateway, uint32_t vni, uint32_t tunnel_ofport) {
  GroupMod g;
  g.command = GroupMod::kAdd;
  g.type = GroupMod::kSelect;
  g.group_id = zetaGroupId(vni);
  uint32_t bucket_id = 0;
  for (const auto& fwd : gateway.destinations) {
    openflow::Bucket b;
    b.bucket_id = bucket_id++;
    b.weight = kZetaBucketWeight;
    b.actions = {openflow::setField(Field::kTunIpv4Dst, fwd.ip),
                 openflow::setField(Field::kEthDst, fwd.mac), openflow::output(tunnel_ofport)};
    g.buckets.push_back(std::move(b));
  }
  return g;
}

void vniFlows(BuildContext& ctx, const Vpc& vpc, const Gateway& gateway, uint32_t vni,
              uint16_t segment) {
  const uint64_t c = makeCookie(CookieCategory::kGateway, vpc.id + "/" + std::to_string(vni));
  ctx.out.groups.push_back(zetaGroup(gateway, vni, ctx.config.tunnel_ofport));
  const std::vector<openflow::Action> to_group = {openflow::setField(Field::kTunId, vni),
                                                  openflow::Group{zetaGroupId(vni)}};
  // Unknown unicast from a pod: the FWDs know every instance of the VPC.
  Match unicast;
  matchReg(unicast, kPktSourceField, kFromPod);
  matchReg(unicast, kSegmentField, segment);
  ctx.add(kL2Forwarding, kZetaUnknownUnicastPriority, c, unicast).actions = to_group;
  // ARP requests nobody on this host answers: the FWDs answer tenant ARP.
  Match arp = openflow::arpMatch();
  matchReg(arp, kSegmentField, segment);
  arp.arp_op = uint16_t{1};
  ctx.add(kArpResponder, kZetaArpPriority, c, arp).actions = to_group;
}

// The VNIs of a VPC: its own and its subnets'.
std::set<uint32_t> vnisOfVpc(const NetworkState& state, const Vpc& vpc) {
  std::set<uint32_t> vnis;
  if (vpc.vni != 0) vnis.insert(vpc.vni);
  for (const auto& [sid, subnet] : state.subnets) {
    if (subnet.vpc_id == vpc.id && subnet.vni != 0) vnis.insert(subnet.vni);
  }
  return vnis;
}

}  // namespace

std::vector<OwnerKey> zetaOwners(const NetworkState& state, const SegmentAllocator& segments,
                                 const PipelineConfig& config) {
  std::vector<OwnerKey> out;
  if (config.tunnel_ofport == 0) return out;
  for (const auto& [id, vpc] : state.vpcs) {
    if (!zetaGatewayOf(state, vpc)) continue;
    // No local port in the VNI: nothing to send, so no group (removed with the last port).
    for (uint32_t vni : vnisOfVpc(state, vpc)) {
      if (segments.segmentOf(vni)) out.push_back(zetaOwner(id, vni));
    }
  }
  return out;
}

void addZetaFlows(BuildContext& ctx, const std::string& vpc_id, uint32_t vni) {
  if (ctx.config.tunnel_ofport == 0) return;
  const Vpc* vpc = ctx.state.vpc(vpc_id);
  if (!vpc) return;
  const Gateway* gateway = zetaGatewayOf(ctx.state, *vpc);
  auto segment = ctx.segments.segmentOf(vni);
  if (!gateway || !segment || !vnisOfVpc(ctx.state, *vpc).count(vni)) return;
  vniFlows(ctx, *vpc, *gateway, vni, *segment);
}

}  // namespace alcor::agent::pipeline
