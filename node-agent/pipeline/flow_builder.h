#pragma once

// Computes the flows of br-int from the agent's NetworkState (docs/design/ovs-pipeline.md), per
// owner (owner.h) or all at once. Pure: no I/O; the dataplane diffs the flows of the owners a
// change made dirty against what it installed for them and sends only the difference.

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "lib/openflow/flow.h"
#include "lib/openflow/messages.h"
#include "node-agent/pipeline/owner.h"
#include "node-agent/pipeline/security_group_flows.h"
#include "node-agent/pipeline/segment_allocator.h"
#include "node-agent/state/network_state.h"

namespace alcor::agent::pipeline {

struct PipelineConfig {
  uint32_t tunnel_ofport = 0;  // ofport of the flow-based VXLAN port; 0: no overlay
  // The node's underlay address: like its host gateway addresses, it reaches local pods past
  // their security groups (docs/design/security-groups.md). Unspecified: only the gateways.
  Ipv4Address node_ip;
  // Control guard (docs/design/ovs-pipeline.md): TCP ports pods may not reach outside their
  // VPC, and the namespaces whose pods may. No ports: no guard.
  std::vector<uint16_t> control_ports;
  std::set<std::string> control_access_namespaces;
  // Kubernetes Service CIDRs (--service-cidr). When set, a filtered port's egress rules check
  // Service traffic after the node's DNAT, on the backend's address (security_group_flows.cc).
  std::vector<Ipv4Prefix> service_cidrs;
};

// Userdata of the pipeline's controller actions (which handler a packet-in is for).
inline constexpr uint8_t kPuntDhcp = 0x01;
inline constexpr uint8_t kPuntArpMiss = 0x02;
inline constexpr uint8_t kPuntUnicastMiss = 0x03;

// The flows of one owner (owner.h).
struct OwnerFlows {
  std::vector<openflow::Flow> flows;
  // Groups the flows reference (Zeta select groups), command kAdd; the dataplane installs them
  // before the flows and removes them after.
  std::vector<openflow::GroupMod> groups;
  // The port whose forwarding these flows are, if any: a plugged port with a segment (kPort), a
  // plugged host gateway's port (kHostGateway).
  std::string programmed_port;
};

class BuildContext;

// Computes owners' flows over one NetworkState. Indexes over the state (ports by segment, DHCP
// entries by MAC, the security-group plan) are built on first use and kept, so a FlowBuilder must
// not outlive a change of the state it reads.
class FlowBuilder {
 public:
  FlowBuilder(const NetworkState& state, const SegmentAllocator& segments,
              const PipelineConfig& config);
  ~FlowBuilder();
  FlowBuilder(const FlowBuilder&) = delete;
  FlowBuilder& operator=(const FlowBuilder&) = delete;

  OwnerFlows flowsOf(const OwnerKey& owner);
  // Every owner that can have flows in this state, in owner order (some may have none).
  std::vector<OwnerKey> owners() const;
  const SecurityGroupPlan& securityGroupPlan();

 private:
  std::unique_ptr<BuildContext> ctx_;
};

// The complete flow table: every owner's flows in owner order, the first flow of each identity
// (table, priority, match) kept, as the switch would hold them; likewise the first group of each
// id. The full recompute at start-up, resync and vswitchd restart, and the oracle the incremental
// data plane is tested against.
struct DesiredFlows {
  std::vector<openflow::Flow> flows;
  // Ports whose forwarding flows are part of `flows` (plugged, with a segment), host gateway
  // ports included.
  std::set<std::string> programmed_ports;
  std::vector<openflow::GroupMod> groups;
};

DesiredFlows buildFlows(const NetworkState& state, const SegmentAllocator& segments,
                        const PipelineConfig& config);

// The VNI a neighbor belongs to (its first subnet's, else its VPC's); 0 if unknown.
uint32_t vniOfNeighbor(const NetworkState& state, const Neighbor& neighbor);

}  // namespace alcor::agent::pipeline
