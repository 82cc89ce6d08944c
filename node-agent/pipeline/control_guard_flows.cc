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

namespace {

uint64_t guardCookie() { return makeCookie(CookieCategory::kControlGuard, "control-guard"); }

Match guarded(uint16_t port) {
  Match m = openflow::tcpMatch();
  matchReg(m, kPktSourceField, kFromPod);
  m.tcp_dst = port;
  return m;
}

}  // namespace

// Owner "control-guard": pods' TCP to a guarded port is dropped (config only).
void addControlGuardFlows(BuildContext& ctx) {
  for (uint16_t port : ctx.config.control_ports) {
    ctx.add(kLocalServices, 110, guardCookie(), guarded(port));
  }
}

// Owner "control-guard subnet": destinations in the pod's own VPC (its segment's subnets) pass.
void addControlGuardSubnetFlows(BuildContext& ctx, const std::string& subnet_id) {
  auto it = ctx.state.subnets.find(subnet_id);
  if (ctx.config.control_ports.empty() || it == ctx.state.subnets.end()) return;
  const Subnet& subnet = it->second;
  auto segment = ctx.segments.segmentOf(subnet.vni);
  if (!segment || subnet.cidr.length() == 0) return;
  for (uint16_t port : ctx.config.control_ports) {
    Match m = guarded(port);
    matchReg(m, kSegmentField, *segment);
    m.ipv4_dst = subnet.cidr.length() == 32
                     ? Masked<Ipv4Address>(subnet.cidr.address())
                     : Masked<Ipv4Address>(subnet.cidr.network(), Ipv4Address(subnet.cidr.mask()));
    ctx.add(kLocalServices, 120, guardCookie(), m).goto_table = kEgressConntrack.id;
  }
}

// Owner "control-guard port": pods of the allowed namespaces pass, by their port.
void addControlGuardPortFlows(BuildContext& ctx, const std::string& port_id) {
  auto it = ctx.state.interfaces.find(port_id);
  if (it == ctx.state.interfaces.end() || !ctx.state.ports.count(port_id)) return;
  const auto& iface = it->second;
  if (iface.ofport == 0 || !ctx.config.control_access_namespaces.count(iface.pod_namespace)) {
    return;
  }
  for (uint16_t port : ctx.config.control_ports) {
    Match m = guarded(port);
    m.in_port = iface.ofport;
    ctx.add(kLocalServices, 115, guardCookie(), m).goto_table = kEgressConntrack.id;
  }
}

}  // namespace alcor::agent::pipeline
