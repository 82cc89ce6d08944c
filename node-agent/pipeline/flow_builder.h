#pragma once

// Computes the complete desired flow table of br-int from the agent's NetworkState (see
// docs/design/ovs-pipeline.md). Pure: no I/O; the dataplane diffs its output against what is
// installed and sends only the difference.

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "lib/openflow/flow.h"
#include "lib/openflow/messages.h"
#include "node-agent/pipeline/segment_allocator.h"
#include "node-agent/state/network_state.h"

namespace alcor::agent::pipeline {

struct PipelineConfig {
  uint32_t tunnel_ofport = 0;  // ofport of the flow-based VXLAN port; 0: no overlay
  // The node's underlay address: like its host gateway addresses, it reaches local pods past
  // their security groups (docs/design/security-groups.md). Unspecified: only the gateways.
  Ipv4Address node_ip;
};

// Userdata of the pipeline's controller actions (which handler a packet-in is for).
inline constexpr uint8_t kPuntDhcp = 0x01;
inline constexpr uint8_t kPuntArpMiss = 0x02;
inline constexpr uint8_t kPuntUnicastMiss = 0x03;

struct DesiredFlows {
  std::vector<openflow::Flow> flows;
  // Ports whose forwarding flows are part of `flows` (plugged, with a segment), host gateway
  // ports included.
  std::set<std::string> programmed_ports;
  // Groups the flows reference (Zeta select groups), command kAdd; the dataplane installs them
  // before the flows and removes them after.
  std::vector<openflow::GroupMod> groups;
};

DesiredFlows buildFlows(const NetworkState& state, const SegmentAllocator& segments,
                        const PipelineConfig& config);

// The VNI a neighbor belongs to (its first subnet's, else its VPC's); 0 if unknown.
uint32_t vniOfNeighbor(const NetworkState& state, const Neighbor& neighbor);

}  // namespace alcor::agent::pipeline
