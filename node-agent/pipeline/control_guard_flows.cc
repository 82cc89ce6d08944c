// Data-path guard of the control ports (docs/design/ovs-pipeline.md, "Control guard"): pods may
// not open TCP connections to the agent's GoalState port or the controller's ports anywhere
// outside their own VPC — the node, the controller's Service, other nodes — unless their
// namespace is allowed. Defence in depth behind mutual TLS: a pod cannot even reach the
// handshake. Traffic inside the VPC on those ports (a tenant's own service) is untouched.

#include "node-agent/pipeline/build_context.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::agent::pipeline {

using openflow::Masked;
using openflow::Match;

void addControlGuardFlows(BuildContext& ctx) {
  const PipelineConfig& cfg = ctx.config;
  if (cfg.control_ports.empty()) return;
  const uint64_t c = makeCookie(CookieCategory::kControlGuard, "control-guard");
  auto guarded = [](uint16_t port) {
    Match m = openflow::tcpMatch();
    matchReg(m, kPktSourceField, kFromPod);
    m.tcp_dst = port;
    return m;
  };
  for (uint16_t port : cfg.control_ports) {
    ctx.add(kLocalServices, 110, c, guarded(port));  // drop
    // Destinations in the pod's own VPC: its segment's subnets.
    for (const auto& [id, subnet] : ctx.state.subnets) {
      auto segment = ctx.segments.segmentOf(subnet.vni);
      if (!segment || subnet.cidr.length() == 0) continue;
      Match m = guarded(port);
      matchReg(m, kSegmentField, *segment);
      m.ipv4_dst =
          subnet.cidr.length() == 32
              ? Masked<Ipv4Address>(subnet.cidr.address())
              : Masked<Ipv4Address>(subnet.cidr.network(), Ipv4Address(subnet.cidr.mask()));
      ctx.add(kLocalServices, 120, c, m).goto_table = kEgressConntrack.id;
    }
    // Pods of the allowed namespaces, by their port.
    for (const auto& [port_id, iface] : ctx.state.interfaces) {
      if (iface.ofport == 0 || !cfg.control_access_namespaces.count(iface.pod_namespace)) continue;
      Match m = guarded(port);
      m.in_port = iface.ofport;
      ctx.add(kLocalServices, 115, c, m).goto_table = kEgressConntrack.id;
    }
  }
}

}  // namespace alcor::agent::pipeline
