#pragma once

// Shared state of one flow computation. Each pipeline feature (ports and segments, overlay and
// routing, security groups, Zeta, ...) lives in its own file as a function that reads the
// NetworkState from the context and adds flows to it; flow_builder.cc calls them in order.

#include <set>
#include <utility>

#include "lib/openflow/flow.h"
#include "node-agent/pipeline/fields.h"
#include "node-agent/pipeline/flow_builder.h"
#include "node-agent/pipeline/tables.h"

namespace alcor::agent::pipeline {

// A register field as a match value. A whole-register match carries no mask, as OVS prints it
// back (so dumped flows compare equal to computed ones).
openflow::Masked<uint32_t> regValue(const RegField& field, uint32_t value);
void matchReg(openflow::Match& match, const RegField& field, uint32_t value);
openflow::Action loadField(const RegField& field, uint32_t value);

class BuildContext {
 public:
  BuildContext(const NetworkState& state, const SegmentAllocator& segments,
               const PipelineConfig& config)
      : state(state), segments(segments), config(config) {}

  openflow::Flow& add(const Table& table, uint16_t priority, uint64_t cookie,
                      openflow::Match match = {});
  // Turns an ARP request for `ip` in `segment` into a reply from `mac`, sent back where it came
  // from. The first owner of an address wins.
  void arpResponse(uint16_t segment, Ipv4Address ip, MacAddress mac, uint64_t cookie);

  const NetworkState& state;
  const SegmentAllocator& segments;
  const PipelineConfig& config;
  DesiredFlows out;

 private:
  std::set<std::pair<uint16_t, uint32_t>> arp_answered_;
};

// The features, in the order buildFlows() runs them.
void addStaticFlows(BuildContext& ctx);
void addLocalPortFlows(BuildContext& ctx);      // ports, DHCP punts, segments (flooding, tunnel)
void addOverlayFlows(BuildContext& ctx);        // subnets (gateway ARP, DVR), neighbors
void addHostGatewayFlows(BuildContext& ctx);    // pods of one VPC <-> the node
void addSecurityGroupFlows(BuildContext& ctx);  // conntrack + rules (security_group_flows.cc)
void addZetaFlows(BuildContext& ctx);           // Zeta gateway groups (zeta_flows.h)
void addControlGuardFlows(BuildContext& ctx);   // pods -> control ports (control_guard_flows.cc)

}  // namespace alcor::agent::pipeline
