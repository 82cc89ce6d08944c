#pragma once

// Security groups on br-int (docs/design/security-groups.md): stateful conntrack flows in
// EgressConntrack/EgressRules (30/31) and IngressConntrack/IngressRules (60/61), built from
// conjunctive matches so that ports × rules × remote-group members add up instead of multiplying.
// addSecurityGroupFlows() (build_context.h) is the pipeline entry point; the helpers below are
// exposed for tests and the benchmark.

#include <cstdint>
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
inline constexpr uint16_t kSgRulePriority = 100;         // conjunctive clauses and conj_id flows
// Priority of the per-port conntrack entry in tables 30 and 60.
inline constexpr uint16_t kSgTrackPriority = 100;

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

}  // namespace alcor::agent::pipeline
