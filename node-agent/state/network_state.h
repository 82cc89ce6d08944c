#pragma once

// The agent's desired network state: validated, typed copies of the GoalState resources it was
// given (VPCs, subnets, ports, neighbors, DHCP entries, routers, gateways, security groups),
// plus the local interfaces it attached itself. The pipeline computes flows from this; the
// GoalState handler is the only writer of the Alcor part, the CNI server of the local part.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "lib/base/net_types.h"

namespace alcor::agent {

struct Vpc {
  std::string id;
  std::string project_id;
  std::string name;
  uint32_t vni = 0;
  std::optional<Ipv4Prefix> cidr;
  std::vector<std::string> gateway_ids;
  bool operator==(const Vpc&) const = default;
};

struct HostRoute {
  Ipv4Prefix destination;
  Ipv4Address next_hop;
  bool operator==(const HostRoute&) const = default;
};

struct Subnet {
  std::string id;
  std::string vpc_id;
  std::string name;
  Ipv4Prefix cidr;  // canonical network address
  uint32_t vni = 0;
  Ipv4Address gateway_ip;
  MacAddress gateway_mac;
  bool dhcp_enabled = false;
  std::vector<Ipv4Address> dns_servers;
  std::string domain_name;
  int mtu = 0;  // 0: agent default
  std::vector<HostRoute> host_routes;
  bool operator==(const Subnet&) const = default;
};

struct PortIp {
  std::string subnet_id;
  Ipv4Address ip;
  bool operator==(const PortIp&) const = default;
};

struct AddressPair {
  Ipv4Prefix ip;                  // a single address is a /32
  std::optional<MacAddress> mac;  // unset: the port's own MAC
  bool operator==(const AddressPair&) const = default;
};

// A port of this host (its GoalState). Flows exist only once its interface is attached too.
struct Port {
  std::string id;
  std::string vpc_id;
  std::string name;
  std::string device_id;
  std::string device_owner;
  MacAddress mac;
  std::vector<PortIp> fixed_ips;  // at least one
  Ipv4Address host_ip;
  std::vector<AddressPair> allowed_address_pairs;
  std::vector<std::string> security_group_ids;
  bool port_security_enabled = true;  // false: no anti-spoofing, no security groups
  bool admin_state_up = true;
  bool operator==(const Port&) const = default;
};

enum class NeighborKind { kL2, kL3 };

struct NeighborIp {
  NeighborKind kind = NeighborKind::kL2;
  std::string subnet_id;
  Ipv4Address ip;
  bool operator==(const NeighborIp&) const = default;
};

// A port on another host, reachable over the overlay.
struct Neighbor {
  std::string key;  // "L2/<port id>" (GoalStateV2 map key, or built from v1)
  std::string id;   // the remote port id
  std::string vpc_id;
  std::string name;
  MacAddress mac;
  Ipv4Address host_ip;
  MacAddress host_mac;
  std::vector<NeighborIp> ips;
  bool operator==(const Neighbor&) const = default;
};

struct DhcpEntry {
  std::string id;
  std::string subnet_id;
  MacAddress mac;
  Ipv4Address ip;
  std::string hostname;
  bool operator==(const DhcpEntry&) const = default;
};

struct RoutingRule {
  std::string id;
  Ipv4Prefix destination;
  Ipv4Address next_hop;
  uint32_t priority = 0;
  bool operator==(const RoutingRule&) const = default;
};

struct RouterSubnet {
  std::string subnet_id;
  std::vector<RoutingRule> rules;
  bool operator==(const RouterSubnet&) const = default;
};

struct Router {
  std::string id;
  MacAddress host_dvr_mac;
  std::vector<RouterSubnet> subnets;
  bool operator==(const Router&) const = default;
};

enum class GatewayType { kDefault, kZeta, kOther };

struct GatewayDestination {
  Ipv4Address ip;
  MacAddress mac;
  bool operator==(const GatewayDestination&) const = default;
};

struct Gateway {
  std::string id;
  GatewayType type = GatewayType::kDefault;
  std::vector<GatewayDestination> destinations;
  uint16_t oam_port = 0;
  bool operator==(const Gateway&) const = default;
};

enum class Direction { kEgress, kIngress };
enum class IpProtocol { kAny, kTcp, kUdp, kIcmp };

struct SecurityGroupRule {
  std::string id;
  Direction direction = Direction::kIngress;
  bool ipv6 = false;
  IpProtocol protocol = IpProtocol::kAny;
  uint16_t port_min = 0;  // 0/0: any port
  uint16_t port_max = 0;
  std::optional<Ipv4Prefix> remote_prefix;
  std::string remote_group_id;
  bool operator==(const SecurityGroupRule&) const = default;
};

struct SecurityGroup {
  std::string id;
  std::string vpc_id;
  std::string name;
  std::vector<SecurityGroupRule> rules;
  // Addresses of the group's member ports on every host (expanded by the controller), for rules
  // that name this group as their remote group.
  std::vector<Ipv4Prefix> member_ips;
  bool operator==(const SecurityGroup&) const = default;
};

// An interface the agent plugged into the integration bridge for a port.
struct LocalInterface {
  std::string port_id;
  std::string ovs_port;  // OVS port / host veth name
  uint32_t ofport = 0;
  std::string container_id;
  std::string ifname;
  std::string netns;
  std::string pod_namespace;
  std::string pod_name;
  std::string project;  // controller project of the port (for its release)
  bool operator==(const LocalInterface&) const = default;
};

// The node's own port in a VPC (host access, docs/design/ovs-pipeline.md "Host gateways"): an
// internal port on the integration bridge whose MAC and address are those of a controller port
// bound to this node, so the node is a member of the VPC like a pod.
struct HostGateway {
  std::string vpc_id;
  std::string port_id;   // the controller port; its GoalState is in NetworkState::ports
  std::string ovs_port;  // alcor-gw0, alcor-gw1, ...
  uint32_t ofport = 0;
  bool operator==(const HostGateway&) const = default;
};

class NetworkState {
 public:
  std::map<std::string, Vpc> vpcs;
  std::map<std::string, Subnet> subnets;
  std::map<std::string, Port> ports;          // ports bound to this host, by port id
  std::map<std::string, Neighbor> neighbors;  // by neighbor key
  std::map<std::string, DhcpEntry> dhcp;      // by DHCP entry id
  std::map<std::string, Router> routers;
  std::map<std::string, Gateway> gateways;
  std::map<std::string, SecurityGroup> security_groups;
  std::map<std::string, LocalInterface> interfaces;  // by port id
  std::map<std::string, HostGateway> host_gateways;  // by VPC id

  const Subnet* subnet(const std::string& id) const;
  const Vpc* vpc(const std::string& id) const;
  // The VNI of a port: its first subnet's tunnel id, falling back to the VPC's.
  uint32_t vniOfPort(const Port& port) const;
  // Ports that have both a GoalState and an attached interface.
  bool portIsPlugged(const std::string& port_id) const;
  // The host gateway whose controller port this is, when it has its GoalState and an ofport.
  const HostGateway* pluggedHostGateway(const std::string& port_id) const;
  // The router a subnet is attached to, if any.
  const Router* routerOfSubnet(const std::string& subnet_id) const;
  // VNIs that have at least one plugged local port or host gateway (only those get flows for
  // neighbors).
  std::set<uint32_t> localVnis() const;
};

}  // namespace alcor::agent
