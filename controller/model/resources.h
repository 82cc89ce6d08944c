#pragma once

// The controller's resources, as Alcor's REST API describes them (docs/controller.md). Plain
// values: validation lives in json_codec (untrusted input) and NetworkService (references,
// conflicts); persistence stores each resource as its JSON.

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace alcor::controller {

// A compute host running alcor-agent. `name` is what ports carry in binding:host_id; `local_ip`
// is the GoalState host key and the address the agent is dialled at.
struct Node {
  std::string id;
  std::string name;
  std::string local_ip;
  std::string mac_address;
  int server_port = 0;  // agent gRPC port; 0 = the controller's --agent-port
  std::string host_dvr_mac;
  std::string veth;
  std::string ncm_id;
};

struct Vpc {
  std::string id;
  std::string project_id;
  std::string name;
  std::string description;
  std::string cidr;        // optional
  uint32_t tunnel_id = 0;  // VNI, allocated when absent
  bool admin_state_up = true;
  std::vector<std::string> gateway_ids;
};

struct HostRoute {
  std::string destination;  // CIDR
  std::string nexthop;
  bool operator==(const HostRoute&) const = default;
};

struct Subnet {
  std::string id;
  std::string project_id;
  std::string name;
  std::string description;
  std::string network_id;  // the VPC
  std::string cidr;
  std::string gateway_ip;   // default: first host address
  std::string gateway_mac;  // allocated; Alcor's gateway_port_detail.gateway_macAddress
  int ip_version = 4;
  bool enable_dhcp = true;
  std::vector<std::string> dns_nameservers;
  std::vector<HostRoute> host_routes;
  int mtu = 0;  // 0 = agent default
  std::string availability_zone;
};

struct FixedIp {
  std::string subnet_id;
  std::string ip_address;
  bool operator==(const FixedIp&) const = default;
};

struct AddressPair {
  std::string ip_address;   // address or CIDR
  std::string mac_address;  // empty: the port's MAC
  bool operator==(const AddressPair&) const = default;
};

inline constexpr const char* kPortDown = "DOWN";
inline constexpr const char* kPortActive = "ACTIVE";

struct Port {
  std::string id;
  std::string project_id;
  std::string name;
  std::string description;
  std::string network_id;  // the VPC
  bool admin_state_up = true;
  std::string mac_address;
  std::vector<FixedIp> fixed_ips;
  std::string device_id;
  std::string device_owner;
  std::string host_id;  // binding:host_id, matched against Node::name
  std::vector<std::string> security_groups;
  std::vector<AddressPair> allowed_address_pairs;
  std::string status = kPortDown;  // ACTIVE once its host confirmed programming it
  // Set by the NetworkPolicy component (controller/netpol), never through REST, kept apart from
  // security_groups: groups that filter the port too, and groups that count the port's addresses
  // as members without filtering it (docs/design/network-policy.md).
  std::vector<std::string> policy_security_groups;
  std::vector<std::string> policy_address_groups;
};

// The groups that filter a port: its own and those NetworkPolicy gave it.
inline std::vector<std::string> filteringGroups(const Port& port) {
  std::vector<std::string> out = port.security_groups;
  for (const auto& g : port.policy_security_groups) {
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
  }
  return out;
}
inline bool filteredBy(const Port& port, const std::string& group_id) {
  auto in = [&](const std::vector<std::string>& v) {
    return std::find(v.begin(), v.end(), group_id) != v.end();
  };
  return in(port.security_groups) || in(port.policy_security_groups);
}
// Whether the port's addresses are members of the group (filtered by it, or an address member).
inline bool memberOf(const Port& port, const std::string& group_id) {
  return filteredBy(port, group_id) ||
         std::find(port.policy_address_groups.begin(), port.policy_address_groups.end(),
                   group_id) != port.policy_address_groups.end();
}

struct SecurityGroupRule {
  std::string id;
  std::string project_id;
  std::string security_group_id;
  std::string direction = "ingress";  // ingress | egress
  std::string ethertype = "IPv4";     // IPv4 | IPv6
  std::string protocol;               // tcp | udp | icmp | "" (any)
  std::optional<int> port_range_min;
  std::optional<int> port_range_max;
  std::string remote_ip_prefix;
  std::string remote_group_id;
  std::string description;
};

struct SecurityGroup {
  std::string id;
  std::string project_id;
  std::string name;
  std::string description;
  std::vector<SecurityGroupRule> rules;
};

struct RouterInterface {
  std::string subnet_id;
  std::string port_id;  // identifier of the interface (no port resource behind it)
  bool operator==(const RouterInterface&) const = default;
};

struct Router {
  std::string id;
  std::string project_id;
  std::string name;
  std::string description;
  bool admin_state_up = true;
  std::vector<RouterInterface> interfaces;
  std::vector<HostRoute> routes;  // extra routes: destination via nexthop
};

// A Zeta-style gateway (GatewayState): VPCs point at it through Vpc::gateway_ids.
struct Gateway {
  std::string id;
  std::string project_id;
  std::string name;
  std::string gateway_type = "ZETA";  // DEFAULT ZETA TGW IGW NGW ARION
  struct Destination {
    std::string ip_address;
    std::string mac_address;
    bool operator==(const Destination&) const = default;
  };
  std::vector<Destination> destinations;
  int port_inband_operation = 0;  // Zeta OAM UDP port
};

}  // namespace alcor::controller
