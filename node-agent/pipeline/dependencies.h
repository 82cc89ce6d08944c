#pragma once

// The one place that says which owners' flows (owner.h) depend on which objects. A mutation
// names the objects it touched (ChangeSet); dirtyOwners() expands that into every owner whose
// flows may differ, by these rules:
//   port or interface P   -> P's port, DHCP and security-group-port owners; every segment (flood
//                            lists); the security-group check below; if P is a host gateway's
//                            port, every host gateway
//   host gateway (by VPC) -> every host gateway and the host access owner
//   neighbor K            -> K
//   DHCP entry            -> every port's DHCP owner
//   subnet S              -> S; ports and neighbors with an address in S; every DHCP owner,
//                            segment, Zeta owner and host gateway; the security-group check
//   VPC V                 -> ports and neighbors of V (their VNI may fall back to V's); every
//                            segment, Zeta owner and host gateway; the security-group check
//   router R              -> the subnets R had or has, and the neighbors with an address in them
//   gateway               -> every segment (unknown-unicast punt) and Zeta owner
//   security group        -> the security-group check
//   a VNI whose segment appeared, went or changed (its first or last local port)
//                         -> its segment, and the ports, subnets and neighbors in that VNI; every
//                            Zeta owner and host gateway; the security-group check
//   any host gateway      -> also the host access owner (its flows exist while one does)
//   security-group check  -> the shared rules owner if its inputs (allow sets, ids, marks, rules,
//                            members) changed; each protected port whose sets or ofport changed
// What a rule needs from before the mutation (the subnets a router had, the security-group
// inputs, the Zeta owners) the tracker remembers from the previous call.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "node-agent/pipeline/flow_builder.h"
#include "node-agent/pipeline/owner.h"
#include "node-agent/pipeline/security_group_flows.h"
#include "node-agent/state/change_set.h"

namespace alcor::agent::pipeline {

struct DirtyOwners {
  std::set<OwnerKey> owners;
  bool all = false;  // a wholesale change: every owner, installed or not
};

class DependencyTracker {
 public:
  // `builder` reads the state after the mutation and after `segments` was synced to it;
  // `segments_before` is the allocation before that sync.
  DirtyOwners dirtyOwners(const ChangeSet& changes, const NetworkState& state,
                          const SegmentAllocator& segments,
                          const std::map<uint32_t, uint16_t>& segments_before,
                          const PipelineConfig& config, FlowBuilder& builder);
  // After a full recompute: remember the current state's inputs.
  void reset(const NetworkState& state, const SegmentAllocator& segments,
             const PipelineConfig& config, FlowBuilder& builder);

 private:
  std::map<std::string, std::vector<std::string>> router_subnets_;
  SecurityGroupInputs security_groups_;
  std::set<OwnerKey> zeta_owners_;
};

}  // namespace alcor::agent::pipeline
