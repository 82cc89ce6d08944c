#include "node-agent/pipeline/build_context.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::agent::pipeline {

using openflow::Field;
using openflow::Flow;
using openflow::Masked;
using openflow::Match;

uint32_t vniOfNeighbor(const NetworkState& state, const Neighbor& neighbor) {
  for (const auto& ip : neighbor.ips) {
    if (const Subnet* s = state.subnet(ip.subnet_id); s && s->vni != 0) return s->vni;
  }
  const Vpc* v = state.vpc(neighbor.vpc_id);
  return v ? v->vni : 0;
}

namespace {

void subnetFlows(BuildContext& ctx, const Subnet& subnet) {
  auto segment = ctx.segments.segmentOf(subnet.vni);
  if (!segment || subnet.gateway_ip.isUnspecified() || subnet.gateway_mac.isZero()) return;
  const uint64_t c = makeCookie(CookieCategory::kSubnet, subnet.id);
  ctx.arpResponse(*segment, subnet.gateway_ip, subnet.gateway_mac, c);
  if (ctx.state.routerOfSubnet(subnet.id) != nullptr) {
    // Distributed routing: frames to the gateway MAC are routed on this host.
    Match routed = openflow::ipv4Match();
    matchReg(routed, kSegmentField, *segment);
    routed.eth_dst = subnet.gateway_mac;
    Flow& f = ctx.add(kL3Forwarding, 200, c, routed);
    f.actions = {openflow::DecTtl{}, loadField(kRoutedField, 1)};
    f.goto_table = kL3Routes.id;
    if (ctx.config.tunnel_ofport != 0) {
      Match restore = openflow::ipv4Match();
      matchReg(restore, kSegmentField, *segment);
      restore.eth_src = Masked<MacAddress>(MacAddress::fromUint64(kDvrMacPrefix),
                                           MacAddress::fromUint64(kDvrMacPrefixMask));
      restore.ipv4_dst =
          Masked<Ipv4Address>(subnet.cidr.network(), Ipv4Address(subnet.cidr.mask()));
      Flow& r = ctx.add(kDvrRestore, 200, c, restore);
      r.actions = {openflow::setField(Field::kEthSrc, subnet.gateway_mac)};
      r.goto_table = kL2Forwarding.id;
    }
  }
}

void neighborFlows(BuildContext& ctx, const Neighbor& neighbor) {
  if (ctx.config.tunnel_ofport == 0) return;
  const uint32_t vni = vniOfNeighbor(ctx.state, neighbor);
  auto segment = ctx.segments.segmentOf(vni);
  if (!segment) return;  // no local port in that VPC: nothing to reach it from
  const uint64_t c = makeCookie(CookieCategory::kNeighbor, neighbor.key);
  for (const auto& ip : neighbor.ips) {
    ctx.arpResponse(*segment, ip.ip, neighbor.mac, c);
    const Router* router = ctx.state.routerOfSubnet(ip.subnet_id);
    if (ip.kind == NeighborKind::kL3 || router != nullptr) {
      Match m = openflow::ipv4Match();
      matchReg(m, kSegmentField, *segment);
      m.ipv4_dst = ip.ip;
      Flow& f = ctx.add(kL3Routes, 200, c, m);
      MacAddress dvr = router ? router->host_dvr_mac : MacAddress();
      if (dvr.isZero()) dvr = MacAddress::fromUint64(kDvrMacPrefix | 1);
      f.actions = {openflow::setField(Field::kEthSrc, dvr),
                   openflow::setField(Field::kEthDst, neighbor.mac)};
      f.goto_table = kL2Forwarding.id;
    }
  }
  Match m;
  matchReg(m, kPktSourceField, kFromPod);
  m.reg[kSegmentField.reg] = regValue(kSegmentField, *segment);
  m.eth_dst = neighbor.mac;
  Flow& f = ctx.add(kL2Forwarding, 200, c, m);
  f.actions = {openflow::setField(Field::kTunId, vni),
               openflow::setField(Field::kTunIpv4Dst, neighbor.host_ip),
               openflow::output(ctx.config.tunnel_ofport)};
}

}  // namespace

void addOverlayFlows(BuildContext& ctx) {
  for (const auto& [id, subnet] : ctx.state.subnets) subnetFlows(ctx, subnet);
  for (const auto& [key, neighbor] : ctx.state.neighbors) neighborFlows(ctx, neighbor);
}

}  // namespace alcor::agent::pipeline
