#pragma once

// Zeta gateway offload in the pipeline (docs/design/zeta.md). A VPC whose gateway_ids name a ZETA
// gateway gets, per VNI with a local port, a select group (one bucket per FWD: tun_dst + eth_dst,
// output to the tunnel) and two flows sending what the host cannot deliver itself to that group:
//   L2Forwarding 55: reg0=FromPod,reg3=<seg>                 -> tun_id=<VNI>, group:<VNI>
//   ArpResponder 150: reg3=<seg>,arp,arp_op=1 (not answered) -> tun_id=<VNI>, group:<VNI>
// Direct paths installed from OAM inject messages sit in L2Forwarding at priority 150, above the
// group flow and below known neighbors (200); they are not part of the desired-state diff.

#include <cstdint>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/openflow/flow.h"
#include "lib/openflow/messages.h"
#include "node-agent/state/network_state.h"

namespace alcor::agent::pipeline {

inline constexpr uint16_t kZetaUnknownUnicastPriority = 55;
inline constexpr uint16_t kZetaArpPriority = 150;
inline constexpr uint16_t kDirectPathPriority = 150;
inline constexpr uint16_t kZetaBucketWeight = 100;

// Group ids are the VNI: stable across agent restarts, unique per VPC on the host.
constexpr uint32_t zetaGroupId(uint32_t vni) { return vni; }

// The first ZETA gateway of the VPC that has at least one FWD, or nullptr.
const Gateway* zetaGatewayOf(const NetworkState& state, const Vpc& vpc);
// The VPC a VNI belongs to (a VPC with that VNI, or the VPC of a subnet with it), or nullptr.
const Vpc* vpcOfVni(const NetworkState& state, uint32_t vni);

// One flow the FWD told us about (Zeta OAM inject/delete).
struct DirectPath {
  uint32_t vni = 0;
  Ipv4Address src_ip;
  Ipv4Address dst_ip;
  uint8_t protocol = 0;  // ports are matched for TCP (6) and UDP (17) only
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  // Inject only.
  MacAddress instance_mac;  // destination instance
  Ipv4Address node_ip;      // destination host (tunnel destination)
  uint16_t idle_timeout = 0;
};

// All direct paths of one VNI share a cookie, so they can be removed together.
uint64_t directPathCookie(uint32_t vni);
// The direct-path flow: match the 5-tuple of the VNI's pod traffic, send it straight to the
// destination host. Its match (priority, table) identifies it for a strict delete.
openflow::Flow directPathFlow(const DirectPath& path, uint32_t tunnel_ofport);

}  // namespace alcor::agent::pipeline
