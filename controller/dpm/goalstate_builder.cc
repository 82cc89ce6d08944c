#include "controller/dpm/goalstate_builder.h"

namespace alcor::controller {

std::string neighborKey(schema::NeighborType type, const std::string& port_id) {
  return (type == schema::L3 ? "L3/" : "L2/") + port_id;
}

std::string dhcpKey(const std::string& port_id, size_t index) {
  return index == 0 ? port_id : port_id + "/" + std::to_string(index);
}

namespace {
// Port and neighbor configurations have look-alike AllowAddressPair messages.
template <typename Config>
void copyAddressPairs(const Port& p, Config* c) {
  for (const auto& a : p.allowed_address_pairs) {
    auto* pair = c->add_allow_address_pairs();
    pair->set_ip_address(a.ip_address);
    pair->set_mac_address(a.mac_address);
  }
}
}  // namespace

schema::VpcState vpcState(const Vpc& vpc, schema::OperationType op) {
  schema::VpcState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(vpc.id);
  c->set_update_type(schema::FULL);
  c->set_project_id(vpc.project_id);
  c->set_name(vpc.name);
  c->set_cidr(vpc.cidr);
  c->set_tunnel_id(vpc.tunnel_id);
  for (const auto& g : vpc.gateway_ids) c->add_gateway_ids(g);
  return st;
}

schema::SubnetState subnetState(const Subnet& s, const Vpc& vpc, schema::OperationType op) {
  schema::SubnetState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(s.id);
  c->set_update_type(schema::FULL);
  c->set_network_type(schema::VXLAN);
  c->set_vpc_id(s.network_id);
  c->set_name(s.name);
  c->set_cidr(s.cidr);
  c->set_tunnel_id(vpc.tunnel_id);
  c->mutable_gateway()->set_ip_address(s.gateway_ip);
  c->mutable_gateway()->set_mac_address(s.gateway_mac);
  c->set_dhcp_enable(s.enable_dhcp);
  for (const auto& dns : s.dns_nameservers) c->add_dns_entry_list()->set_entry(dns);
  if (s.mtu > 0) {
    auto* o = c->add_extra_dhcp_options();
    o->set_name("mtu");
    o->set_value(std::to_string(s.mtu));
  }
  if (!s.host_routes.empty()) {
    std::string routes;
    for (const auto& r : s.host_routes) {
      if (!routes.empty()) routes += ";";
      routes += r.destination + "," + r.nexthop;
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
  c->set_id(p.id);
  c->set_update_type(schema::FULL);
  c->set_vpc_id(p.network_id);
  c->set_name(p.name);
  c->set_device_id(p.device_id);
  c->set_device_owner(p.device_owner);
  c->set_mac_address(p.mac_address);
  c->set_admin_state_up(p.admin_state_up);
  c->mutable_host_info()->set_ip_address(host_ip);
  c->mutable_host_info()->set_mac_address(host_mac);
  for (const auto& f : p.fixed_ips) {
    auto* ip = c->add_fixed_ips();
    ip->set_subnet_id(f.subnet_id);
    ip->set_ip_address(f.ip_address);
  }
  copyAddressPairs(p, c);
  for (const auto& sg : filteringGroups(p)) c->add_security_group_ids()->set_id(sg);
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
    c->set_subnet_id(p.fixed_ips[index].subnet_id);
    c->set_ipv4_address(p.fixed_ips[index].ip_address);
  }
  c->set_mac_address(p.mac_address);
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
  c->set_id(p.id);
  c->set_update_type(schema::FULL);
  c->set_vpc_id(p.network_id);
  c->set_name(p.name);
  c->set_mac_address(p.mac_address);
  c->set_host_mac_address(host_mac);
  c->set_host_ip_address(host_ip);
  for (const auto& f : p.fixed_ips) {
    auto* ip = c->add_fixed_ips();
    ip->set_neighbor_type(type);
    ip->set_subnet_id(f.subnet_id);
    ip->set_ip_address(f.ip_address);
    ip->set_tunnel_id(vpc.tunnel_id);
  }
  copyAddressPairs(p, c);
  return st;
}

schema::NeighborState neighborDelete(const std::string& port_id) {
  schema::NeighborState st;
  st.set_operation_type(schema::DELETE);
  st.mutable_configuration()->set_id(port_id);
  st.mutable_configuration()->set_revision_number(1);
  return st;
}

namespace {
schema::Protocol protocolOf(const std::string& p) {
  if (p == "tcp") return schema::TCP;
  if (p == "udp") return schema::UDP;
  if (p == "icmp") return schema::ICMP;
  // Alcor has no "any"; ARP (4) is the value the agent maps to "any IP protocol".
  return schema::ARP;
}
}  // namespace

schema::SecurityGroupState securityGroupState(const SecurityGroup& g, const std::string& vpc_id,
                                              schema::OperationType op) {
  schema::SecurityGroupState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(g.id);
  c->set_update_type(schema::FULL);
  c->set_vpc_id(vpc_id);
  c->set_name(g.name);
  for (const auto& r : g.rules) {
    auto* rule = c->add_security_group_rules();
    rule->set_operation_type(schema::CREATE);
    rule->set_security_group_id(g.id);
    rule->set_id(r.id);
    rule->set_direction(r.direction == "ingress" ? schema::SecurityGroupConfiguration::INGRESS
                                                 : schema::SecurityGroupConfiguration::EGRESS);
    rule->set_ethertype(r.ethertype == "IPv6" ? schema::IPV6 : schema::IPV4);
    rule->set_protocol(protocolOf(r.protocol));
    bool ports = r.protocol == "tcp" || r.protocol == "udp";
    rule->set_port_range_min(ports ? r.port_range_min.value_or(0) : 0);
    // 0-0 means every port; a lone minimum opens up to 65535.
    rule->set_port_range_max(ports ? r.port_range_max.value_or(r.port_range_min ? 65535 : 0) : 0);
    rule->set_remote_ip_prefix(r.remote_ip_prefix);
    rule->set_remote_group_id(r.remote_group_id);
  }
  return st;
}

schema::RouterState routerState(const Router& r, const std::string& host_dvr_mac,
                                const std::map<std::string, const Subnet*>& subnets,
                                schema::OperationType op) {
  schema::RouterState st;
  st.set_operation_type(op);
  auto* c = st.mutable_configuration();
  c->set_revision_number(1);
  c->set_id(r.id);
  c->set_update_type(schema::FULL);
  c->set_host_dvr_mac_address(host_dvr_mac);
  for (const auto& iface : r.interfaces) {
    auto it = subnets.find(iface.subnet_id);
    if (it == subnets.end() || !it->second) continue;
    auto* table = c->add_subnet_routing_tables();
    table->set_subnet_id(iface.subnet_id);
    // Every other attached subnet is reachable through the router; extra routes follow.
    int n = 0;
    for (const auto& other : r.interfaces) {
      auto o = subnets.find(other.subnet_id);
      if (other.subnet_id == iface.subnet_id || o == subnets.end() || !o->second) continue;
      auto* rule = table->add_routing_rules();
      rule->set_operation_type(schema::CREATE);
      rule->set_id(r.id + "/" + other.subnet_id);
      rule->set_name("to " + o->second->name);
      rule->set_destination(o->second->cidr);
      rule->set_next_hop_ip(o->second->gateway_ip);
      rule->set_priority(++n);
      rule->mutable_routing_rule_extra_info()->set_destination_type(schema::VPC_GW);
      rule->mutable_routing_rule_extra_info()->set_next_hop_mac(o->second->gateway_mac);
    }
    for (const auto& route : r.routes) {
      auto* rule = table->add_routing_rules();
      rule->set_operation_type(schema::CREATE);
      rule->set_id(r.id + "/" + route.destination);
      rule->set_destination(route.destination);
      rule->set_next_hop_ip(route.nexthop);
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
  c->set_id(g.id);
  schema::GatewayType type = schema::DEFAULT;
  schema::GatewayType_Parse(g.gateway_type, &type);
  c->set_gateway_type(type);
  for (const auto& d : g.destinations) {
    auto* dest = c->add_destinations();
    dest->set_ip_address(d.ip_address);
    dest->set_mac_address(d.mac_address);
  }
  if (type == schema::ZETA) {
    c->mutable_zeta_info()->set_port_inband_operation(g.port_inband_operation);
  }
  return st;
}

void fillHostResources(schema::GoalStateV2& gs, const std::string& host_ip) {
  auto& res = (*gs.mutable_host_resources())[host_ip];
  res.Clear();
  auto add = [&](schema::ResourceType type, const auto& map) {
    for (const auto& [key, state] : map) {
      auto* r = res.add_resources();
      r->set_type(type);
      r->set_id(key);
    }
  };
  add(schema::VPC, gs.vpc_states());
  add(schema::SUBNET, gs.subnet_states());
  add(schema::PORT, gs.port_states());
  add(schema::DHCP, gs.dhcp_states());
  add(schema::NEIGHBOR, gs.neighbor_states());
  add(schema::SECURITYGROUP, gs.security_group_states());
  add(schema::ROUTER, gs.router_states());
  add(schema::GATEWAY, gs.gateway_states());
}

schema::GoalState toGoalStateV1(const schema::GoalStateV2& v2) {
  schema::GoalState v1;
  v1.set_format_version(v2.format_version());
  for (const auto& [k, s] : v2.vpc_states()) *v1.add_vpc_states() = s;
  for (const auto& [k, s] : v2.subnet_states()) *v1.add_subnet_states() = s;
  for (const auto& [k, s] : v2.port_states()) *v1.add_port_states() = s;
  for (const auto& [k, s] : v2.neighbor_states()) *v1.add_neighbor_states() = s;
  for (const auto& [k, s] : v2.security_group_states()) *v1.add_security_group_states() = s;
  for (const auto& [k, s] : v2.dhcp_states()) *v1.add_dhcp_states() = s;
  for (const auto& [k, s] : v2.router_states()) *v1.add_router_states() = s;
  for (const auto& [k, s] : v2.gateway_states()) *v1.add_gateway_states() = s;
  return v1;
}

size_t resourceCount(const schema::GoalStateV2& gs) {
  return gs.vpc_states_size() + gs.subnet_states_size() + gs.port_states_size() +
         gs.dhcp_states_size() + gs.neighbor_states_size() + gs.security_group_states_size() +
         gs.router_states_size() + gs.gateway_states_size();
}

}  // namespace alcor::controller
