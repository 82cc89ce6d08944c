#pragma once

// Security groups on br-int (docs/design/security-groups.md): stateful conntrack flows in
// EgressConntrack/EgressRules (30/31) and IngressConntrack/IngressRules (60/61), built from
// conjunctive matches so that ports × rules × remote-group members add up instead of multiplying.
//
// The flows come from a plan (planSecurityGroups): the protected ports, the allow sets of the
// groups they use with their conjunction ids and marks, and the members of the remote groups
// those sets name. Two owners emit flows from it (owner.h): each protected port (kSgPort: its
// conntrack entry and port clause) and the shared rules (kSgRules: statics, allow sets, rule and
// member clauses). SecurityGroupInputs is the plan without pointers into the state, so the
// dependency function can tell which of those owners a change affects.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lib/openflow/match.h"
#include "node-agent/state/network_state.h"

namespace alcor::agent::pipeline {

// Priorities in the rules tables (31, 61).
inline constexpr uint16_t kSgInvalidPriority = 200;      // ct_state=+inv: drop
inline constexpr uint16_t kSgHostAccessPriority = 195;   // +new from the node: allow (ingress)
inline constexpr uint16_t kSgEstablishedPriority = 190;  // -new with a live mark: allow
inline constexpr uint16_t kSgStaleReplyPriority = 180;   // -new+rpl, mark revoked: drop
inline constexpr uint16_t kSgServicePriority = 150;      // +new to a Service: after the DNAT
inline constexpr uint16_t kSgRulePriority = 100;         // conjunctive clauses and conj_id flows
// Priority of the per-port conntrack entry in tables 30 and 60.
inline constexpr uint16_t kSgTrackPriority = 100;
// Table 30: a pod's Service connection coming back from the node after the DNAT.
inline constexpr uint16_t kSgAfterDnatPriority = 110;

// One port range [min, max] as the fewest (value, mask) pairs covering it exactly.
std::vector<openflow::Masked<uint16_t>> portRangeMasks(uint16_t min, uint16_t max);

// Whether a port is filtered by security groups: plugged, port security on, and in a group.
bool portHasSecurityGroups(const Port& port);

// The key of one "allow set": the rules of `group_id` in one direction that share a remote group
// ("" for prefix/any rules). Each set is one conjunction whose id hashes the key (stable, so a
// rule change rewrites only that rule's clause flows). The ct_mark of the connections it allowed
// hashes the key and the rules' contents: changing the set's rules changes the mark and makes
// its connections be checked again.
std::string allowSetKey(const std::string& group_id, Direction direction,
                        const std::string& remote_group_id);

// The rules of one group, one direction and one remote group: they share a conjunction id.
struct AllowSet {
  std::string group_id;
  Direction direction = Direction::kIngress;
  std::string remote_group_id;  // "": rules with a prefix (or none)
  std::vector<const SecurityGroupRule*> rules;
  uint32_t id = 0;    // conj_id: from the key alone, stable while the set exists
  uint32_t mark = 0;  // ct_mark of its connections: the key and the rules' contents
};

// Valid while the NetworkState it was planned from is unchanged.
struct SecurityGroupPlan {
  std::vector<const Port*> ports;        // protected and programmed, in id order
  std::map<std::string, AllowSet> sets;  // by allowSetKey, of the groups those ports use
  std::map<std::string, std::vector<const AllowSet*>> sets_by_group;
  // Member addresses of every remote group a set names: what the controller expanded, plus
  // the addresses of this host's member ports.
  std::map<std::string, std::vector<Ipv4Prefix>> members;
};

// `programmed`: whether a port has its forwarding flows (plugged, with a segment).
SecurityGroupPlan planSecurityGroups(const NetworkState& state,
                                     const std::function<bool(const Port&)>& programmed);

// What the two owners' flows are computed from, as values.
struct SecurityGroupInputs {
  struct Set {
    std::string key;
    uint32_t id = 0;
    uint32_t mark = 0;
    std::vector<SecurityGroupRule> rules;
    bool operator==(const Set&) const = default;
  };
  struct PortSets {
    uint32_t ofport = 0;
    std::vector<std::pair<uint32_t, uint8_t>> egress, ingress;  // conj id, clause count
    bool operator==(const PortSets&) const = default;
  };
  // The kSgRules owner's inputs.
  bool any_port = false;
  std::vector<Set> sets;
  std::map<std::string, std::vector<Ipv4Prefix>> members;
  // Each kSgPort owner's inputs, by port id.
  std::map<std::string, PortSets> ports;

  bool sameRules(const SecurityGroupInputs& o) const {
    return any_port == o.any_port && sets == o.sets && members == o.members;
  }
};

SecurityGroupInputs securityGroupInputs(const NetworkState& state, const SecurityGroupPlan& plan);

}  // namespace alcor::agent::pipeline
