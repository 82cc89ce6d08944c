#include "node-agent/pipeline/flow_builder.h"

#include <map>

#include "node-agent/pipeline/cookie.h"
#include "node-agent/pipeline/fields.h"
#include "node-agent/pipeline/tables.h"

namespace alcor::agent::pipeline {
namespace {

using openflow::Action;
using openflow::Field;
using openflow::Flow;
using openflow::Masked;
using openflow::Match;

// A whole-register match carries no mask, as OVS prints it back (so dumps compare equal).
Masked<uint32_t> regValue(const RegField& f, uint32_t v) {
  if (f.mask() == 0xffffffffu) return Masked<uint32_t>(v);
  return {f.value(v), f.mask()};
}

Action loadField(const RegField& f, uint32_t v) {
  return openflow::loadReg(f.reg, v, f.start, f.bits);
}

void matchReg(Match& m, const RegField& f, uint32_t v) { m.reg[f.reg] = regValue(f, v); }

class Builder {
 public:
  Builder(const NetworkState& state, const SegmentAllocator& segments,
          const PipelineConfig& config)
      : state_(state), segments_(segments), config_(config) {}

  DesiredFlows build() {
    staticFlows();
    std::map<uint16_t, std::vector<uint32_t>> ports_by_segment;
    for (const auto& [id, port] : state_.ports) {
      if (!state_.portIsPlugged(id)) continue;
      auto segment = segments_.segmentOf(state_.vniOfPort(port));
      if (!segment) continue;
      const LocalInterface& iface = state_.interfaces.at(id);
      portFlows(port, iface, state_.vniOfPort(port), *segment);
      dhcpFlows(port, iface);
      ports_by_segment[*segment].push_back(iface.ofport);
      out_.programmed_ports.insert(id);
    }
    for (const auto& [vni, segment] : segments_.all()) {
      segmentFlows(vni, segment, ports_by_segment[segment]);
    }
    for (const auto& [id, subnet] : state_.subnets) subnetFlows(subnet);
    for (const auto& [key, neighbor] : state_.neighbors) neighborFlows(neighbor);
    return std::move(out_);
  }

 private:
  Flow& add(const Table& table, uint16_t priority, uint64_t cookie, Match match = {}) {
    Flow f;
    f.table = table.id;
    f.priority = priority;
    f.cookie = cookie;
    f.match = std::move(match);
    out_.flows.push_back(std::move(f));
    return out_.flows.back();
  }

  // Table misses, in packet order (docs/design/ovs-pipeline.md).
  void staticFlows() {
    const uint64_t c = makeCookie(CookieCategory::kStatic, "static");
    add(kClassifier, 0, c);  // drop
    Match dhcp_server = openflow::udpMatch();
    matchReg(dhcp_server, kPktSourceField, kFromPod);
    dhcp_server.udp_src = uint16_t{67};
    add(kSpoofGuard, 210, c, dhcp_server);  // pods are never DHCP servers
    add(kSpoofGuard, 0, c);
    add(kArpResponder, 0, c).goto_table = kLocalServices.id;
    add(kLocalServices, 0, c).goto_table = kEgressConntrack.id;
    add(kEgressConntrack, 0, c).goto_table = kL3Forwarding.id;
    add(kEgressRules, 0, c).goto_table = kL3Forwarding.id;
    add(kL3Forwarding, 0, c).goto_table = kL2Forwarding.id;
    add(kL3Routes, 0, c);
    add(kDvrRestore, 0, c).goto_table = kL2Forwarding.id;
    add(kL2Forwarding, 0, c);
    add(kIngressConntrack, 0, c).goto_table = kOutput.id;
    add(kIngressRules, 0, c).goto_table = kOutput.id;
    add(kOutput, 0, c);
  }

  void portFlows(const Port& port, const LocalInterface& iface, uint32_t vni, uint16_t segment) {
    const uint64_t c = makeCookie(CookieCategory::kPort, port.id);
    const uint32_t ofport = iface.ofport;

    Match in;
    in.in_port = ofport;
    Flow& classify = add(kClassifier, 200, c, in);
    classify.actions = {loadField(kPktSourceField, kFromPod), loadField(kVniField, vni),
                        loadField(kSegmentField, segment), loadField(kInPortField, ofport)};
    classify.goto_table = kSpoofGuard.id;

    // Port security: the port's MAC with its fixed IPs and allowed address pairs only.
    for (const auto& fixed : port.fixed_ips) {
      Match ip = openflow::ipv4Match();
      ip.in_port = ofport;
      ip.eth_src = port.mac;
      ip.ipv4_src = fixed.ip;
      add(kSpoofGuard, 200, c, ip).goto_table = kArpResponder.id;
      Match arp = openflow::arpMatch();
      arp.in_port = ofport;
      arp.eth_src = port.mac;
      arp.arp_spa = fixed.ip;
      arp.arp_sha = port.mac;
      add(kSpoofGuard, 200, c, arp).goto_table = kArpResponder.id;
      arpResponse(segment, fixed.ip, port.mac, c);
      // The port's own gratuitous ARP (a request for its own address) is not answered.
      Match own = openflow::arpMatch();
      matchReg(own, kSegmentField, segment);
      matchReg(own, kInPortField, ofport);
      own.arp_op = uint16_t{1};
      own.arp_tpa = fixed.ip;
      add(kArpResponder, 210, c, own).goto_table = kLocalServices.id;
      Match to_port = openflow::ipv4Match();
      matchReg(to_port, kSegmentField, segment);
      to_port.ipv4_dst = fixed.ip;
      if (const Subnet* s = state_.subnet(fixed.subnet_id)) {
        Flow& route = add(kL3Routes, 200, c, to_port);
        route.actions = {openflow::setField(Field::kEthSrc, s->gateway_mac),
                         openflow::setField(Field::kEthDst, port.mac)};
        route.goto_table = kL2Forwarding.id;
      }
    }
    for (const auto& pair : port.allowed_address_pairs) {
      Match ip = openflow::ipv4Match();
      ip.in_port = ofport;
      ip.eth_src = pair.mac.value_or(port.mac);
      ip.ipv4_src = Masked<Ipv4Address>(pair.ip.network(), Ipv4Address(pair.ip.mask()));
      if (pair.ip.length() == 32) ip.ipv4_src = pair.ip.address();
      add(kSpoofGuard, 200, c, ip).goto_table = kArpResponder.id;
      Match arp = openflow::arpMatch();
      arp.in_port = ofport;
      arp.eth_src = pair.mac.value_or(port.mac);
      arp.arp_spa = ip.ipv4_src;
      add(kSpoofGuard, 200, c, arp).goto_table = kArpResponder.id;
    }
    // DHCP before the pod has an address.
    Match dhcp = openflow::udpMatch();
    dhcp.in_port = ofport;
    dhcp.eth_src = port.mac;
    dhcp.ipv4_src = Ipv4Address();
    dhcp.udp_src = uint16_t{68};
    dhcp.udp_dst = uint16_t{67};
    add(kSpoofGuard, 190, c, dhcp).goto_table = kArpResponder.id;

    Match to_mac;
    matchReg(to_mac, kSegmentField, segment);
    to_mac.eth_dst = port.mac;
    Flow& l2 = add(kL2Forwarding, 200, c, to_mac);
    l2.actions = {loadField(kOutPortField, ofport)};
    l2.goto_table = kIngressConntrack.id;

    Match out;
    matchReg(out, kOutPortField, ofport);
    add(kOutput, 100, c, out).actions = {openflow::output(ofport)};
  }

  void dhcpFlows(const Port& port, const LocalInterface& iface) {
    bool served = false;
    for (const auto& [id, entry] : state_.dhcp) {
      const Subnet* s = state_.subnet(entry.subnet_id);
      if (entry.mac == port.mac && s && s->dhcp_enabled) served = true;
    }
    if (!served) return;
    Match m = openflow::udpMatch();
    m.in_port = iface.ofport;
    m.eth_src = port.mac;
    m.udp_src = uint16_t{68};
    m.udp_dst = uint16_t{67};
    add(kLocalServices, 200, makeCookie(CookieCategory::kDhcp, port.id), m).actions = {
        openflow::controller({kPuntDhcp})};
  }

  // Classification from the tunnel and flooding of broadcast/multicast to local ports.
  void segmentFlows(uint32_t vni, uint16_t segment, const std::vector<uint32_t>& ofports) {
    const uint64_t c = makeCookie(CookieCategory::kSegment, "vni:" + std::to_string(vni));
    if (config_.tunnel_ofport != 0) {
      Match m;
      m.in_port = config_.tunnel_ofport;
      m.tun_id = uint64_t{vni};
      Flow& f = add(kClassifier, 200, c, m);
      f.actions = {loadField(kPktSourceField, kFromTunnel), loadField(kVniField, vni),
                   loadField(kSegmentField, segment)};
      f.goto_table = kDvrRestore.id;
    }
    Match bcast;
    matchReg(bcast, kSegmentField, segment);
    bcast.eth_dst = Masked<MacAddress>(MacAddress::fromUint64(0x010000000000ULL),
                                       MacAddress::fromUint64(0x010000000000ULL));
    Flow& flood = add(kL2Forwarding, 100, c, bcast);
    for (uint32_t ofport : ofports) flood.actions.push_back(openflow::output(ofport));
  }

  void subnetFlows(const Subnet& subnet) {
    auto segment = segments_.segmentOf(subnet.vni);
    if (!segment || subnet.gateway_ip.isUnspecified() || subnet.gateway_mac.isZero()) return;
    const uint64_t c = makeCookie(CookieCategory::kSubnet, subnet.id);
    arpResponse(*segment, subnet.gateway_ip, subnet.gateway_mac, c);
    if (state_.routerOfSubnet(subnet.id) != nullptr) {
      // Distributed routing: frames to the gateway MAC are routed on this host.
      Match routed = openflow::ipv4Match();
      matchReg(routed, kSegmentField, *segment);
      routed.eth_dst = subnet.gateway_mac;
      Flow& f = add(kL3Forwarding, 200, c, routed);
      f.actions = {openflow::DecTtl{}, loadField(kRoutedField, 1)};
      f.goto_table = kL3Routes.id;
      if (config_.tunnel_ofport != 0) {
        Match restore = openflow::ipv4Match();
        matchReg(restore, kSegmentField, *segment);
        restore.eth_src = Masked<MacAddress>(MacAddress::fromUint64(kDvrMacPrefix),
                                             MacAddress::fromUint64(kDvrMacPrefixMask));
        restore.ipv4_dst = Masked<Ipv4Address>(subnet.cidr.network(),
                                               Ipv4Address(subnet.cidr.mask()));
        Flow& r = add(kDvrRestore, 200, c, restore);
        r.actions = {openflow::setField(Field::kEthSrc, subnet.gateway_mac)};
        r.goto_table = kL2Forwarding.id;
      }
    }
  }

  void neighborFlows(const Neighbor& neighbor) {
    if (config_.tunnel_ofport == 0) return;
    const uint32_t vni = vniOfNeighbor(state_, neighbor);
    auto segment = segments_.segmentOf(vni);
    if (!segment) return;  // no local port in that VPC: nothing to reach it from
    const uint64_t c = makeCookie(CookieCategory::kNeighbor, neighbor.key);
    for (const auto& ip : neighbor.ips) {
      arpResponse(*segment, ip.ip, neighbor.mac, c);
      const Router* router = state_.routerOfSubnet(ip.subnet_id);
      if (ip.kind == NeighborKind::kL3 || router != nullptr) {
        Match m = openflow::ipv4Match();
        matchReg(m, kSegmentField, *segment);
        m.ipv4_dst = ip.ip;
        Flow& f = add(kL3Routes, 200, c, m);
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
    Flow& f = add(kL2Forwarding, 200, c, m);
    f.actions = {openflow::setField(Field::kTunId, vni),
                 openflow::setField(Field::kTunIpv4Dst, neighbor.host_ip),
                 openflow::output(config_.tunnel_ofport)};
  }

  // Turns an ARP request for `ip` into a reply from `mac`, sent back where it came from.
  void arpResponse(uint16_t segment, Ipv4Address ip, MacAddress mac, uint64_t cookie) {
    if (!arp_answered_.insert({segment, ip.value()}).second) return;  // first owner wins
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

  const NetworkState& state_;
  const SegmentAllocator& segments_;
  const PipelineConfig& config_;
  DesiredFlows out_;
  std::set<std::pair<uint16_t, uint32_t>> arp_answered_;
};

}  // namespace

uint32_t vniOfNeighbor(const NetworkState& state, const Neighbor& neighbor) {
  for (const auto& ip : neighbor.ips) {
    if (const Subnet* s = state.subnet(ip.subnet_id); s && s->vni != 0) return s->vni;
  }
  const Vpc* v = state.vpc(neighbor.vpc_id);
  return v ? v->vni : 0;
}

DesiredFlows buildFlows(const NetworkState& state, const SegmentAllocator& segments,
                        const PipelineConfig& config) {
  return Builder(state, segments, config).build();
}

}  // namespace alcor::agent::pipeline
