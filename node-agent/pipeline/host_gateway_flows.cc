// Host gateways: the node's own port in each host-reachable VPC (an internal port on br-int with
// the MAC and address of a controller port bound to this node). Pods reach the node through it
// (kubelet probes, kube-proxy services, node-local DNS) and the node reaches every pod of the VPC,
// local or remote, like a pod would. Connections that enter the VPC from the node (kube-proxy's
// DNAT, NodePort, hostPort) are marked in the VPC's host conntrack zone so that their replies go
// back through the node, whose conntrack reverses the NAT. docs/design/ovs-pipeline.md,
// "Host gateways"; the security-group exemption: docs/design/security-groups.md.
// Owners (owner.h): one per VPC (cookie category host-gateway, key = VPC id), plus the host
// access owner for the two security-group flows every gateway shares (key "host-access").

#include "node-agent/pipeline/build_context.h"
#include "node-agent/pipeline/cookie.h"
#include "node-agent/pipeline/security_group_flows.h"

namespace alcor::agent::pipeline {

using openflow::Field;
using openflow::Flow;
using openflow::Masked;
using openflow::Match;

namespace {

struct GatewayPort {
  const HostGateway& gateway;
  const Port& port;
  Ipv4Address ip;
  uint16_t segment;
  uint32_t vni;
};

std::vector<openflow::Action> toGateway(const GatewayPort& g, const MacAddress& source) {
  return {openflow::setField(Field::kEthSrc, source),
          openflow::setField(Field::kEthDst, g.port.mac), openflow::output(g.gateway.ofport)};
}

// From the node: trusted (no SpoofGuard), may be tunnelled; IP packets commit their connection
// in the VPC's host zone with the FromHost mark before anything else happens to them.
void classify(BuildContext& ctx, const GatewayPort& g, uint64_t c) {
  const uint32_t ofport = g.gateway.ofport;
  std::vector<openflow::Action> load = {loadField(kPktSourceField, kFromHost),
                                        loadField(kFromLocalField, 1), loadField(kVniField, g.vni),
                                        loadField(kSegmentField, g.segment),
                                        loadField(kInPortField, ofport)};
  Match ip = openflow::ipv4Match();
  ip.in_port = ofport;
  Flow& tracked = ctx.add(kClassifier, 210, c, ip);
  tracked.actions = load;
  openflow::Ct commit;
  commit.commit = true;
  commit.zone = hostZone(g.segment);
  commit.actions = {openflow::SetField{Field::kCtMark, kCtMarkFromHost, std::nullopt}};
  tracked.actions.push_back(commit);
  tracked.goto_table = kArpResponder.id;
  Match other;
  other.in_port = ofport;
  Flow& rest = ctx.add(kClassifier, 200, c, other);
  rest.actions = load;
  rest.goto_table = kArpResponder.id;
}

// The gateway's address answers ARP like a pod's (its own gratuitous ARP excepted), and frames to
// its MAC leave by it.
void addressFlows(BuildContext& ctx, const GatewayPort& g, uint64_t c) {
  ctx.arpResponse(g.segment, g.ip, g.port.mac, c);
  Match own = openflow::arpMatch();
  matchReg(own, kSegmentField, g.segment);
  matchReg(own, kInPortField, g.gateway.ofport);
  own.arp_op = uint16_t{1};
  own.arp_tpa = g.ip;
  ctx.add(kArpResponder, 210, c, own).goto_table = kLocalServices.id;
  Match to_mac;
  matchReg(to_mac, kSegmentField, g.segment);
  to_mac.eth_dst = g.port.mac;
  ctx.add(kL2Forwarding, 200, c, to_mac).actions = {openflow::output(g.gateway.ofport)};
}

// Pods' traffic for destinations beyond the VPC: what a pod sends to its subnet gateway and the
// VPC does not route itself goes to the node, which routes (and masquerades) it.
void towardsTheNode(BuildContext& ctx, const GatewayPort& g, uint64_t c) {
  for (const auto& [id, subnet] : ctx.state.subnets) {
    if (subnet.vpc_id != g.gateway.vpc_id || subnet.gateway_mac.isZero()) continue;
    auto segment = ctx.segments.segmentOf(subnet.vni);
    if (!segment) continue;
    Match m = openflow::ipv4Match();
    matchReg(m, kPktSourceField, kFromPod);
    matchReg(m, kSegmentField, *segment);
    m.eth_dst = subnet.gateway_mac;
    ctx.add(kL3Forwarding, 100, c, m).actions = toGateway(g, subnet.gateway_mac);
    Match routed = openflow::ipv4Match();
    matchReg(routed, kSegmentField, *segment);
    ctx.add(kL3Routes, 10, c, routed).actions = toGateway(g, subnet.gateway_mac);
  }
}

// Replies of connections the node committed (kube-proxy DNATed them on the node) go back to the
// node whatever their destination MAC says: from a local backend pod, or over the tunnel from a
// remote one. Pods' and the tunnel's IP packets look their connection up in the host zone.
void replyReturn(BuildContext& ctx, const GatewayPort& g, uint64_t c) {
  for (uint32_t source : {kFromPod, kFromTunnel}) {
    Match m = openflow::ipv4Match();
    matchReg(m, kPktSourceField, source);
    matchReg(m, kSegmentField, g.segment);
    openflow::Ct lookup;
    lookup.zone = hostZone(g.segment);
    lookup.table = kHostReturn.id;
    ctx.add(kHostConntrack, 100, c, m).actions = {lookup};
  }
  Match reply = openflow::ipv4Match();
  matchReg(reply, kSegmentField, g.segment);
  reply.ct_state = Masked<uint32_t>(openflow::kCtTracked | openflow::kCtReply,
                                    openflow::kCtTracked | openflow::kCtReply);
  reply.ct_mark = Masked<uint32_t>(kCtMarkFromHost);
  ctx.add(kHostReturn, 100, c, reply).actions = {openflow::setField(Field::kEthDst, g.port.mac),
                                                 openflow::output(g.gateway.ofport)};
}

// Kubernetes requires the node to reach its pods whatever their policy says (kubelet probes): new
// connections from the gateway whose source is the node (the gateway's address or the node IP)
// pass a filtered port's ingress rules and are committed with the host-access mark, which the
// established flows below let through in both directions. Service traffic the node DNATed keeps
// the client's source and is checked as usual.
void securityGroupExemption(BuildContext& ctx, const GatewayPort& g, uint64_t c) {
  std::vector<Ipv4Address> sources = {g.ip};
  if (!ctx.config.node_ip.isUnspecified()) sources.push_back(ctx.config.node_ip);
  for (const Ipv4Address& source : sources) {
    Match m = openflow::ipv4Match();
    matchReg(m, kPktSourceField, kFromHost);
    matchReg(m, kSegmentField, g.segment);
    m.ipv4_src = source;
    m.ct_state = Masked<uint32_t>(openflow::kCtNew | openflow::kCtTracked,
                                  openflow::kCtNew | openflow::kCtTracked);
    openflow::Ct commit;
    commit.commit = true;
    commit.zone_field = Field::kReg1;
    commit.actions = {openflow::SetField{Field::kCtMark, kCtMarkHostAccess, std::nullopt}};
    Flow& f = ctx.add(kIngressRules, kSgHostAccessPriority, c, m);
    f.actions = {commit};
    f.goto_table = kOutput.id;
  }
}

void hostAccessEstablished(BuildContext& ctx) {
  const uint64_t c = makeCookie(CookieCategory::kHostGateway, "host-access");
  for (const Table* t : {&kEgressRules, &kIngressRules}) {
    Match est;
    est.ct_state = Masked<uint32_t>(openflow::kCtTracked, openflow::kCtNew | openflow::kCtTracked);
    est.ct_mark = Masked<uint32_t>(kCtMarkHostAccess);
    ctx.add(*t, kSgEstablishedPriority, c, est).goto_table =
        (t == &kEgressRules ? kHostConntrack : kOutput).id;
  }
}

// The gateway of a VPC when it has flows: its port plugged (GoalState and ofport), with an
// address and a segment.
std::optional<GatewayPort> gatewayPort(const BuildContext& ctx, const HostGateway& gateway) {
  if (!ctx.state.pluggedHostGateway(gateway.port_id)) return std::nullopt;
  const Port& port = ctx.state.ports.at(gateway.port_id);
  if (port.fixed_ips.empty()) return std::nullopt;
  const uint32_t vni = ctx.state.vniOfPort(port);
  auto segment = ctx.segments.segmentOf(vni);
  if (!segment) return std::nullopt;
  return GatewayPort{gateway, port, port.fixed_ips.front().ip, *segment, vni};
}

}  // namespace

void addHostGatewayFlows(BuildContext& ctx, const std::string& vpc_id) {
  auto it = ctx.state.host_gateways.find(vpc_id);
  if (it == ctx.state.host_gateways.end()) return;
  auto g = gatewayPort(ctx, it->second);
  if (!g) return;
  const uint64_t c = makeCookie(CookieCategory::kHostGateway, vpc_id);
  classify(ctx, *g, c);
  addressFlows(ctx, *g, c);
  towardsTheNode(ctx, *g, c);
  replyReturn(ctx, *g, c);
  securityGroupExemption(ctx, *g, c);
  ctx.out.programmed_port = it->second.port_id;
}

void addHostAccessFlows(BuildContext& ctx) {
  for (const auto& [vpc_id, gateway] : ctx.state.host_gateways) {
    if (gatewayPort(ctx, gateway)) return hostAccessEstablished(ctx);
  }
}

}  // namespace alcor::agent::pipeline
