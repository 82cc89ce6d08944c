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

// Echo requests to the gateway IP are answered by the flow itself: MACs and IPs swapped, type 8
// becomes 0. OVS adjusts the IPv4 and ICMP checksums for the rewritten fields.
void gatewayEchoReply(BuildContext& ctx, const Subnet& subnet, uint16_t segment, uint64_t cookie) {
  Match echo = openflow::icmpMatch();
  matchReg(echo, kSegmentField, segment);
  echo.ipv4_dst = subnet.gateway_ip;
  echo.icmp_type = uint8_t{8};
  Flow& f = ctx.add(kL3Forwarding, 300, cookie, echo);
  f.actions = {openflow::move(Field::kEthSrc, Field::kEthDst),
               openflow::setField(Field::kEthSrc, subnet.gateway_mac),
               openflow::move(Field::kIpv4Src, Field::kIpv4Dst),
               openflow::setField(Field::kIpv4Src, subnet.gateway_ip),
               openflow::setField(Field::kIcmpType, 0),
               openflow::OutputInPort{}};
}

void subnetFlows(BuildContext& ctx, const Subnet& subnet) {
  auto segment = ctx.segments.segmentOf(subnet.vni);
  if (!segment || subnet.gateway_ip.isUnspecified() || subnet.gateway_mac.isZero()) return;
  const uint64_t c = makeCookie(CookieCategory::kSubnet, subnet.id);
  ctx.arpResponse(*segment, subnet.gateway_ip, subnet.gateway_mac, c);
  gatewayEchoReply(ctx, subnet, *segment, c);
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
  // Pods and the node (host gateway) reach remote ports; the tunnel's packets never go back.
  Match m;
  matchReg(m, kFromLocalField, 1);
  m.reg[kSegmentField.reg] = regValue(kSegmentField, *segment);
  m.eth_dst = neighbor.mac;
  Flow& f = ctx.add(kL2Forwarding, 200, c, m);
  f.actions = {openflow::setField(Field::kTunId, vni),
               openflow::setField(Field::kTunIpv4Dst, neighbor.host_ip),
               openflow::output(ctx.config.tunnel_ofport)};
}

bool vniHasZetaGateway(const NetworkState& state, uint32_t vni) {
  for (const auto& [id, vpc] : state.vpcs) {
    if (vpc.vni != vni) continue;
    for (const auto& gw : vpc.gateway_ids) {
      auto it = state.gateways.find(gw);
      if (it != state.gateways.end() && it->second.type == GatewayType::kZeta) return true;
    }
  }
  return false;
}

}  // namespace

void addSubnetFlows(BuildContext& ctx, const std::string& subnet_id) {
  if (const Subnet* subnet = ctx.state.subnet(subnet_id)) subnetFlows(ctx, *subnet);
}

void addNeighborFlows(BuildContext& ctx, const std::string& neighbor_key) {
  auto it = ctx.state.neighbors.find(neighbor_key);
  if (it != ctx.state.neighbors.end()) neighborFlows(ctx, it->second);
}

// What the flows cannot answer goes to the agent, which asks the controller on demand
// (node-agent/ondemand): ARP requests for unknown addresses (still flooded to the local ports,
// which may hold the address as an allowed address pair) and unicast frames from pods to
// unknown MACs (unless the VPC's Zeta gateway takes those).
void addOnDemandArpPunt(BuildContext& ctx) {
  Match arp_miss = openflow::arpMatch();
  arp_miss.arp_op = uint16_t{1};
  Flow& f = ctx.add(kArpResponder, 100, makeCookie(CookieCategory::kStatic, "static"), arp_miss);
  f.actions = {openflow::controller({kPuntArpMiss})};
  f.goto_table = kLocalServices.id;
}

void addOnDemandUnicastPunt(BuildContext& ctx, uint32_t vni, uint16_t segment) {
  if (vniHasZetaGateway(ctx.state, vni)) return;
  Match miss;
  matchReg(miss, kPktSourceField, kFromPod);
  miss.reg[kSegmentField.reg] = regValue(kSegmentField, segment);
  ctx.add(kL2Forwarding, 50, makeCookie(CookieCategory::kSegment, "vni:" + std::to_string(vni)),
          miss)
      .actions = {openflow::controller({kPuntUnicastMiss})};
}

}  // namespace alcor::agent::pipeline
