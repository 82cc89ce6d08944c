#pragma once

// The controller's resources, as Alcor's REST API describes them (docs/controller.md), typed:
// addresses, prefixes, MACs and ids are parsed once, by the JSON codec at the REST boundary (and
// when the store is loaded), and never again. Fields a client may leave out for the controller
// to allocate are optional until the service fills them (a stored resource has them all).
// Validation of the fields themselves lives in json_codec; references and conflicts in the
// services.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/model/resource_id.h"
#include "lib/base/net_types.h"

namespace alcor::controller {

// A compute host running alcor-agent. `name` is what ports carry in binding:host_id; `local_ip`
// is the GoalState host key and the address the agent is dialled at.
struct Node {
  ResourceId id;
  std::string name;
  Ipv4Address local_ip;
  std::optional<MacAddress> mac_address;
  int server_port = 0;                     // agent gRPC port; 0 = the controller's --agent-port
  std::optional<MacAddress> host_dvr_mac;  // allocated when absent
  std::string veth;
  std::string ncm_id;

  // The GoalState host key.
  std::string hostIp() const { return local_ip.toString(); }
};

struct Vpc {
  ResourceId id;
  std::string project_id;
  std::string name;
  std::string description;
  std::optional<Ipv4Prefix> cidr;
  uint32_t tunnel_id = 0;  // VNI, allocated when absent
  bool admin_state_up = true;
  std::vector<ResourceId> gateway_ids;
};

struct HostRoute {
  Ipv4Prefix destination;
  Ipv4Address nexthop;
  bool operator==(const HostRoute&) const = default;
};

struct Subnet {
  ResourceId id;
  std::string project_id;
  std::string name;
  std::string description;
  ResourceId network_id;  // the VPC
  Ipv4Prefix cidr;
  std::optional<Ipv4Address> gateway_ip;  // default: first host address
  std::optional<MacAddress> gateway_mac;  // allocated; Alcor's gateway_port_detail
  int ip_version = 4;
  bool enable_dhcp = true;
  std::vector<Ipv4Address> dns_nameservers;
  std::vector<HostRoute> host_routes;
  int mtu = 0;  // 0 = agent default
  std::string availability_zone;
};

struct FixedIp {
  ResourceId subnet_id;                   // found from the address when absent
  std::optional<Ipv4Address> ip_address;  // allocated when absent
  bool operator==(const FixedIp&) const = default;
};

// An IPv4 address ("10.0.0.5") or prefix ("10.0.0.0/24"), written back as it was given.
struct AddressOrPrefix {
  Ipv4Prefix prefix;        // an address is a /32
  bool has_length = false;  // given with a "/length"
  static StatusOr<AddressOrPrefix> parse(std::string_view text);
  std::string toString() const;
  bool operator==(const AddressOrPrefix&) const = default;
};

struct AddressPair {
  AddressOrPrefix ip_address;
  std::optional<MacAddress> mac_address;  // absent: the port's MAC
  bool operator==(const AddressPair&) const = default;
};

enum class PortStatus { kDown, kActive };  // ACTIVE once its host confirmed programming it

struct Port {
  ResourceId id;
  std::string project_id;
  std::string name;
  std::string description;
  ResourceId network_id;  // the VPC
  bool admin_state_up = true;
  std::optional<MacAddress> mac_address;  // allocated when absent
  std::vector<FixedIp> fixed_ips;
  std::string device_id;
  std::string device_owner;
  std::string host_id;  // binding:host_id, matched against Node::name
  std::vector<ResourceId> security_groups;
  std::vector<AddressPair> allowed_address_pairs;
  PortStatus status = PortStatus::kDown;
  // Set by the NetworkPolicy component (controller/netpol) through SecurityPolicyService, never
  // through REST, kept apart from security_groups: groups that filter the port too, and groups
  // that count the port's addresses as members without filtering it
  // (docs/design/network-policy.md).
  std::vector<ResourceId> policy_security_groups;
  std::vector<ResourceId> policy_address_groups;
};

// The groups that filter a port: its own, then those NetworkPolicy gave it.
std::vector<ResourceId> filteringGroups(const Port& port);
bool filteredBy(const Port& port, const ResourceId& group_id);
// Whether the port's addresses are members of the group (filtered by it, or an address member).
bool memberOf(const Port& port, const ResourceId& group_id);

enum class Direction { kIngress, kEgress };
enum class EtherType { kIpv4, kIpv6 };
enum class RuleProtocol { kAny, kTcp, kUdp, kIcmp };

struct SecurityGroupRule {
  ResourceId id;
  std::string project_id;
  ResourceId security_group_id;
  Direction direction = Direction::kIngress;
  EtherType ethertype = EtherType::kIpv4;
  RuleProtocol protocol = RuleProtocol::kAny;
  std::optional<int> port_range_min;
  std::optional<int> port_range_max;
  std::string remote_ip_prefix;  // IPv4 rules: an address or CIDR, checked; IPv6: as given
  ResourceId remote_group_id;
  std::string description;
};

struct SecurityGroup {
  ResourceId id;
  std::string project_id;
  std::string name;
  std::string description;
  std::vector<SecurityGroupRule> rules;
};

struct RouterInterface {
  ResourceId subnet_id;
  ResourceId port_id;  // identifier of the interface (no port resource behind it)
  bool operator==(const RouterInterface&) const = default;
};

struct Router {
  ResourceId id;
  std::string project_id;
  std::string name;
  std::string description;
  bool admin_state_up = true;
  std::vector<RouterInterface> interfaces;
  std::vector<HostRoute> routes;  // extra routes: destination via nexthop
};

enum class GatewayType { kDefault, kZeta, kTgw, kIgw, kNgw, kArion };

// A Zeta-style gateway (GatewayState): VPCs point at it through Vpc::gateway_ids.
struct Gateway {
  ResourceId id;
  std::string project_id;
  std::string name;
  GatewayType gateway_type = GatewayType::kZeta;
  struct Destination {
    Ipv4Address ip_address;
    MacAddress mac_address;
    bool operator==(const Destination&) const = default;
  };
  std::vector<Destination> destinations;
  int port_inband_operation = 0;  // Zeta OAM UDP port
};

// "" for an absent value, else its text (GoalState fields of absent values are empty strings).
template <typename T>
std::string textOf(const std::optional<T>& value) {
  return value ? value->toString() : std::string();
}

}  // namespace alcor::controller
