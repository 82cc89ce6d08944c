#pragma once

// What the policy component keeps of Kubernetes objects, parsed from their JSON
// (networking.k8s.io/v1 NetworkPolicy, v1 Pod and Namespace), with the API's defaults and the
// exact meaning of empty and missing fields made explicit. Parsing never fails on a policy as a
// whole: what cannot be parsed or realized is listed in NetworkPolicy::problems and allows
// nothing (the policy still isolates the pods it selects), so a policy is never silently ignored.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "controller/netpol/label_selector.h"
#include "lib/base/net_types.h"

namespace alcor::controller::netpol {

enum class Protocol { kTcp, kUdp, kSctp };
const char* protocolName(Protocol p);  // "TCP", "UDP", "SCTP"

struct ContainerPort {
  std::string name;
  Protocol protocol = Protocol::kTcp;
  int port = 0;
};

struct PodInfo {
  std::string uid;
  std::string ns;
  std::string name;
  Labels labels;
  std::vector<ContainerPort> ports;  // every container's, for named ports
  bool host_network = false;         // not a pod of the pod network: no port, never selected
  std::vector<std::string> ips;      // status.podIPs (informational)
};

struct NamespaceInfo {
  std::string name;
  Labels labels;
};

// One entry of a rule's ports: a protocol and either a number (with an optional endPort), a
// name resolved on the pod, or nothing (every port of the protocol).
struct PolicyPort {
  Protocol protocol = Protocol::kTcp;
  std::optional<int> port;
  std::optional<int> end_port;
  std::string named;
};

struct IpBlock {
  Ipv4Prefix cidr;
  std::vector<Ipv4Prefix> except;
};

// One entry of from/to: an ipBlock, or pods chosen by selectors. A podSelector alone means pods
// of the policy's namespace; a namespaceSelector alone, every pod of those namespaces.
struct PolicyPeer {
  std::optional<IpBlock> ip_block;
  std::optional<LabelSelector> pod_selector;
  std::optional<LabelSelector> namespace_selector;
};

// An ingress or egress rule. Empty or missing from/to: every peer (any address). Empty or
// missing ports: every port of every protocol. `unrealizable` entries were dropped (they allow
// nothing) and reported in the policy's problems.
struct PolicyRule {
  std::vector<PolicyPeer> peers;
  bool all_peers = true;
  std::vector<PolicyPort> ports;
  bool all_ports = true;
};

struct NetworkPolicy {
  std::string ns;
  std::string name;
  std::string uid;
  LabelSelector pod_selector;
  bool pod_selector_valid = true;  // false: it selects nothing we can tell (a problem)
  // policyTypes, defaulted as the API server does: Ingress always, Egress when spec.egress has
  // rules.
  bool isolates_ingress = true;
  bool isolates_egress = false;
  std::vector<PolicyRule> ingress;
  std::vector<PolicyRule> egress;
  std::vector<std::string> problems;  // parts that cannot be realized, for the status

  std::string key() const { return ns + "/" + name; }
};

// Errors only when the object has no identity (no metadata.name/namespace/uid).
StatusOr<NetworkPolicy> parseNetworkPolicy(const nlohmann::json& j);
StatusOr<PodInfo> parsePod(const nlohmann::json& j);
StatusOr<NamespaceInfo> parseNamespace(const nlohmann::json& j);

}  // namespace alcor::controller::netpol
