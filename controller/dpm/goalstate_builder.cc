#include "controller/dpm/goalstate_builder.h"

#include "controller/model/json_fields.h"

namespace alcor::controller {

std::string neighborKey(schema::NeighborType type, const ResourceId& port_id) {
  return (type == schema::L3 ? "L3/" : "L2/") + port_id.str();
}

std::string dhcpKey(const ResourceId& port_id, size_t index) {
  return index == 0 ? port_id.str() : port_id.str() + "/" + std::to_string(index);
}

namespace {
// Port and neighbor configurations have look-alike AllowAddressPair messages.
template <typename Config>
void copyAddressPairs(const Port& p, Config* c) {
  for (const auto& a : p.allowed_address_pairs) {
    auto* pair = c->add_allow_address_pairs();
    pair->set_ip_address(a.ip_address.toString());
    pair->set_mac_address(textOf(a.mac_address));
  }
}
}  // namespace

schema::VpcState vpcState(const Vpc& vpc, schema::OperationType op) {
  schema::VpcState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(vpc.id.str());
  c->set_update_type(schema::FULL);
  c->set_project_id(vpc.project_id);
  c->set_name(vpc.name);
  c->set_cidr(textOf(vpc.cidr));
  c->set_tunnel_id(vpc.tunnel_id);
  for (const auto& g : vpc.gateway_ids) c->add_gateway_ids(g.str());
  return st;
}

schema::SubnetState subnetState(const Subnet& s, const Vpc& vpc, schema::OperationType op) {
  schema::SubnetState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(s.id.str());
  c->set_update_type(schema::FULL);
  c->set_network_type(schema::VXLAN);
  c->set_vpc_id(s.network_id.str());
  c->set_name(s.name);
  c->set_cidr(s.cidr.toString());
  c->set_tunnel_id(vpc.tunnel_id);
  c->mutable_gateway()->set_ip_address(textOf(s.gateway_ip));
  c->mutable_gateway()->set_mac_address(textOf(s.gateway_mac));
  c->set_dhcp_enable(s.enable_dhcp);
  for (const auto& dns : s.dns_nameservers) c->add_dns_entry_list()->set_entry(dns.toString());
  if (s.mtu > 0) {
    auto* o = c->add_extra_dhcp_options();
    o->set_name("mtu");
    o->set_value(std::to_string(s.mtu));
  }
  if (!s.host_routes.empty()) {
    std::string routes;
    for (const auto& r : s.host_routes) {
      if (!routes.empty()) routes += ";";
      routes += r.destination.toString() + "," + r.nexthop.toString();
    }
    auto* o = c->add_extra_dhcp_options();
    o->set_name("classless-static-route");
    o->set_value(routes);
  }
  c->set_availability_zone(s.availability_zone);
  return st;
}

schema::PortState portState(const Port& p, const std::string& host_ip, const std::string& host_mac,
                            schema::OperationType op) {
  schema::PortState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(p.id.str());
  c->set_update_type(schema::FULL);
  c->set_vpc_id(p.network_id.str());
  c->set_name(p.name);
  c->set_device_id(p.device_id);
  c->set_device_owner(p.device_owner);
  c->set_mac_address(textOf(p.mac_address));
  c->set_admin_state_up(p.admin_state_up);
  c->mutable_host_info()->set_ip_address(host_ip);
  c->mutable_host_info()->set_mac_address(host_mac);
  for (const auto& f : p.fixed_ips) {
    auto* ip = c->add_fixed_ips();
    ip->set_subnet_id(f.subnet_id.str());
    ip->set_ip_address(textOf(f.ip_address));
  }
  copyAddressPairs(p, c);
  for (const auto& sg : filteringGroups(p)) c->add_security_group_ids()->set_id(sg.str());
  return st;
}

schema::DHCPState dhcpState(const Port& p, size_t index, schema::OperationType op) {
  schema::DHCPState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(dhcpKey(p.id, index));
  c->set_update_type(schema::FULL);
  if (index < p.fixed_ips.size()) {
    c->set_subnet_id(p.fixed_ips[index].subnet_id.str());
    c->set_ipv4_address(textOf(p.fixed_ips[index].ip_address));
  }
  c->set_mac_address(textOf(p.mac_address));
  c->set_port_host_name(p.name);
  return st;
}

schema::NeighborState neighborState(const Port& p, const Vpc& vpc, const std::string& host_ip,
                                    const std::string& host_mac, schema::NeighborType type,
                                    schema::OperationType op) {
  schema::NeighborState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(p.id.str());
  c->set_update_type(schema::FULL);
  c->set_vpc_id(p.network_id.str());
  c->set_name(p.name);
  c->set_mac_address(textOf(p.mac_address));
  c->set_host_mac_address(host_mac);
  c->set_host_ip_address(host_ip);
  for (const auto& f : p.fixed_ips) {
    auto* ip = c->add_fixed_ips();
    ip->set_neighbor_type(type);
    ip->set_subnet_id(f.subnet_id.str());
    ip->set_ip_address(textOf(f.ip_address));
    ip->set_tunnel_id(vpc.tunnel_id);
  }
  copyAddressPairs(p, c);
  return st;
}

schema::NeighborState neighborDelete(const ResourceId& port_id) {
  schema::NeighborState st;
  st.set_operation_type(schema::DELETE);
  st.mutable_configuration()->set_id(port_id.str());
  st.mutable_configuration()->set_revision_number(1);
  return st;
}

namespace {
schema::Protocol protocolOf(RuleProtocol p) {
  switch (p) {
    case RuleProtocol::kTcp:
      return schema::TCP;
    case RuleProtocol::kUdp:
      return schema::UDP;
    case RuleProtocol::kIcmp:
      return schema::ICMP;
    case RuleProtocol::kAny:
      break;
  }
  // Alcor has no "any"; ARP (4) is the value the agent maps to "any IP protocol".
  return schema::ARP;
}
}  // namespace

schema::SecurityGroupState securityGroupState(const SecurityGroup& g, const ResourceId& vpc_id,
                                              const std::vector<std::string>& member_addresses,
                                              schema::OperationType op) {
  schema::SecurityGroupState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(g.id.str());
  c->set_update_type(schema::FULL);
  c->set_vpc_id(vpc_id.str());
  c->set_name(g.name);
  for (const auto& r : g.rules) {
    auto* rule = c->add_security_group_rules();
    rule->set_operation_type(schema::CREATE);
    rule->set_security_group_id(g.id.str());
    rule->set_id(r.id.str());
    rule->set_direction(r.direction == Direction::kIngress
                            ? schema::SecurityGroupConfiguration::INGRESS
                            : schema::SecurityGroupConfiguration::EGRESS);
    rule->set_ethertype(r.ethertype == EtherType::kIpv6 ? schema::IPV6 : schema::IPV4);
    rule->set_protocol(protocolOf(r.protocol));
    bool ports = r.protocol == RuleProtocol::kTcp || r.protocol == RuleProtocol::kUdp;
    rule->set_port_range_min(ports ? r.port_range_min.value_or(0) : 0);
    // 0-0 means every port; a lone minimum opens up to 65535.
    rule->set_port_range_max(ports ? r.port_range_max.value_or(r.port_range_min ? 65535 : 0) : 0);
    rule->set_remote_ip_prefix(r.remote_ip_prefix);
    rule->set_remote_group_id(r.remote_group_id.str());
  }
  for (const auto& ip : member_addresses) c->add_member_ip_addresses(ip);
  return st;
}

schema::RouterState routerState(const Router& r, const std::string& host_dvr_mac,
                                const std::map<ResourceId, const Subnet*>& subnets,
                                schema::OperationType op) {
  schema::RouterState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(r.id.str());
  c->set_update_type(schema::FULL);
  c->set_host_dvr_mac_address(host_dvr_mac);
  for (const auto& iface : r.interfaces) {
    auto it = subnets.find(iface.subnet_id);
    if (it == subnets.end() || !it->second) continue;
    auto* table = c->add_subnet_routing_tables();
    table->set_subnet_id(iface.subnet_id.str());
    // Every other attached subnet is reachable through the router; extra routes follow.
    int n = 0;
    for (const auto& other : r.interfaces) {
      auto o = subnets.find(other.subnet_id);
      if (other.subnet_id == iface.subnet_id || o == subnets.end() || !o->second) continue;
      auto* rule = table->add_routing_rules();
      rule->set_operation_type(schema::CREATE);
      rule->set_id(r.id.str() + "/" + other.subnet_id.str());
      rule->set_name("to " + o->second->name);
      rule->set_destination(o->second->cidr.toString());
      rule->set_next_hop_ip(textOf(o->second->gateway_ip));
      rule->set_priority(++n);
      rule->mutable_routing_rule_extra_info()->set_destination_type(schema::VPC_GW);
      rule->mutable_routing_rule_extra_info()->set_next_hop_mac(textOf(o->second->gateway_mac));
    }
    for (const auto& route : r.routes) {
      auto* rule = table->add_routing_rules();
      rule->set_operation_type(schema::CREATE);
      rule->set_id(r.id.str() + "/" + route.destination.toString());
      rule->set_destination(route.destination.toString());
      rule->set_next_hop_ip(route.nexthop.toString());
      rule->set_priority(++n);
      rule->mutable_routing_rule_extra_info()->set_destination_type(schema::INTERNET);
    }
  }
  return st;
}

schema::GatewayState gatewayState(const Gateway& g, schema::OperationType op) {
  schema::GatewayState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(g.id.str());
  schema::GatewayType type = schema::DEFAULT;
  schema::GatewayType_Parse(enumName(g.gateway_type), &type);
  c->set_gateway_type(type);
  for (const auto& d : g.destinations) {
    auto* dest = c->add_destinations();
    dest->set_ip_address(d.ip_address.toString());
    dest->set_mac_address(d.mac_address.toString());
  }
  if (type == schema::ZETA) {
    c->mutable_zeta_info()->set_port_inband_operation(g.port_inband_operation);
  }
  return st;
}

size_t resourceCount(const schema::GoalStateV2& gs) {
  return gs.vpc_states_size() + gs.subnet_states_size() + gs.port_states_size() +
         gs.dhcp_states_size() + gs.neighbor_states_size() + gs.security_group_states_size() +
         gs.router_states_size() + gs.gateway_states_size();
}

}  // namespace alcor::controller
