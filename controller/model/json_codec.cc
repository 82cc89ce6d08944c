#include "controller/model/json_codec.h"

namespace alcor::controller {
namespace {

// Field checks (reading only): an error detail, or "" when the value is acceptable.
std::string unicast(const std::optional<MacAddress>& m) {
  return m && (m->isMulticast() || m->isZero())
             ? "\"" + m->toString() + "\" is not a unicast MAC address"
             : "";
}
std::string unicastMac(const MacAddress& m) { return unicast(m); }
auto inRange(int64_t min, int64_t max) {
  return [min, max](const auto& v) -> std::string {
    if constexpr (requires { v.has_value(); }) {
      return !v || (*v >= min && *v <= max) ? "" : "is out of range";
    } else {
      return v >= min && v <= max ? "" : "is out of range";
    }
  };
}

// Neutron sends tenant_id, Alcor project_id: either fills project_id, both are written.
template <typename V>
void project(V& v, std::string& project_id) {
  v.aliases({"tenant_id", "project_id"}, project_id);
}

template <typename T, typename V>
StatusOr<T> parseWith(const json& j, const char* what) {
  T value{};
  JsonReader r(j, what);
  if (r.ok()) describe(r, value);
  if (!r.ok()) return r.status();
  return value;
}

template <typename T>
json writeWith(const T& value) {
  JsonWriter w;
  describe(w, const_cast<T&>(value));  // the writer only reads
  return w.take();
}

}  // namespace

// ---- Nested values ----

template <typename V>
void describe(V& v, HostRoute& h) {
  v.required("destination", h.destination);
  v.required("nexthop", h.nexthop);
}

template <typename V>
void describe(V& v, FixedIp& f) {
  v.field("subnet_id", f.subnet_id);
  v.field("ip_address", f.ip_address);
  if constexpr (V::kReading) {
    v.check(!f.subnet_id.empty() || f.ip_address.has_value(), "",
            "needs a subnet_id or an ip_address");
  }
}

template <typename V>
void describe(V& v, AddressPair& a) {
  v.required("ip_address", a.ip_address);
  v.field("mac_address", a.mac_address, unicast);
}

template <typename V>
void describe(V& v, RouterInterface& i) {
  v.field("subnet_id", i.subnet_id);
  v.field("port_id", i.port_id);
}

template <typename V>
void describe(V& v, Gateway::Destination& d) {
  v.required("ip_address", d.ip_address);
  v.required("mac_address", d.mac_address, unicastMac);
}

// ---- Resources ----

template <typename V>
void describe(V& v, Node& n) {
  v.field("node_id", n.id);
  v.required("node_name", n.name);
  v.required("local_ip", n.local_ip);
  v.field("mac_address", n.mac_address);
  v.field("server_port", n.server_port, inRange(0, 65535));
  v.field("host_dvr_mac", n.host_dvr_mac, unicast);
  v.field("veth", n.veth);
  v.field("ncm_id", n.ncm_id);
}

template <typename V>
void describe(V& v, Vpc& x) {
  v.field("id", x.id);
  project(v, x.project_id);
  v.field("name", x.name);
  v.field("description", x.description);
  v.field("cidr", x.cidr);
  v.aliases({"segmentation_id", "tunnel_id"}, x.tunnel_id);
  v.field("admin_state_up", x.admin_state_up);
  v.field("gateway_ids", x.gateway_ids);
  v.constant("network_type", "vxlan");
  v.constant("status", "ACTIVE");
  if constexpr (V::kReading) {
    v.check(x.tunnel_id < (1u << 24), "tunnel_id", "is out of range");
  }
}

template <typename V>
void describe(V& v, Subnet& s) {
  v.field("id", s.id);
  project(v, s.project_id);
  v.field("name", s.name);
  v.field("description", s.description);
  v.required("network_id", s.network_id);
  v.required("cidr", s.cidr);
  v.field("gateway_ip", s.gateway_ip);
  v.object("gateway_port_detail",
           [&](auto& d) { d.field("gateway_macAddress", s.gateway_mac, unicast); });
  v.field("ip_version", s.ip_version, inRange(4, 6));
  v.field("enable_dhcp", s.enable_dhcp);
  v.field("dns_nameservers", s.dns_nameservers);
  v.field("host_routes", s.host_routes);
  v.field("mtu", s.mtu, inRange(0, 65535));
  v.field("availability_zone", s.availability_zone);
  if constexpr (V::kReading) {
    if (!v.ok()) return;
    v.check(s.ip_version == 4, "ip_version", "must be 4 (IPv6 subnets are not supported)");
    v.check(s.mtu == 0 || s.mtu >= 576, "mtu", "must be at least 576");
    v.check(s.cidr.length() <= 30, "cidr", s.cidr.toString() + " is too small (at most /30)");
    if (s.gateway_ip) {
      Ipv4Address gw = *s.gateway_ip;
      v.check(s.cidr.contains(gw) && gw != s.cidr.network() && gw != s.cidr.broadcast(),
              "gateway_ip", gw.toString() + " is not a host address of " + s.cidr.toString());
    }
  }
}

template <typename V>
void describe(V& v, Port& p) {
  v.field("id", p.id);
  project(v, p.project_id);
  v.field("name", p.name);
  v.field("description", p.description);
  v.required("network_id", p.network_id);
  v.field("admin_state_up", p.admin_state_up);
  v.field("mac_address", p.mac_address, unicast);
  v.field("fixed_ips", p.fixed_ips);
  v.field("device_id", p.device_id);
  v.field("device_owner", p.device_owner);
  v.field("binding:host_id", p.host_id);
  v.constant("binding:vif_type", "ovs");
  v.constant("binding:vnic_type", "normal");
  v.field("security_groups", p.security_groups);
  v.field("allowed_address_pairs", p.allowed_address_pairs);
  v.field("status", p.status);
  // Output (and the store); PortService ignores them in REST requests.
  v.field("policy_security_groups", p.policy_security_groups);
  v.field("policy_address_groups", p.policy_address_groups);
}

template <typename V>
void describe(V& v, SecurityGroupRule& r) {
  v.field("id", r.id);
  project(v, r.project_id);
  v.field("security_group_id", r.security_group_id);
  v.field("direction", r.direction);
  v.field("ethertype", r.ethertype);
  v.nullable("protocol", r.protocol);
  v.field("port_range_min", r.port_range_min, inRange(0, 65535));
  v.field("port_range_max", r.port_range_max, inRange(0, 65535));
  v.nullable("remote_ip_prefix", r.remote_ip_prefix);
  v.nullable("remote_group_id", r.remote_group_id);
  v.field("description", r.description);
  if constexpr (V::kReading) {
    if (!v.ok()) return;
    if (r.port_range_min && r.port_range_max) {
      v.check(*r.port_range_min <= *r.port_range_max, "port_range_min",
              "is greater than port_range_max");
    }
    if (r.ethertype == EtherType::kIpv4 && !r.remote_ip_prefix.empty()) {
      v.check(AddressOrPrefix::parse(r.remote_ip_prefix).ok(), "remote_ip_prefix",
              "\"" + r.remote_ip_prefix + "\" is not an IPv4 address or CIDR");
    }
    v.check(r.remote_ip_prefix.empty() || r.remote_group_id.empty(), "remote_group_id",
            "cannot be combined with remote_ip_prefix");
  }
}

template <typename V>
void describe(V& v, SecurityGroup& g) {
  v.field("id", g.id);
  project(v, g.project_id);
  v.field("name", g.name);
  v.field("description", g.description);
  v.field("security_group_rules", g.rules);
}

template <typename V>
void describe(V& v, Router& r) {
  v.field("id", r.id);
  project(v, r.project_id);
  v.field("name", r.name);
  v.field("description", r.description);
  v.field("admin_state_up", r.admin_state_up);
  v.field("routes", r.routes);
  v.field("interfaces", r.interfaces);
  v.constant("status", "ACTIVE");
}

template <typename V>
void describe(V& v, Gateway& g) {
  v.field("id", g.id);
  project(v, g.project_id);
  v.field("name", g.name);
  v.field("gateway_type", g.gateway_type);
  v.field("destinations", g.destinations);
  v.object("zeta_info", [&](auto& z) {
    z.field("port_inband_operation", g.port_inband_operation, inRange(0, 65535));
  });
  if constexpr (V::kReading) {
    // Also accepted at the top level (written under zeta_info only).
    v.field("port_inband_operation", g.port_inband_operation, inRange(0, 65535));
    if (g.gateway_type == GatewayType::kZeta) {
      v.check(g.port_inband_operation > 0, "zeta_info.port_inband_operation",
              "is required for ZETA gateways");
    }
  }
}

// ---- Entry points ----

StatusOr<Node> nodeFromJson(const json& j) { return parseWith<Node, JsonReader>(j, "host_info"); }
StatusOr<Vpc> vpcFromJson(const json& j) { return parseWith<Vpc, JsonReader>(j, "network"); }
StatusOr<Subnet> subnetFromJson(const json& j) {
  return parseWith<Subnet, JsonReader>(j, "subnet");
}
StatusOr<Port> portFromJson(const json& j) { return parseWith<Port, JsonReader>(j, "port"); }
StatusOr<SecurityGroupRule> ruleFromJson(const json& j) {
  return parseWith<SecurityGroupRule, JsonReader>(j, "security_group_rule");
}
StatusOr<SecurityGroup> securityGroupFromJson(const json& j) {
  return parseWith<SecurityGroup, JsonReader>(j, "security_group");
}
StatusOr<Router> routerFromJson(const json& j) {
  return parseWith<Router, JsonReader>(j, "router");
}
StatusOr<Gateway> gatewayFromJson(const json& j) {
  return parseWith<Gateway, JsonReader>(j, "gateway");
}

json toJson(const Node& n) { return writeWith(n); }
json toJson(const Vpc& v) { return writeWith(v); }
json toJson(const Subnet& s) { return writeWith(s); }
json toJson(const Port& p) { return writeWith(p); }
json toJson(const SecurityGroupRule& r) { return writeWith(r); }
json toJson(const SecurityGroup& g) { return writeWith(g); }
json toJson(const Router& r) { return writeWith(r); }
json toJson(const Gateway& g) { return writeWith(g); }

}  // namespace alcor::controller
