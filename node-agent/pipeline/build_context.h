#pragma once

// Shared state of one flow computation over one NetworkState. Each pipeline feature (ports and
// segments, overlay and routing, host gateway, security groups, Zeta, ...) lives in its own file
// as one function per owner kind (owner.h) that reads the state from the context and adds that
// owner's flows to ctx.out; flow_builder.cc dispatches an OwnerKey to them.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>

#include "lib/openflow/flow.h"
#include "node-agent/pipeline/fields.h"
#include "node-agent/pipeline/flow_builder.h"
#include "node-agent/pipeline/security_group_flows.h"
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

  // Starts the flows of another owner.
  void startOwner();
  openflow::Flow& add(const Table& table, uint16_t priority, uint64_t cookie,
                      openflow::Match match = {});
  // Turns an ARP request for `ip` in `segment` into a reply from `mac`, sent back where it came
  // from. Within one owner the first answer for an address wins; between owners, the owner
  // order does (owner.h).
  void arpResponse(uint16_t segment, Ipv4Address ip, MacAddress mac, uint64_t cookie);

  // The segment of a port that has its forwarding flows (plugged, VNI with a segment).
  std::optional<uint16_t> programmedSegment(const Port& port) const;

  // Indexes over the state, built on first use (each in one pass over the state).
  const std::vector<uint32_t>& ofportsInSegment(uint16_t segment);
  bool dhcpServes(const MacAddress& mac);  // a DHCP entry for the MAC, on a DHCP subnet
  const SecurityGroupPlan& securityGroupPlan();

  const NetworkState& state;
  const SegmentAllocator& segments;
  const PipelineConfig& config;
  OwnerFlows out;

 private:
  std::set<std::pair<uint16_t, uint32_t>> arp_answered_;
  std::unique_ptr<std::map<uint16_t, std::vector<uint32_t>>> ofports_by_segment_;
  std::unique_ptr<std::unordered_set<uint64_t>> dhcp_macs_;
  std::unique_ptr<SecurityGroupPlan> sg_plan_;
};

// The features: one function per owner kind, in owner order (owner.h).
void addStaticFlows(BuildContext& ctx);                            // flow_builder.cc
void addOnDemandArpPunt(BuildContext& ctx);                        // overlay_flows.cc (static)
void addPortFlows(BuildContext& ctx, const std::string& port_id);  // flow_builder.cc
void addDhcpFlows(BuildContext& ctx, const std::string& port_id);  // flow_builder.cc
void addSegmentFlows(BuildContext& ctx, uint32_t vni);             // flow_builder.cc
void addOnDemandUnicastPunt(BuildContext& ctx, uint32_t vni, uint16_t segment);  // overlay
void addSubnetFlows(BuildContext& ctx, const std::string& subnet_id);            // overlay_flows.cc
void addNeighborFlows(BuildContext& ctx, const std::string& neighbor_key);       // overlay_flows.cc
void addHostGatewayFlows(BuildContext& ctx, const std::string& vpc_id);  // host_gateway_flows.cc
void addHostAccessFlows(BuildContext& ctx);                              // host_gateway_flows.cc
void addZetaFlows(BuildContext& ctx, const std::string& vpc_id, uint32_t vni);  // zeta_flows.cc
void addSecurityGroupPortFlows(BuildContext& ctx, const std::string& port_id);  // sg flows
void addSecurityGroupRuleFlows(BuildContext& ctx);  // security_group_flows.cc
void addControlGuardFlows(BuildContext& ctx);       // control_guard_flows.cc (drops)
void addControlGuardSubnetFlows(BuildContext& ctx, const std::string& subnet_id);  // guard
void addControlGuardPortFlows(BuildContext& ctx, const std::string& port_id);      // guard

// Owners of the kinds whose set depends on several objects.
std::vector<OwnerKey> zetaOwners(const NetworkState& state, const SegmentAllocator& segments,
                                 const PipelineConfig& config);  // zeta_flows.cc

}  // namespace alcor::agent::pipeline
