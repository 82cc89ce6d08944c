#pragma once

// Register layout of the pipeline (documented in docs/design/ovs-pipeline.md). A field is a bit
// range of one NXM register; marks are named values of a field.

#include <cstdint>

namespace alcor::agent::pipeline {

struct RegField {
  uint8_t reg;    // reg0..reg15
  uint8_t start;  // first bit
  uint8_t bits;   // width
  constexpr uint32_t mask() const {
    return (bits >= 32 ? 0xffffffffu : ((1u << bits) - 1u)) << start;
  }
  constexpr uint32_t value(uint32_t v) const { return (v << start) & mask(); }
};

// reg0[0..3]: where the packet entered.
inline constexpr RegField kPktSourceField{0, 0, 4};
inline constexpr uint32_t kFromPod = 1;
inline constexpr uint32_t kFromTunnel = 2;
inline constexpr uint32_t kFromAgent = 3;  // packet-out by the agent
inline constexpr uint32_t kFromHost = 4;   // the node, through the host gateway port
// reg0[4]: the packet was routed by the distributed router on this host.
inline constexpr RegField kRoutedField{0, 4, 1};
// reg0[5]: the packet entered from this host (a pod or a host gateway), so it may leave by the
// tunnel; what came from the tunnel never goes back into it.
inline constexpr RegField kFromLocalField{0, 5, 1};

// reg1: the ofport the packet leaves by (set by L2Forwarding, used by Output).
inline constexpr RegField kOutPortField{1, 0, 32};
// reg2[0..23]: the VNI of the packet's VPC.
inline constexpr RegField kVniField{2, 0, 24};
// reg3[0..11]: host-local segment id of the VNI ("local VLAN"); also the conntrack zone.
inline constexpr RegField kSegmentField{3, 0, 12};
// reg4: the ofport the packet came in by, kept for ingress security groups.
inline constexpr RegField kInPortField{4, 0, 32};

// Conntrack zone of a host-reachable VPC: kHostZoneBase | segment (0xf001..0xfffe). Security
// groups use port ofports as zones; OVS hands those out from 1 upwards, so they stay below.
inline constexpr uint16_t kHostZoneBase = 0xf000;
constexpr uint16_t hostZone(uint16_t segment) {
  return static_cast<uint16_t>(kHostZoneBase | (segment & 0x0fff));
}
// ct_mark in a host zone: the connection entered the VPC from the node (a host gateway).
inline constexpr uint32_t kCtMarkFromHost = 0x1;
// ct_mark in a port's security-group zone: a connection of the node itself to a local pod,
// allowed whatever the pod's groups say. Allow-set marks are 31-bit, so this bit is never one.
inline constexpr uint32_t kCtMarkHostAccess = 0x80000000;
// ct_mark in a port's zone: a connection of the pod to a Service address, let through its
// egress rules unchecked because they check it after the node's DNAT, when it comes back from
// the host gateway with the backend's address (docs/design/network-policy.md).
inline constexpr uint32_t kCtMarkServiceDeferred = 0x80000002;

// Source MAC prefix of routed frames on the overlay (Alcor's DVR MAC prefix fe:16:11).
inline constexpr uint64_t kDvrMacPrefix = 0xfe1611000000ULL;
inline constexpr uint64_t kDvrMacPrefixMask = 0xffffff000000ULL;

}  // namespace alcor::agent::pipeline
