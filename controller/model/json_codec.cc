#include "controller/model/json_codec.h"

#include "lib/base/net_types.h"

namespace alcor::controller {
namespace {

// Reads typed fields from one JSON object and keeps the first error, so parsers read linearly.
class Reader {
 public:
  Reader(const json& j, std::string what) : j_(j), what_(std::move(what)) {
    if (!j_.is_object()) fail("", "must be a JSON object");
  }

  void str(const char* key, std::string* out) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_string()) return fail(key, "must be a string");
    *out = v->get<std::string>();
  }
  void boolean(const char* key, bool* out) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_boolean()) return fail(key, "must be a boolean");
    *out = v->get<bool>();
  }
  void integer(const char* key, int* out, int64_t min, int64_t max) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_number_integer()) return fail(key, "must be an integer");
    int64_t x = v->get<int64_t>();
    if (x < min || x > max) return fail(key, "is out of range");
    *out = static_cast<int>(x);
  }
  void optInteger(const char* key, std::optional<int>* out, int64_t min, int64_t max) {
    const json* v = find(key);
    if (!v) return;
    int x = 0;
    integer(key, &x, min, max);
    if (ok()) *out = x;
  }
  void strings(const char* key, std::vector<std::string>* out) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_array()) return fail(key, "must be an array of strings");
    out->clear();
    for (const auto& e : *v) {
      if (!e.is_string()) return fail(key, "must be an array of strings");
      out->push_back(e.get<std::string>());
    }
  }
  // Array of objects, each parsed by `each(Reader&)`.
  template <typename Each>
  void objects(const char* key, Each each) {
    const json* v = find(key);
    if (!v) return;
    if (!v->is_array()) return fail(key, "must be an array of objects");
    for (const auto& e : *v) {
      if (!e.is_object()) return fail(key, "must be an array of objects");
      Reader sub(e, what_ + "." + key);
      each(sub);
      if (!sub.ok()) {
        status_ = sub.status_;
        return;
      }
    }
  }
  const json* find(const char* key) const {
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  void fail(const std::string& key, const std::string& detail) {
    if (!status_.ok()) return;
    status_ = invalidArgumentError(what_ + (key.empty() ? "" : "." + key) + " " + detail);
  }
  void check(bool cond, const std::string& key, const std::string& detail) {
    if (!cond) fail(key, detail);
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  // Value checks; empty strings pass (callers decide what is required).
  void ipv4(const char* key, const std::string& v) {
    if (!v.empty() && !Ipv4Address::parse(v).ok())
      fail(key, "\"" + v + "\" is not an IPv4 address");
  }
  void cidr(const char* key, const std::string& v) {
    if (!v.empty() && !Ipv4Prefix::parse(v, /*strict=*/true).ok())
      fail(key, "\"" + v + "\" is not an IPv4 CIDR with zero host bits");
  }
  void addressOrCidr(const char* key, const std::string& v) {
    if (v.empty()) return fail(key, "is required");
    bool good =
        v.find('/') == std::string::npos ? Ipv4Address::parse(v).ok() : Ipv4Prefix::parse(v).ok();
    if (!good) fail(key, "\"" + v + "\" is not an IPv4 address or CIDR");
  }
  void unicastMac(const char* key, const std::string& v) {
    if (v.empty()) return;
    auto m = MacAddress::parse(v);
    if (!m.ok() || m->isMulticast() || m->isZero())
      fail(key, "\"" + v + "\" is not a unicast MAC address");
  }
  void id(const char* key, const std::string& v) {
    if (v.empty()) return;
    bool good = v.size() <= 64;
    for (char c : v) {
      good = good && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                      c == '.' || c == ':');
    }
    if (!good) fail(key, "\"" + v + "\" is not a valid id (1-64 of [A-Za-z0-9._:-])");
  }

 private:
  const json& j_;
  std::string what_;
  Status status_;
};

template <typename T>
StatusOr<T> finish(const Reader& r, T value) {
  if (!r.ok()) return r.status();
  return value;
}

std::string canonicalMac(const std::string& v) {
  auto m = MacAddress::parse(v);
  return m.ok() ? m->toString() : v;
}

void readRoutes(Reader& r, const char* key, std::vector<HostRoute>* out) {
  out->clear();
  r.objects(key, [&](Reader& e) {
    HostRoute h;
    e.str("destination", &h.destination);
    e.str("nexthop", &h.nexthop);
    e.check(!h.destination.empty(), "destination", "is required");
    e.cidr("destination", h.destination);
    e.check(!h.nexthop.empty(), "nexthop", "is required");
    e.ipv4("nexthop", h.nexthop);
    out->push_back(h);
  });
}

json routesJson(const std::vector<HostRoute>& routes) {
  json a = json::array();
  for (const auto& h : routes)
    a.push_back({{"destination", h.destination}, {"nexthop", h.nexthop}});
  return a;
}

// Neutron sends tenant_id; Alcor project_id. Either fills project_id.
void readProject(Reader& r, std::string* project) {
  r.str("tenant_id", project);
  r.str("project_id", project);
}

}  // namespace

StatusOr<Node> nodeFromJson(const json& j) {
  Reader r(j, "host_info");
  Node n;
  r.str("node_id", &n.id);
  r.str("node_name", &n.name);
  r.str("local_ip", &n.local_ip);
  r.str("mac_address", &n.mac_address);
  r.integer("server_port", &n.server_port, 0, 65535);
  r.str("host_dvr_mac", &n.host_dvr_mac);
  r.str("veth", &n.veth);
  r.str("ncm_id", &n.ncm_id);
  r.id("node_id", n.id);
  r.check(!n.name.empty(), "node_name", "is required");
  r.check(!n.local_ip.empty(), "local_ip", "is required");
  r.ipv4("local_ip", n.local_ip);
  if (!n.mac_address.empty()) {
    auto m = MacAddress::parse(n.mac_address);
    r.check(m.ok(), "mac_address", "\"" + n.mac_address + "\" is not a MAC address");
    n.mac_address = canonicalMac(n.mac_address);
  }
  r.unicastMac("host_dvr_mac", n.host_dvr_mac);
  n.host_dvr_mac = canonicalMac(n.host_dvr_mac);
  return finish(r, n);
}

json toJson(const Node& n) {
  return {{"node_id", n.id},
          {"node_name", n.name},
          {"local_ip", n.local_ip},
          {"mac_address", n.mac_address},
          {"server_port", n.server_port},
          {"host_dvr_mac", n.host_dvr_mac},
          {"veth", n.veth},
          {"ncm_id", n.ncm_id}};
}

StatusOr<Vpc> vpcFromJson(const json& j) {
  Reader r(j, "network");
  Vpc v;
  r.str("id", &v.id);
  readProject(r, &v.project_id);
  r.str("name", &v.name);
  r.str("description", &v.description);
  r.str("cidr", &v.cidr);
  int vni = 0;
  r.integer("segmentation_id", &vni, 0, (1 << 24) - 1);
  r.integer("tunnel_id", &vni, 0, (1 << 24) - 1);
  v.tunnel_id = static_cast<uint32_t>(vni);
  r.boolean("admin_state_up", &v.admin_state_up);
  r.strings("gateway_ids", &v.gateway_ids);
  r.id("id", v.id);
  r.cidr("cidr", v.cidr);
  return finish(r, v);
}

json toJson(const Vpc& v) {
  return {{"id", v.id},
          {"project_id", v.project_id},
          {"tenant_id", v.project_id},
          {"name", v.name},
          {"description", v.description},
          {"cidr", v.cidr},
          {"segmentation_id", v.tunnel_id},
          {"tunnel_id", v.tunnel_id},
          {"network_type", "vxlan"},
          {"admin_state_up", v.admin_state_up},
          {"gateway_ids", v.gateway_ids},
          {"status", "ACTIVE"}};
}

StatusOr<Subnet> subnetFromJson(const json& j) {
  Reader r(j, "subnet");
  Subnet s;
  r.str("id", &s.id);
  readProject(r, &s.project_id);
  r.str("name", &s.name);
  r.str("description", &s.description);
  r.str("network_id", &s.network_id);
  r.str("cidr", &s.cidr);
  r.str("gateway_ip", &s.gateway_ip);
  if (const json* d = r.find("gateway_port_detail"); d && d->is_object()) {
    Reader g(*d, "subnet.gateway_port_detail");
    g.str("gateway_macAddress", &s.gateway_mac);
    g.unicastMac("gateway_macAddress", s.gateway_mac);
    if (!g.ok()) return g.status();
  }
  r.integer("ip_version", &s.ip_version, 4, 6);
  r.boolean("enable_dhcp", &s.enable_dhcp);
  r.strings("dns_nameservers", &s.dns_nameservers);
  readRoutes(r, "host_routes", &s.host_routes);
  r.integer("mtu", &s.mtu, 0, 65535);
  r.str("availability_zone", &s.availability_zone);
  r.id("id", s.id);
  r.check(!s.network_id.empty(), "network_id", "is required");
  r.check(s.ip_version == 4, "ip_version", "must be 4 (IPv6 subnets are not supported)");
  r.check(!s.cidr.empty(), "cidr", "is required");
  r.cidr("cidr", s.cidr);
  r.ipv4("gateway_ip", s.gateway_ip);
  for (const auto& dns : s.dns_nameservers) r.ipv4("dns_nameservers", dns);
  r.check(s.mtu == 0 || s.mtu >= 576, "mtu", "must be at least 576");
  if (r.ok()) {
    auto prefix = *Ipv4Prefix::parse(s.cidr, true);
    r.check(prefix.length() <= 30, "cidr", s.cidr + " is too small (at most /30)");
    if (!s.gateway_ip.empty()) {
      auto gw = *Ipv4Address::parse(s.gateway_ip);
      r.check(prefix.contains(gw) && gw != prefix.network() && gw != prefix.broadcast(),
              "gateway_ip", s.gateway_ip + " is not a host address of " + s.cidr);
    }
  }
  s.gateway_mac = canonicalMac(s.gateway_mac);
  return finish(r, s);
}

json toJson(const Subnet& s) {
  return {{"id", s.id},
          {"project_id", s.project_id},
          {"tenant_id", s.project_id},
          {"name", s.name},
          {"description", s.description},
          {"network_id", s.network_id},
          {"cidr", s.cidr},
          {"gateway_ip", s.gateway_ip},
          {"gateway_port_detail", {{"gateway_macAddress", s.gateway_mac}}},
          {"ip_version", s.ip_version},
          {"enable_dhcp", s.enable_dhcp},
          {"dns_nameservers", s.dns_nameservers},
          {"host_routes", routesJson(s.host_routes)},
          {"mtu", s.mtu},
          {"availability_zone", s.availability_zone}};
}

StatusOr<Port> portFromJson(const json& j) {
  Reader r(j, "port");
  Port p;
  r.str("id", &p.id);
  readProject(r, &p.project_id);
  r.str("name", &p.name);
  r.str("description", &p.description);
  r.str("network_id", &p.network_id);
  r.boolean("admin_state_up", &p.admin_state_up);
  r.str("mac_address", &p.mac_address);
  r.objects("fixed_ips", [&](Reader& e) {
    FixedIp f;
    e.str("subnet_id", &f.subnet_id);
    e.str("ip_address", &f.ip_address);
    e.ipv4("ip_address", f.ip_address);
    e.check(!f.subnet_id.empty() || !f.ip_address.empty(), "",
            "needs a subnet_id or an ip_address");
    p.fixed_ips.push_back(f);
  });
  r.str("device_id", &p.device_id);
  r.str("device_owner", &p.device_owner);
  r.str("binding:host_id", &p.host_id);
  r.strings("security_groups", &p.security_groups);
  r.objects("allowed_address_pairs", [&](Reader& e) {
    AddressPair a;
    e.str("ip_address", &a.ip_address);
    e.str("mac_address", &a.mac_address);
    e.addressOrCidr("ip_address", a.ip_address);
    e.unicastMac("mac_address", a.mac_address);
    a.mac_address = canonicalMac(a.mac_address);
    p.allowed_address_pairs.push_back(a);
  });
  r.str("status", &p.status);
  r.strings("policy_security_groups", &p.policy_security_groups);
  r.strings("policy_address_groups", &p.policy_address_groups);
  r.id("id", p.id);
  r.check(!p.network_id.empty(), "network_id", "is required");
  r.unicastMac("mac_address", p.mac_address);
  p.mac_address = canonicalMac(p.mac_address);
  if (p.status != kPortActive) p.status = kPortDown;
  return finish(r, p);
}

json toJson(const Port& p) {
  json fixed = json::array();
  for (const auto& f : p.fixed_ips)
    fixed.push_back({{"subnet_id", f.subnet_id}, {"ip_address", f.ip_address}});
  json pairs = json::array();
  for (const auto& a : p.allowed_address_pairs)
    pairs.push_back({{"ip_address", a.ip_address}, {"mac_address", a.mac_address}});
  return {{"id", p.id},
          {"project_id", p.project_id},
          {"tenant_id", p.project_id},
          {"name", p.name},
          {"description", p.description},
          {"network_id", p.network_id},
          {"admin_state_up", p.admin_state_up},
          {"mac_address", p.mac_address},
          {"fixed_ips", fixed},
          {"device_id", p.device_id},
          {"device_owner", p.device_owner},
          {"binding:host_id", p.host_id},
          {"binding:vif_type", "ovs"},
          {"binding:vnic_type", "normal"},
          {"security_groups", p.security_groups},
          {"allowed_address_pairs", pairs},
          {"status", p.status},
          {"policy_security_groups", p.policy_security_groups},
          {"policy_address_groups", p.policy_address_groups}};
}

StatusOr<SecurityGroupRule> ruleFromJson(const json& j) {
  Reader r(j, "security_group_rule");
  SecurityGroupRule x;
  r.str("id", &x.id);
  readProject(r, &x.project_id);
  r.str("security_group_id", &x.security_group_id);
  r.str("direction", &x.direction);
  r.str("ethertype", &x.ethertype);
  r.str("protocol", &x.protocol);
  r.optInteger("port_range_min", &x.port_range_min, 0, 65535);
  r.optInteger("port_range_max", &x.port_range_max, 0, 65535);
  r.str("remote_ip_prefix", &x.remote_ip_prefix);
  r.str("remote_group_id", &x.remote_group_id);
  r.str("description", &x.description);
  r.id("id", x.id);
  r.check(x.direction == "ingress" || x.direction == "egress", "direction",
          "must be \"ingress\" or \"egress\"");
  r.check(x.ethertype == "IPv4" || x.ethertype == "IPv6", "ethertype",
          "must be \"IPv4\" or \"IPv6\"");
  r.check(x.protocol.empty() || x.protocol == "tcp" || x.protocol == "udp" || x.protocol == "icmp",
          "protocol", "must be tcp, udp, icmp or empty");
  if (x.port_range_min && x.port_range_max)
    r.check(*x.port_range_min <= *x.port_range_max, "port_range_min",
            "is greater than port_range_max");
  if (x.ethertype == "IPv4" && !x.remote_ip_prefix.empty())
    r.addressOrCidr("remote_ip_prefix", x.remote_ip_prefix);
  r.check(x.remote_ip_prefix.empty() || x.remote_group_id.empty(), "remote_group_id",
          "cannot be combined with remote_ip_prefix");
  return finish(r, x);
}

json toJson(const SecurityGroupRule& x) {
  json j = {
      {"id", x.id},
      {"project_id", x.project_id},
      {"tenant_id", x.project_id},
      {"security_group_id", x.security_group_id},
      {"direction", x.direction},
      {"ethertype", x.ethertype},
      {"protocol", x.protocol.empty() ? json(nullptr) : json(x.protocol)},
      {"port_range_min", x.port_range_min ? json(*x.port_range_min) : json(nullptr)},
      {"port_range_max", x.port_range_max ? json(*x.port_range_max) : json(nullptr)},
      {"remote_ip_prefix", x.remote_ip_prefix.empty() ? json(nullptr) : json(x.remote_ip_prefix)},
      {"remote_group_id", x.remote_group_id.empty() ? json(nullptr) : json(x.remote_group_id)},
      {"description", x.description}};
  return j;
}

StatusOr<SecurityGroup> securityGroupFromJson(const json& j) {
  Reader r(j, "security_group");
  SecurityGroup g;
  r.str("id", &g.id);
  readProject(r, &g.project_id);
  r.str("name", &g.name);
  r.str("description", &g.description);
  r.id("id", g.id);
  if (const json* rules = r.find("security_group_rules")) {
    if (!rules->is_array()) r.fail("security_group_rules", "must be an array");
    for (const auto& e : rules->is_array() ? *rules : json::array()) {
      auto rule = ruleFromJson(e);
      if (!rule.ok()) return rule.status();
      g.rules.push_back(*rule);
    }
  }
  return finish(r, g);
}

json toJson(const SecurityGroup& g) {
  json rules = json::array();
  for (const auto& x : g.rules) rules.push_back(toJson(x));
  return {{"id", g.id},     {"project_id", g.project_id},   {"tenant_id", g.project_id},
          {"name", g.name}, {"description", g.description}, {"security_group_rules", rules}};
}

StatusOr<Router> routerFromJson(const json& j) {
  Reader r(j, "router");
  Router x;
  r.str("id", &x.id);
  readProject(r, &x.project_id);
  r.str("name", &x.name);
  r.str("description", &x.description);
  r.boolean("admin_state_up", &x.admin_state_up);
  readRoutes(r, "routes", &x.routes);
  r.objects("interfaces", [&](Reader& e) {
    RouterInterface i;
    e.str("subnet_id", &i.subnet_id);
    e.str("port_id", &i.port_id);
    x.interfaces.push_back(i);
  });
  r.id("id", x.id);
  return finish(r, x);
}

json toJson(const Router& x) {
  json ifaces = json::array();
  for (const auto& i : x.interfaces)
    ifaces.push_back({{"subnet_id", i.subnet_id}, {"port_id", i.port_id}});
  return {{"id", x.id},
          {"project_id", x.project_id},
          {"tenant_id", x.project_id},
          {"name", x.name},
          {"description", x.description},
          {"admin_state_up", x.admin_state_up},
          {"routes", routesJson(x.routes)},
          {"interfaces", ifaces},
          {"status", "ACTIVE"}};
}

StatusOr<Gateway> gatewayFromJson(const json& j) {
  Reader r(j, "gateway");
  Gateway g;
  r.str("id", &g.id);
  readProject(r, &g.project_id);
  r.str("name", &g.name);
  r.str("gateway_type", &g.gateway_type);
  r.objects("destinations", [&](Reader& e) {
    Gateway::Destination d;
    e.str("ip_address", &d.ip_address);
    e.str("mac_address", &d.mac_address);
    e.check(!d.ip_address.empty(), "ip_address", "is required");
    e.ipv4("ip_address", d.ip_address);
    e.check(!d.mac_address.empty(), "mac_address", "is required");
    e.unicastMac("mac_address", d.mac_address);
    d.mac_address = canonicalMac(d.mac_address);
    g.destinations.push_back(d);
  });
  if (const json* z = r.find("zeta_info")) {
    Reader zr(*z, "gateway.zeta_info");
    zr.integer("port_inband_operation", &g.port_inband_operation, 0, 65535);
    if (!zr.ok()) return zr.status();
  }
  r.integer("port_inband_operation", &g.port_inband_operation, 0, 65535);
  r.id("id", g.id);
  static const char* kTypes[] = {"DEFAULT", "ZETA", "TGW", "IGW", "NGW", "ARION"};
  bool known = false;
  for (const char* t : kTypes) known = known || g.gateway_type == t;
  r.check(known, "gateway_type", "must be one of DEFAULT ZETA TGW IGW NGW ARION");
  if (g.gateway_type == "ZETA")
    r.check(g.port_inband_operation > 0, "zeta_info.port_inband_operation",
            "is required for ZETA gateways");
  return finish(r, g);
}

json toJson(const Gateway& g) {
  json dests = json::array();
  for (const auto& d : g.destinations)
    dests.push_back({{"ip_address", d.ip_address}, {"mac_address", d.mac_address}});
  return {{"id", g.id},
          {"project_id", g.project_id},
          {"name", g.name},
          {"gateway_type", g.gateway_type},
          {"destinations", dests},
          {"zeta_info", {{"port_inband_operation", g.port_inband_operation}}}};
}

}  // namespace alcor::controller
