#include "node-agent/goalstate/conversion.h"

#include "lib/base/strings.h"

namespace alcor::agent {
namespace {

Status invalid(const std::string& what, const std::string& id, const std::string& detail) {
  return invalidArgumentError(what + " " + (id.empty() ? "(no id)" : id) + ": " + detail);
}

StatusOr<Ipv4Address> address(const std::string& text, const std::string& what,
                              const std::string& id, const char* field) {
  auto a = Ipv4Address::parse(text);
  if (!a.ok())
    return invalid(what, id, std::string(field) + " \"" + text + "\" is not an IPv4 address");
  return *a;
}

StatusOr<MacAddress> unicastMac(const std::string& text, const std::string& what,
                                const std::string& id, const char* field) {
  auto m = MacAddress::parse(text);
  if (!m.ok())
    return invalid(what, id, std::string(field) + " \"" + text + "\" is not a MAC address");
  if (m->isMulticast() || m->isZero()) {
    return invalid(what, id, std::string(field) + " " + text + " is not a unicast MAC");
  }
  return *m;
}

// A CIDR or a bare address (taken as /32).
StatusOr<Ipv4Prefix> prefixOrAddress(const std::string& text) {
  if (text.find('/') == std::string::npos) {
    auto a = Ipv4Address::parse(text);
    if (!a.ok()) return a.status();
    return Ipv4Prefix(*a, 32);
  }
  auto p = Ipv4Prefix::parse(text);
  if (!p.ok()) return p.status();
  return Ipv4Prefix(p->network(), p->length());
}

}  // namespace

StatusOr<Vpc> toVpc(const schema::VpcConfiguration& c) {
  Vpc v;
  v.id = c.id();
  if (v.id.empty()) return invalid("vpc", "", "id is empty");
  v.project_id = c.project_id();
  v.name = c.name();
  if (c.tunnel_id() > kMaxVni) {
    return invalid("vpc", v.id, "tunnel_id " + std::to_string(c.tunnel_id()) + " exceeds 24 bits");
  }
  v.vni = c.tunnel_id();
  if (!c.cidr().empty()) {
    auto p = Ipv4Prefix::parse(c.cidr());
    if (!p.ok()) return invalid("vpc", v.id, p.status().message());
    v.cidr = Ipv4Prefix(p->network(), p->length());
  }
  v.gateway_ids.assign(c.gateway_ids().begin(), c.gateway_ids().end());
  return v;
}

StatusOr<Subnet> toSubnet(const schema::SubnetConfiguration& c) {
  Subnet s;
  s.id = c.id();
  if (s.id.empty()) return invalid("subnet", "", "id is empty");
  s.vpc_id = c.vpc_id();
  if (s.vpc_id.empty()) return invalid("subnet", s.id, "vpc_id is empty");
  s.name = c.name();
  auto cidr = Ipv4Prefix::parse(c.cidr());
  if (!cidr.ok()) return invalid("subnet", s.id, cidr.status().message());
  if (cidr->length() > 30) return invalid("subnet", s.id, "cidr " + c.cidr() + " is too small");
  s.cidr = Ipv4Prefix(cidr->network(), cidr->length());
  if (c.tunnel_id() > kMaxVni) {
    return invalid("subnet", s.id,
                   "tunnel_id " + std::to_string(c.tunnel_id()) + " exceeds 24 bits");
  }
  s.vni = static_cast<uint32_t>(c.tunnel_id());
  if (!c.gateway().ip_address().empty()) {
    ASSIGN_OR_RETURN(s.gateway_ip, address(c.gateway().ip_address(), "subnet", s.id, "gateway ip"));
    if (!s.cidr.contains(s.gateway_ip)) {
      return invalid("subnet", s.id,
                     "gateway " + s.gateway_ip.toString() + " is outside " + s.cidr.toString());
    }
  }
  if (!c.gateway().mac_address().empty()) {
    ASSIGN_OR_RETURN(s.gateway_mac,
                     unicastMac(c.gateway().mac_address(), "subnet", s.id, "gateway mac"));
  }
  s.dhcp_enabled = c.dhcp_enable();
  for (const auto& dns : c.dns_entry_list()) {
    ASSIGN_OR_RETURN(Ipv4Address a, address(dns.entry(), "subnet", s.id, "dns entry"));
    s.dns_servers.push_back(a);
  }
  for (const auto& opt : c.extra_dhcp_options()) {
    const std::string name = toLower(opt.name());
    if (name == "mtu" || name == "interface-mtu") {
      auto mtu = parseInt<int>(opt.value());
      if (!mtu || *mtu < 576 || *mtu > 65535) {
        return invalid("subnet", s.id, "extra DHCP option mtu \"" + opt.value() + "\" is invalid");
      }
      s.mtu = *mtu;
    } else if (name == "domain-name" || name == "domain_name") {
      s.domain_name = opt.value();
    } else if (name == "classless-static-route" || name == "host_routes") {
      // "dest1,nexthop1;dest2,nexthop2"
      for (auto entry : splitString(opt.value(), ';')) {
        auto parts = splitString(entry, ',');
        if (parts.size() != 2) {
          return invalid("subnet", s.id,
                         "host route \"" + std::string(entry) + "\" is not DEST,NEXTHOP");
        }
        auto dest = Ipv4Prefix::parse(trimSpace(parts[0]));
        auto hop = Ipv4Address::parse(trimSpace(parts[1]));
        if (!dest.ok() || !hop.ok()) {
          return invalid("subnet", s.id, "host route \"" + std::string(entry) + "\" is invalid");
        }
        s.host_routes.push_back({Ipv4Prefix(dest->network(), dest->length()), *hop});
      }
    }
    // Other options are Alcor/Neutron extras the agent does not serve; ignored.
  }
  return s;
}

StatusOr<Port> toPort(const schema::PortConfiguration& c) {
  Port p;
  p.id = c.id();
  if (p.id.empty()) return invalid("port", "", "id is empty");
  p.vpc_id = c.vpc_id();
  p.name = c.name();
  p.device_id = c.device_id();
  p.device_owner = c.device_owner();
  ASSIGN_OR_RETURN(p.mac, unicastMac(c.mac_address(), "port", p.id, "mac_address"));
  if (c.fixed_ips().empty()) return invalid("port", p.id, "has no fixed_ips");
  for (const auto& f : c.fixed_ips()) {
    if (f.subnet_id().empty()) return invalid("port", p.id, "fixed ip without subnet_id");
    ASSIGN_OR_RETURN(Ipv4Address ip, address(f.ip_address(), "port", p.id, "fixed ip"));
    p.fixed_ips.push_back({f.subnet_id(), ip});
  }
  if (!c.host_info().ip_address().empty()) {
    ASSIGN_OR_RETURN(p.host_ip, address(c.host_info().ip_address(), "port", p.id, "host ip"));
  }
  for (const auto& pair : c.allow_address_pairs()) {
    auto prefix = prefixOrAddress(pair.ip_address());
    if (!prefix.ok()) {
      return invalid("port", p.id, "allowed address \"" + pair.ip_address() + "\" is invalid");
    }
    AddressPair ap{*prefix, std::nullopt};
    if (!pair.mac_address().empty()) {
      ASSIGN_OR_RETURN(MacAddress m, unicastMac(pair.mac_address(), "port", p.id, "allowed mac"));
      ap.mac = m;
    }
    p.allowed_address_pairs.push_back(ap);
  }
  for (const auto& sg : c.security_group_ids()) p.security_group_ids.push_back(sg.id());
  p.port_security_enabled = !c.has_port_security_enabled() || c.port_security_enabled();
  p.admin_state_up = c.admin_state_up();
  return p;
}

StatusOr<Neighbor> toNeighbor(const schema::NeighborConfiguration& c, const std::string& key) {
  Neighbor n;
  n.id = c.id();
  if (n.id.empty()) return invalid("neighbor", key, "id is empty");
  n.vpc_id = c.vpc_id();
  n.name = c.name();
  ASSIGN_OR_RETURN(n.mac, unicastMac(c.mac_address(), "neighbor", n.id, "mac_address"));
  ASSIGN_OR_RETURN(n.host_ip, address(c.host_ip_address(), "neighbor", n.id, "host_ip_address"));
  if (!c.host_mac_address().empty()) {
    auto hm = MacAddress::parse(c.host_mac_address());
    if (!hm.ok()) return invalid("neighbor", n.id, "host_mac_address is not a MAC address");
    n.host_mac = *hm;
  }
  if (c.fixed_ips().empty()) return invalid("neighbor", n.id, "has no fixed_ips");
  for (const auto& f : c.fixed_ips()) {
    if (f.subnet_id().empty()) return invalid("neighbor", n.id, "fixed ip without subnet_id");
    ASSIGN_OR_RETURN(Ipv4Address ip, address(f.ip_address(), "neighbor", n.id, "fixed ip"));
    n.ips.push_back({f.neighbor_type() == schema::L3 ? NeighborKind::kL3 : NeighborKind::kL2,
                     f.subnet_id(), ip});
  }
  n.key = !key.empty() ? key : (n.ips[0].kind == NeighborKind::kL3 ? "L3/" : "L2/") + n.id;
  return n;
}

StatusOr<DhcpEntry> toDhcp(const schema::DHCPConfiguration& c) {
  DhcpEntry d;
  d.id = c.id().empty() ? c.mac_address() : c.id();
  if (d.id.empty()) return invalid("dhcp", "", "id and mac_address are empty");
  d.subnet_id = c.subnet_id();
  if (d.subnet_id.empty()) return invalid("dhcp", d.id, "subnet_id is empty");
  ASSIGN_OR_RETURN(d.mac, unicastMac(c.mac_address(), "dhcp", d.id, "mac_address"));
  ASSIGN_OR_RETURN(d.ip, address(c.ipv4_address(), "dhcp", d.id, "ipv4_address"));
  d.hostname = c.port_host_name();
  return d;
}

StatusOr<Router> toRouter(const schema::RouterConfiguration& c) {
  Router r;
  r.id = c.id();
  if (r.id.empty()) return invalid("router", "", "id is empty");
  if (!c.host_dvr_mac_address().empty()) {
    ASSIGN_OR_RETURN(r.host_dvr_mac,
                     unicastMac(c.host_dvr_mac_address(), "router", r.id, "host_dvr_mac_address"));
  }
  for (const auto& table : c.subnet_routing_tables()) {
    if (table.subnet_id().empty())
      return invalid("router", r.id, "routing table without subnet_id");
    RouterSubnet rs{table.subnet_id(), {}};
    for (const auto& rule : table.routing_rules()) {
      RoutingRule rr;
      rr.id = rule.id();
      auto dest = Ipv4Prefix::parse(rule.destination());
      if (!dest.ok()) {
        return invalid("router", r.id,
                       "routing rule destination \"" + rule.destination() + "\" is not a CIDR");
      }
      rr.destination = Ipv4Prefix(dest->network(), dest->length());
      if (!rule.next_hop_ip().empty()) {
        ASSIGN_OR_RETURN(rr.next_hop, address(rule.next_hop_ip(), "router", r.id, "next_hop_ip"));
      }
      rr.priority = rule.priority();
      rs.rules.push_back(rr);
    }
    r.subnets.push_back(std::move(rs));
  }
  return r;
}

StatusOr<Gateway> toGateway(const schema::GatewayConfiguration& c) {
  Gateway g;
  g.id = c.id();
  if (g.id.empty()) return invalid("gateway", "", "id is empty");
  switch (c.gateway_type()) {
    case schema::DEFAULT:
      g.type = GatewayType::kDefault;
      break;
    case schema::ZETA:
      g.type = GatewayType::kZeta;
      break;
    default:
      g.type = GatewayType::kOther;
      break;
  }
  for (const auto& d : c.destinations()) {
    ASSIGN_OR_RETURN(Ipv4Address ip, address(d.ip_address(), "gateway", g.id, "destination ip"));
    ASSIGN_OR_RETURN(MacAddress mac,
                     unicastMac(d.mac_address(), "gateway", g.id, "destination mac"));
    g.destinations.push_back({ip, mac});
  }
  if (g.type == GatewayType::kZeta) {
    uint32_t port = c.zeta_info().port_inband_operation();
    if (port == 0 || port > 65535) {
      return invalid("gateway", g.id,
                     "zeta port_inband_operation " + std::to_string(port) + " is not a UDP port");
    }
    g.oam_port = static_cast<uint16_t>(port);
  }
  return g;
}

StatusOr<SecurityGroup> toSecurityGroup(const schema::SecurityGroupConfiguration& c) {
  SecurityGroup sg;
  sg.id = c.id();
  if (sg.id.empty()) return invalid("security group", "", "id is empty");
  sg.vpc_id = c.vpc_id();
  sg.name = c.name();
  for (const auto& r : c.security_group_rules()) {
    SecurityGroupRule rule;
    rule.id = r.id();
    rule.direction = r.direction() == schema::SecurityGroupConfiguration::INGRESS
                         ? Direction::kIngress
                         : Direction::kEgress;
    rule.ipv6 = r.ethertype() == schema::IPV6;
    switch (r.protocol()) {
      case schema::TCP:
        rule.protocol = IpProtocol::kTcp;
        break;
      case schema::UDP:
        rule.protocol = IpProtocol::kUdp;
        break;
      case schema::ICMP:
        rule.protocol = IpProtocol::kIcmp;
        break;
      default:
        rule.protocol = IpProtocol::kAny;
        break;
    }
    if (r.port_range_min() > 65535 || r.port_range_max() > 65535 ||
        r.port_range_min() > r.port_range_max()) {
      return invalid("security group", sg.id,
                     "rule " + r.id() + " has port range " + std::to_string(r.port_range_min()) +
                         "-" + std::to_string(r.port_range_max()));
    }
    rule.port_min = static_cast<uint16_t>(r.port_range_min());
    rule.port_max = static_cast<uint16_t>(r.port_range_max());
    if (!r.remote_ip_prefix().empty()) {
      if (rule.ipv6) {
        std::string addr = r.remote_ip_prefix().substr(0, r.remote_ip_prefix().find('/'));
        if (!isValidIpv6(addr)) {
          return invalid("security group", sg.id,
                         "rule " + r.id() + " remote_ip_prefix is not IPv6");
        }
      } else {
        auto p = prefixOrAddress(r.remote_ip_prefix());
        if (!p.ok()) {
          return invalid(
              "security group", sg.id,
              "rule " + r.id() + " remote_ip_prefix \"" + r.remote_ip_prefix() + "\" is invalid");
        }
        rule.remote_prefix = *p;
      }
    }
    rule.remote_group_id = r.remote_group_id();
    sg.rules.push_back(rule);
  }
  for (const auto& member : c.member_ip_addresses()) {
    auto p = prefixOrAddress(member);
    // IPv6 members are accepted and ignored, as IPv6 rules are (the pipeline is IPv4 only).
    if (!p.ok() && member.find(':') != std::string::npos) continue;
    if (!p.ok()) {
      return invalid("security group", sg.id, "member address \"" + member + "\" is invalid");
    }
    sg.member_ips.push_back(*p);
  }
  return sg;
}

}  // namespace alcor::agent
