// Host gateway: pods of one VPC reach the node they run on (kubelet probes, kube-proxy services,
// node-local DNS) through an internal port on br-int, and the node reaches them back through it.
// The node routes the VPC's subnets to that port, so only one VPC per node can have host access
// (VPCs may overlap). docs/design/ovs-pipeline.md, "Host gateway".

#include "node-agent/pipeline/build_context.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::agent::pipeline {

using openflow::Field;
using openflow::Flow;
using openflow::Match;

void addHostGatewayFlows(BuildContext& ctx) {
  const PipelineConfig& cfg = ctx.config;
  if (cfg.host_gateway_ofport == 0 || cfg.host_gateway_vpc.empty()) return;
  const Vpc* vpc = ctx.state.vpc(cfg.host_gateway_vpc);
  if (vpc == nullptr) return;
  const uint64_t c = makeCookie(CookieCategory::kHostGateway, vpc->id);

  // Routed towards the node: whatever leaves the VPC through a subnet gateway and is not routed
  // inside the VPC (L3Routes' last resort) goes to the host gateway port.
  auto toHost = [&](const MacAddress& gateway_mac) {
    return std::vector<openflow::Action>{openflow::setField(Field::kEthSrc, gateway_mac),
                                         openflow::setField(Field::kEthDst, cfg.host_gateway_mac),
                                         openflow::output(cfg.host_gateway_ofport)};
  };
  std::optional<uint16_t> host_segment;
  for (const auto& [id, subnet] : ctx.state.subnets) {
    if (subnet.vpc_id != vpc->id || subnet.gateway_mac.isZero()) continue;
    auto segment = ctx.segments.segmentOf(subnet.vni);
    if (!segment) continue;
    host_segment = host_segment.value_or(*segment);
    Match m = openflow::ipv4Match();
    matchReg(m, kSegmentField, *segment);
    m.eth_dst = subnet.gateway_mac;
    ctx.add(kL3Forwarding, 100, c, m).actions = toHost(subnet.gateway_mac);
    Match routed = openflow::ipv4Match();
    matchReg(routed, kSegmentField, *segment);
    ctx.add(kL3Routes, 10, c, routed).actions = toHost(subnet.gateway_mac);
  }
  if (!host_segment) return;  // no local pod of that VPC: nothing to reach

  // From the node: into the VPC's segment, past port security (the node is trusted), so that
  // ARP for pod addresses is answered by flows and unicast goes to the pod's port.
  Match in;
  in.in_port = cfg.host_gateway_ofport;
  Flow& f = ctx.add(kClassifier, 200, c, in);
  f.actions = {loadField(kPktSourceField, kFromHost), loadField(kVniField, vpc->vni),
               loadField(kSegmentField, *host_segment),
               loadField(kInPortField, cfg.host_gateway_ofport)};
  f.goto_table = kArpResponder.id;
}

}  // namespace alcor::agent::pipeline
