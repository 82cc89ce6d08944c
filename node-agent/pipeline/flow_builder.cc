#include "node-agent/pipeline/flow_builder.h"

#include <map>
#include <unordered_set>

#include "lib/openflow/packed_flow.h"
#include "node-agent/pipeline/build_context.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::agent::pipeline {

using openflow::Action;
using openflow::Field;
using openflow::Flow;
using openflow::Masked;
using openflow::Match;

Masked<uint32_t> regValue(const RegField& f, uint32_t v) {
  if (f.mask() == 0xffffffffu) return Masked<uint32_t>(v);
  return {f.value(v), f.mask()};
}

void matchReg(Match& m, const RegField& f, uint32_t v) { m.reg[f.reg] = regValue(f, v); }

Action loadField(const RegField& f, uint32_t v) {
  return openflow::loadReg(f.reg, v, f.start, f.bits);
}

void BuildContext::startOwner() {
  out = OwnerFlows{};
  arp_answered_.clear();
}

Flow& BuildContext::add(const Table& table, uint16_t priority, uint64_t cookie, Match match) {
  Flow f;
  f.table = table.id;
  f.priority = priority;
  f.cookie = cookie;
  f.match = std::move(match);
  out.flows.push_back(std::move(f));
  return out.flows.back();
}

void BuildContext::arpResponse(uint16_t segment, Ipv4Address ip, MacAddress mac, uint64_t cookie) {
  if (!arp_answered_.insert({segment, ip.value()}).second) return;
  Match m = openflow::arpMatch();
  matchReg(m, kSegmentField, segment);
  m.arp_op = uint16_t{1};
  m.arp_tpa = ip;
  Flow& f = add(kArpResponder, 200, cookie, m);
  f.actions = {openflow::move(Field::kEthSrc, Field::kEthDst),
               openflow::setField(Field::kEthSrc, mac),
               openflow::setField(Field::kArpOp, 2),
               openflow::move(Field::kArpSha, Field::kArpTha),
               openflow::move(Field::kArpSpa, Field::kArpTpa),
               openflow::setField(Field::kArpSha, mac),
               openflow::setField(Field::kArpSpa, ip),
               openflow::OutputInPort{}};
}

std::optional<uint16_t> BuildContext::programmedSegment(const Port& port) const {
  if (!state.portIsPlugged(port.id)) return std::nullopt;
  return segments.segmentOf(state.vniOfPort(port));
}

const std::vector<uint32_t>& BuildContext::ofportsInSegment(uint16_t segment) {
  if (!ofports_by_segment_) {
    ofports_by_segment_ = std::make_unique<std::map<uint16_t, std::vector<uint32_t>>>();
    for (const auto& [id, port] : state.ports) {
      if (auto s = programmedSegment(port)) {
        (*ofports_by_segment_)[*s].push_back(state.interfaces.at(id).ofport);
      }
    }
  }
  static const std::vector<uint32_t> kNone;
  auto it = ofports_by_segment_->find(segment);
  return it == ofports_by_segment_->end() ? kNone : it->second;
}

bool BuildContext::dhcpServes(const MacAddress& mac) {
  if (!dhcp_macs_) {
    dhcp_macs_ = std::make_unique<std::unordered_set<uint64_t>>();
    for (const auto& [id, entry] : state.dhcp) {
      const Subnet* s = state.subnet(entry.subnet_id);
      if (s && s->dhcp_enabled) dhcp_macs_->insert(entry.mac.toUint64());
    }
  }
  return dhcp_macs_->count(mac.toUint64()) > 0;
}

const SecurityGroupPlan& BuildContext::securityGroupPlan() {
  if (!sg_plan_) {
    sg_plan_ = std::make_unique<SecurityGroupPlan>(planSecurityGroups(
        state, [this](const Port& port) { return programmedSegment(port).has_value(); }));
  }
  return *sg_plan_;
}

// Table misses, in packet order (docs/design/ovs-pipeline.md), and the punts of unresolved ARP.
void addStaticFlows(BuildContext& ctx) {
  const uint64_t c = makeCookie(CookieCategory::kStatic, "static");
  ctx.add(kClassifier, 0, c);  // drop
  Match dhcp_server = openflow::udpMatch();
  matchReg(dhcp_server, kPktSourceField, kFromPod);
  dhcp_server.udp_src = uint16_t{67};
  ctx.add(kSpoofGuard, 210, c, dhcp_server);  // pods are never DHCP servers
  ctx.add(kSpoofGuard, 0, c);
  ctx.add(kArpResponder, 0, c).goto_table = kLocalServices.id;
  ctx.add(kLocalServices, 0, c).goto_table = kEgressConntrack.id;
  ctx.add(kEgressConntrack, 0, c).goto_table = kHostConntrack.id;
  ctx.add(kEgressRules, 0, c);  // only filtered ports get here: drop what no rule allowed
  // Host-reachable VPCs add their zone lookups (host_gateway_flows.cc); the rest passes on, the
  // tunnel's packets to DvrRestore and the pods' to L3Forwarding.
  for (const Table* t : {&kHostConntrack, &kHostReturn}) {
    Match tunnel;
    matchReg(tunnel, kPktSourceField, kFromTunnel);
    ctx.add(*t, 10, c, tunnel).goto_table = kDvrRestore.id;
    ctx.add(*t, 0, c).goto_table = kL3Forwarding.id;
  }
  ctx.add(kL3Forwarding, 0, c).goto_table = kL2Forwarding.id;
  ctx.add(kL3Routes, 0, c);
  ctx.add(kDvrRestore, 0, c).goto_table = kL2Forwarding.id;
  ctx.add(kL2Forwarding, 0, c);
  ctx.add(kIngressConntrack, 0, c).goto_table = kOutput.id;
  ctx.add(kIngressRules, 0, c);  // as EgressRules
  ctx.add(kOutput, 0, c);
  addOnDemandArpPunt(ctx);
}

namespace {

void portFlows(BuildContext& ctx, const Port& port, const LocalInterface& iface, uint32_t vni,
               uint16_t segment) {
  const uint64_t c = makeCookie(CookieCategory::kPort, port.id);
  const uint32_t ofport = iface.ofport;

  Match in;
  in.in_port = ofport;
  Flow& classify = ctx.add(kClassifier, 200, c, in);
  classify.actions = {loadField(kPktSourceField, kFromPod), loadField(kFromLocalField, 1),
                      loadField(kVniField, vni), loadField(kSegmentField, segment),
                      loadField(kInPortField, ofport)};
  classify.goto_table = kSpoofGuard.id;

  // Port security: the port's MAC with its fixed IPs and allowed address pairs only.
  const bool guarded = port.port_security_enabled;
  if (!guarded) ctx.add(kSpoofGuard, 100, c, in).goto_table = kArpResponder.id;
  for (const auto& fixed : port.fixed_ips) {
    if (guarded) {
      Match ip = openflow::ipv4Match();
      ip.in_port = ofport;
      ip.eth_src = port.mac;
      ip.ipv4_src = fixed.ip;
      ctx.add(kSpoofGuard, 200, c, ip).goto_table = kArpResponder.id;
      Match arp = openflow::arpMatch();
      arp.in_port = ofport;
      arp.eth_src = port.mac;
      arp.arp_spa = fixed.ip;
      arp.arp_sha = port.mac;
      ctx.add(kSpoofGuard, 200, c, arp).goto_table = kArpResponder.id;
    }
    ctx.arpResponse(segment, fixed.ip, port.mac, c);
    // The port's own gratuitous ARP (a request for its own address) is not answered.
    Match own = openflow::arpMatch();
    matchReg(own, kSegmentField, segment);
    matchReg(own, kInPortField, ofport);
    own.arp_op = uint16_t{1};
    own.arp_tpa = fixed.ip;
    ctx.add(kArpResponder, 210, c, own).goto_table = kLocalServices.id;
    Match to_port = openflow::ipv4Match();
    matchReg(to_port, kSegmentField, segment);
    to_port.ipv4_dst = fixed.ip;
    if (const Subnet* s = ctx.state.subnet(fixed.subnet_id)) {
      Flow& route = ctx.add(kL3Routes, 200, c, to_port);
      route.actions = {openflow::setField(Field::kEthSrc, s->gateway_mac),
                       openflow::setField(Field::kEthDst, port.mac)};
      route.goto_table = kL2Forwarding.id;
    }
  }
  for (const auto& pair : guarded ? port.allowed_address_pairs : std::vector<AddressPair>{}) {
    Match ip = openflow::ipv4Match();
    ip.in_port = ofport;
    ip.eth_src = pair.mac.value_or(port.mac);
    ip.ipv4_src = Masked<Ipv4Address>(pair.ip.network(), Ipv4Address(pair.ip.mask()));
    if (pair.ip.length() == 32) ip.ipv4_src = pair.ip.address();
    ctx.add(kSpoofGuard, 200, c, ip).goto_table = kArpResponder.id;
    Match arp = openflow::arpMatch();
    arp.in_port = ofport;
    arp.eth_src = pair.mac.value_or(port.mac);
    arp.arp_spa = ip.ipv4_src;
    arp.arp_sha = pair.mac.value_or(port.mac);
    ctx.add(kSpoofGuard, 200, c, arp).goto_table = kArpResponder.id;
  }
  // DHCP before the pod has an address.
  Match dhcp = openflow::udpMatch();
  dhcp.in_port = ofport;
  dhcp.eth_src = port.mac;
  dhcp.ipv4_src = Ipv4Address();
  dhcp.udp_src = uint16_t{68};
  dhcp.udp_dst = uint16_t{67};
  if (guarded) ctx.add(kSpoofGuard, 190, c, dhcp).goto_table = kArpResponder.id;

  Match to_mac;
  matchReg(to_mac, kSegmentField, segment);
  to_mac.eth_dst = port.mac;
  Flow& l2 = ctx.add(kL2Forwarding, 200, c, to_mac);
  l2.actions = {loadField(kOutPortField, ofport)};
  l2.goto_table = kIngressConntrack.id;

  Match out;
  matchReg(out, kOutPortField, ofport);
  ctx.add(kOutput, 100, c, out).actions = {openflow::output(ofport)};
}

// Classification from the tunnel and flooding of broadcast/multicast to local ports.
void segmentFlows(BuildContext& ctx, uint32_t vni, uint16_t segment) {
  const uint64_t c = makeCookie(CookieCategory::kSegment, "vni:" + std::to_string(vni));
  if (ctx.config.tunnel_ofport != 0) {
    Match m;
    m.in_port = ctx.config.tunnel_ofport;
    m.tun_id = uint64_t{vni};
    Flow& f = ctx.add(kClassifier, 200, c, m);
    f.actions = {loadField(kPktSourceField, kFromTunnel), loadField(kVniField, vni),
                 loadField(kSegmentField, segment)};
    f.goto_table = kHostConntrack.id;
  }
  Match bcast;
  matchReg(bcast, kSegmentField, segment);
  bcast.eth_dst = Masked<MacAddress>(MacAddress::fromUint64(0x010000000000ULL),
                                     MacAddress::fromUint64(0x010000000000ULL));
  Flow& flood = ctx.add(kL2Forwarding, 100, c, bcast);
  for (uint32_t ofport : ctx.ofportsInSegment(segment)) {
    flood.actions.push_back(openflow::output(ofport));
  }
}

}  // namespace

void addPortFlows(BuildContext& ctx, const std::string& port_id) {
  auto it = ctx.state.ports.find(port_id);
  if (it == ctx.state.ports.end()) return;
  auto segment = ctx.programmedSegment(it->second);
  if (!segment) return;
  portFlows(ctx, it->second, ctx.state.interfaces.at(port_id), ctx.state.vniOfPort(it->second),
            *segment);
  ctx.out.programmed_port = port_id;
}

void addDhcpFlows(BuildContext& ctx, const std::string& port_id) {
  auto it = ctx.state.ports.find(port_id);
  if (it == ctx.state.ports.end()) return;
  const Port& port = it->second;
  if (!ctx.programmedSegment(port) || !ctx.dhcpServes(port.mac)) return;
  Match m = openflow::udpMatch();
  m.in_port = ctx.state.interfaces.at(port_id).ofport;
  m.eth_src = port.mac;
  m.udp_src = uint16_t{68};
  m.udp_dst = uint16_t{67};
  ctx.add(kLocalServices, 200, makeCookie(CookieCategory::kDhcp, port.id), m).actions = {
      openflow::controller({kPuntDhcp})};
}

void addSegmentFlows(BuildContext& ctx, uint32_t vni) {
  auto segment = ctx.segments.segmentOf(vni);
  if (!segment) return;
  segmentFlows(ctx, vni, *segment);
  addOnDemandUnicastPunt(ctx, vni, *segment);
}

FlowBuilder::FlowBuilder(const NetworkState& state, const SegmentAllocator& segments,
                         const PipelineConfig& config)
    : ctx_(std::make_unique<BuildContext>(state, segments, config)) {}

FlowBuilder::~FlowBuilder() = default;

const SecurityGroupPlan& FlowBuilder::securityGroupPlan() { return ctx_->securityGroupPlan(); }

OwnerFlows FlowBuilder::flowsOf(const OwnerKey& owner) {
  BuildContext& ctx = *ctx_;
  ctx.startOwner();
  switch (owner.kind) {
    case OwnerKind::kStatic:
      addStaticFlows(ctx);
      break;
    case OwnerKind::kPort:
      addPortFlows(ctx, owner.id);
      break;
    case OwnerKind::kDhcp:
      addDhcpFlows(ctx, owner.id);
      break;
    case OwnerKind::kSegment:
      addSegmentFlows(ctx, owner.number);
      break;
    case OwnerKind::kSubnet:
      addSubnetFlows(ctx, owner.id);
      break;
    case OwnerKind::kNeighbor:
      addNeighborFlows(ctx, owner.id);
      break;
    case OwnerKind::kHostGateway:
      addHostGatewayFlows(ctx, owner.id);
      break;
    case OwnerKind::kHostAccess:
      addHostAccessFlows(ctx);
      break;
    case OwnerKind::kZeta:
      addZetaFlows(ctx, owner.id, owner.number);
      break;
    case OwnerKind::kSgPort:
      addSecurityGroupPortFlows(ctx, owner.id);
      break;
    case OwnerKind::kSgRules:
      addSecurityGroupRuleFlows(ctx);
      break;
    case OwnerKind::kGuard:
      addControlGuardFlows(ctx);
      break;
    case OwnerKind::kGuardSubnet:
      addControlGuardSubnetFlows(ctx, owner.id);
      break;
    case OwnerKind::kGuardPort:
      addControlGuardPortFlows(ctx, owner.id);
      break;
  }
  return std::move(ctx.out);
}

std::vector<OwnerKey> FlowBuilder::owners() const {
  const BuildContext& ctx = *ctx_;
  std::vector<OwnerKey> out{staticOwner()};
  for (const auto& [id, port] : ctx.state.ports) out.push_back(portOwner(id));
  for (const auto& [id, port] : ctx.state.ports) out.push_back(dhcpOwner(id));
  for (const auto& [vni, segment] : ctx.segments.all()) out.push_back(segmentOwner(vni));
  for (const auto& [id, subnet] : ctx.state.subnets) out.push_back(subnetOwner(id));
  for (const auto& [key, neighbor] : ctx.state.neighbors) out.push_back(neighborOwner(key));
  for (const auto& [vpc_id, gateway] : ctx.state.host_gateways) {
    out.push_back(hostGatewayOwner(vpc_id));
  }
  out.push_back(hostAccessOwner());
  for (auto& zeta : zetaOwners(ctx.state, ctx.segments, ctx.config)) out.push_back(zeta);
  for (const auto& [id, port] : ctx.state.ports) out.push_back(sgPortOwner(id));
  out.push_back(sgRulesOwner());
  out.push_back(guardOwner());
  for (const auto& [id, subnet] : ctx.state.subnets) out.push_back(guardSubnetOwner(id));
  for (const auto& [id, port] : ctx.state.ports) out.push_back(guardPortOwner(id));
  return out;
}

DesiredFlows buildFlows(const NetworkState& state, const SegmentAllocator& segments,
                        const PipelineConfig& config) {
  FlowBuilder builder(state, segments, config);
  DesiredFlows out;
  std::vector<OwnerFlows> owners;
  size_t total = 0;
  for (const OwnerKey& owner : builder.owners()) {
    OwnerFlows& flows = owners.emplace_back(builder.flowsOf(owner));
    total += flows.flows.size();
    if (!flows.programmed_port.empty()) out.programmed_ports.insert(flows.programmed_port);
  }
  out.flows.reserve(total);
  std::unordered_set<std::string> identities;
  identities.reserve(total);
  std::set<uint32_t> group_ids;
  for (OwnerFlows& flows : owners) {
    for (auto& f : flows.flows) {
      if (identities.insert(openflow::packedKey(f)).second) out.flows.push_back(std::move(f));
    }
    std::vector<openflow::Flow>().swap(flows.flows);
    for (auto& g : flows.groups) {
      if (group_ids.insert(g.group_id).second) out.groups.push_back(std::move(g));
    }
  }
  return out;
}

}  // namespace alcor::agent::pipeline
