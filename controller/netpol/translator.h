#pragma once

// NetworkPolicy → security groups (docs/design/network-policy.md). A pure function of the
// policies, pods and namespaces; the PolicyController applies its result through a
// SecurityPolicyWriter.
//
// - Each policy becomes a group named "netpol:<namespace>/<name>" holding its ingress rules
//   (when it isolates ingress) and egress rules (when it isolates egress). The pods it selects
//   are filtered by that group. When its ingress rules name ports by name and the selected pods
//   resolve a name to different numbers, there is one group per resolution ("netpol:ns/p
//   [http=8080/TCP]").
// - Each peer selector becomes an address group "netpol-peers: ..." with no rules, named as a
//   rule's remote group; the pods it matches are its members by address only (they are not
//   filtered by it). Egress named ports split the peer group by the number the name resolves to.
// - ipBlock with except becomes the CIDR minus the exceptions, as prefixes (remote_ip_prefix).
// - A pod some policy selects for one direction only is filtered in the other direction by an
//   allow-all group, unless its port has security groups of its own (they decide that direction;
//   groups are allow lists, so a pod in both gets the union).

#include <map>
#include <string>
#include <vector>

#include "controller/model/resources.h"
#include "controller/netpol/objects.h"

namespace alcor::controller::netpol {

inline constexpr const char* kGroupIdPrefix = "netpol-";
inline constexpr const char* kAllowAllIngressId = "netpol-allow-all-ingress";
inline constexpr const char* kAllowAllEgressId = "netpol-allow-all-egress";

struct World {
  std::map<std::string, PodInfo> pods;              // by uid
  std::map<std::string, NamespaceInfo> namespaces;  // by name
  std::map<std::string, NetworkPolicy> policies;    // by namespace/name
};

// What the policies make of one pod.
struct PodPolicy {
  std::vector<std::string> policy_groups;  // groups of the policies selecting it (sorted)
  bool isolated_ingress = false;
  bool isolated_egress = false;
  std::vector<std::string> address_groups;  // peer groups it is a member of (sorted)
  bool operator==(const PodPolicy&) const = default;
};

// The groups that filter the port of a pod: its policy groups plus the allow-all group of each
// direction no policy isolates, unless the port has groups of its own. Empty when no policy
// selects the pod (it stays unfiltered, or filtered by its own groups only).
std::vector<std::string> filterGroupsOf(const PodPolicy& pod, bool port_has_own_groups);

struct PolicyResult {
  std::vector<std::string> groups;  // the groups the policy became
  size_t selected_pods = 0;
  std::vector<std::string> problems;  // parse problems and translation problems
};

struct Translation {
  std::map<std::string, SecurityGroup> groups;  // by id, rules included
  std::map<std::string, PodPolicy> pods;        // by pod uid; absent: no policy selects or names it
  std::map<std::string, PolicyResult> policies;  // by namespace/name
};

// `project` is the project every group is created in.
Translation translate(const World& world, const std::string& project);

// `cidr` minus every prefix of `except`, as the fewest prefixes (in address order).
std::vector<Ipv4Prefix> subtractPrefixes(const Ipv4Prefix& cidr,
                                         const std::vector<Ipv4Prefix>& except);

}  // namespace alcor::controller::netpol
