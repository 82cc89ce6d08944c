#include "controller/service/resource_store.h"

#include "controller/model/json_codec.h"
#include "lib/base/json_util.h"
#include "lib/base/logging.h"

namespace alcor::controller {

namespace {

template <typename T>
constexpr Kind kindOf() {
  if constexpr (std::is_same_v<T, Node>) return Kind::kNode;
  if constexpr (std::is_same_v<T, Vpc>) return Kind::kVpc;
  if constexpr (std::is_same_v<T, Subnet>) return Kind::kSubnet;
  if constexpr (std::is_same_v<T, Port>) return Kind::kPort;
  if constexpr (std::is_same_v<T, SecurityGroup>) return Kind::kSecurityGroup;
  if constexpr (std::is_same_v<T, Router>) return Kind::kRouter;
  return Kind::kGateway;
}

// Every stored resource of a kind, parsed (and validated) as a REST body would be.
template <typename T>
StatusOr<std::vector<T>> loadKind(Store& store) {
  constexpr Kind kind = kindOf<T>();
  ASSIGN_OR_RETURN(auto records, store.loadAll(kind));
  std::vector<T> out;
  out.reserve(records.size());
  for (const auto& r : records) {
    auto doc = parseJson(r.body, kindName(kind));
    if (!doc.ok()) return dataLossError(std::string(kindName(kind)) + " " + r.id + ": corrupt");
    auto v = fromJson<T>(*doc);
    if (!v.ok()) {
      return dataLossError(std::string(kindName(kind)) + " " + r.id + ": " + v.status().message());
    }
    out.push_back(std::move(v).value());
  }
  return out;
}

}  // namespace

template <typename T>
Mutation ResourceStore::putMutation(const T& value) {
  return Mutation::put(kindOf<T>(), value.id.str(), toJson(value).dump());
}
template <typename T>
Mutation ResourceStore::eraseMutation(const ResourceId& id) {
  return Mutation::erase(kindOf<T>(), id.str());
}
template Mutation ResourceStore::putMutation(const Node&);
template Mutation ResourceStore::putMutation(const Vpc&);
template Mutation ResourceStore::putMutation(const Subnet&);
template Mutation ResourceStore::putMutation(const Port&);
template Mutation ResourceStore::putMutation(const SecurityGroup&);
template Mutation ResourceStore::putMutation(const Router&);
template Mutation ResourceStore::putMutation(const Gateway&);
template Mutation ResourceStore::eraseMutation<Node>(const ResourceId&);
template Mutation ResourceStore::eraseMutation<Vpc>(const ResourceId&);
template Mutation ResourceStore::eraseMutation<Subnet>(const ResourceId&);
template Mutation ResourceStore::eraseMutation<Port>(const ResourceId&);
template Mutation ResourceStore::eraseMutation<SecurityGroup>(const ResourceId&);
template Mutation ResourceStore::eraseMutation<Router>(const ResourceId&);
template Mutation ResourceStore::eraseMutation<Gateway>(const ResourceId&);

ResourceStore::ResourceStore(Store& store, int default_agent_port)
    : store_(store), default_agent_port_(default_agent_port) {}

StatusOr<std::vector<PortPlacement>> ResourceStore::load() {
  ASSIGN_OR_RETURN(auto nodes, loadKind<Node>(store_));
  ASSIGN_OR_RETURN(auto vpcs, loadKind<Vpc>(store_));
  ASSIGN_OR_RETURN(auto subnets, loadKind<Subnet>(store_));
  ASSIGN_OR_RETURN(auto ports, loadKind<Port>(store_));
  ASSIGN_OR_RETURN(auto groups, loadKind<SecurityGroup>(store_));
  ASSIGN_OR_RETURN(auto routers, loadKind<Router>(store_));
  ASSIGN_OR_RETURN(auto gateways, loadKind<Gateway>(store_));
  for (auto& n : nodes) {
    if (n.host_dvr_mac) (void)dvr_macs_.reserve(*n.host_dvr_mac);
    put(std::move(n));
  }
  for (auto& v : vpcs) {
    (void)vnis_.reserve(v.tunnel_id);
    put(std::move(v));
  }
  for (auto& s : subnets) {
    if (s.gateway_mac) (void)port_macs_.reserve(*s.gateway_mac);
    put(std::move(s));
  }
  std::vector<PortPlacement> placements;
  for (auto& p : ports) {
    for (const auto& f : p.fixed_ips) {
      SubnetIpam* pool = ipam(f.subnet_id);
      if (pool && f.ip_address) (void)pool->reserve(*f.ip_address);
    }
    if (p.mac_address) (void)port_macs_.reserve(*p.mac_address);
    if (auto pl = placementOf(p)) placements.push_back(*pl);
    put(std::move(p));
  }
  for (auto& g : groups) put(std::move(g));
  for (auto& r : routers) put(std::move(r));
  for (auto& g : gateways) put(std::move(g));
  ALOG(Info, Store) << "loaded " << nodes_.size() << " nodes, " << vpcs_.size() << " VPCs, "
                    << subnets_.size() << " subnets, " << ports_.size() << " ports, "
                    << groups_.size() << " security groups, " << routers_.size() << " routers, "
                    << gateways_.size() << " gateways";
  return placements;
}

// ---- Changes and their indexes ----

void ResourceStore::unindex(const Node& n) {
  node_by_name_.erase(n.name);
  node_by_ip_.erase(n.hostIp());
}

void ResourceStore::put(Node n) {
  if (const Node* old = nodes_.find(n.id)) unindex(*old);
  node_by_name_[n.name] = n.id;
  node_by_ip_[n.hostIp()] = n.id;
  nodes_.items_[n.id] = std::move(n);
}

void ResourceStore::put(Vpc v) {
  if (const Vpc* old = vpcs_.find(v.id)) vpc_by_vni_.erase(old->tunnel_id);
  vpc_by_vni_[v.tunnel_id] = v.id;
  vpcs_.items_[v.id] = std::move(v);
}

void ResourceStore::put(Subnet s) {
  if (!ipam_.count(s.id)) {
    ipam_[s.id] = std::make_unique<SubnetIpam>(s.cidr, s.gateway_ip.value_or(Ipv4Address()));
  }
  subnets_.items_[s.id] = std::move(s);
}

void ResourceStore::unindex(const Port& p) {
  for (const auto& f : p.fixed_ips) {
    if (!f.ip_address) continue;
    auto it = port_by_address_.find({p.network_id, *f.ip_address});
    if (it != port_by_address_.end() && it->second == p.id) port_by_address_.erase(it);
  }
  auto drop = [&](std::map<ResourceId, std::set<ResourceId>>& index, const ResourceId& g) {
    auto it = index.find(g);
    if (it == index.end()) return;
    it->second.erase(p.id);
    if (it->second.empty()) index.erase(it);
  };
  for (const auto& g : filteringGroups(p)) drop(group_ports_, g);
  for (const auto& g : p.policy_address_groups) drop(group_address_ports_, g);
}

void ResourceStore::put(Port p) {
  if (const Port* old = ports_.find(p.id)) unindex(*old);
  for (const auto& f : p.fixed_ips) {
    if (f.ip_address) port_by_address_[{p.network_id, *f.ip_address}] = p.id;
  }
  for (const auto& g : filteringGroups(p)) group_ports_[g].insert(p.id);
  for (const auto& g : p.policy_address_groups) group_address_ports_[g].insert(p.id);
  ports_.items_[p.id] = std::move(p);
}

void ResourceStore::unindex(const SecurityGroup& g) {
  for (const auto& r : g.rules) {
    rule_group_.erase(r.id);
    if (r.remote_group_id.empty()) continue;
    auto it = groups_naming_.find(r.remote_group_id);
    if (it == groups_naming_.end()) continue;
    it->second.erase(g.id);
    if (it->second.empty()) groups_naming_.erase(it);
  }
}

void ResourceStore::put(SecurityGroup g) {
  if (const SecurityGroup* old = groups_.find(g.id)) unindex(*old);
  for (const auto& r : g.rules) {
    rule_group_[r.id] = g.id;
    if (!r.remote_group_id.empty()) groups_naming_[r.remote_group_id].insert(g.id);
  }
  groups_.items_[g.id] = std::move(g);
}

void ResourceStore::unindex(const Router& r) {
  for (const auto& i : r.interfaces) {
    auto it = subnet_routers_.find(i.subnet_id);
    if (it == subnet_routers_.end()) continue;
    it->second.erase(r.id);
    if (it->second.empty()) subnet_routers_.erase(it);
  }
}

void ResourceStore::put(Router r) {
  if (const Router* old = routers_.find(r.id)) unindex(*old);
  for (const auto& i : r.interfaces) subnet_routers_[i.subnet_id].insert(r.id);
  routers_.items_[r.id] = std::move(r);
}

void ResourceStore::put(Gateway g) { gateways_.items_[g.id] = std::move(g); }

template <>
void ResourceStore::erase<Node>(const ResourceId& id) {
  if (const Node* n = nodes_.find(id)) unindex(*n);
  nodes_.items_.erase(id);
}
template <>
void ResourceStore::erase<Vpc>(const ResourceId& id) {
  if (const Vpc* v = vpcs_.find(id)) vpc_by_vni_.erase(v->tunnel_id);
  vpcs_.items_.erase(id);
}
template <>
void ResourceStore::erase<Subnet>(const ResourceId& id) {
  ipam_.erase(id);
  subnets_.items_.erase(id);
}
template <>
void ResourceStore::erase<Port>(const ResourceId& id) {
  if (const Port* p = ports_.find(id)) unindex(*p);
  ports_.items_.erase(id);
}
template <>
void ResourceStore::erase<SecurityGroup>(const ResourceId& id) {
  if (const SecurityGroup* g = groups_.find(id)) unindex(*g);
  groups_.items_.erase(id);
}
template <>
void ResourceStore::erase<Router>(const ResourceId& id) {
  if (const Router* r = routers_.find(id)) unindex(*r);
  routers_.items_.erase(id);
}
template <>
void ResourceStore::erase<Gateway>(const ResourceId& id) {
  gateways_.items_.erase(id);
}

// ---- Lookups ----

const Node* ResourceStore::nodeByName(const std::string& name) const {
  auto it = node_by_name_.find(name);
  return it == node_by_name_.end() ? nullptr : nodes_.find(it->second);
}

const Node* ResourceStore::findNodeByIp(const std::string& ip) const {
  auto it = node_by_ip_.find(ip);
  return it == node_by_ip_.end() ? nullptr : nodes_.find(it->second);
}

const SecurityGroup* ResourceStore::groupOfRule(const ResourceId& rule_id) const {
  auto it = rule_group_.find(rule_id);
  return it == rule_group_.end() ? nullptr : groups_.find(it->second);
}

std::optional<PortPlacement> ResourceStore::placementOf(const Port& port) const {
  const Node* n = port.host_id.empty() ? nullptr : nodeByName(port.host_id);
  if (!n) return std::nullopt;
  return PortPlacement{port, n->hostIp(), textOf(n->mac_address)};
}

std::vector<PortPlacement> ResourceStore::placementsOnNode(const std::string& node_name) const {
  std::vector<PortPlacement> out;
  for (const auto& [id, p] : ports_.all()) {
    if (p.host_id != node_name) continue;
    if (auto pl = placementOf(p)) out.push_back(*pl);
  }
  return out;
}

std::string ResourceStore::agentAddressOf(const Node& n) const {
  return n.hostIp() + ":" + std::to_string(n.server_port > 0 ? n.server_port : default_agent_port_);
}

SubnetIpam* ResourceStore::ipam(const ResourceId& subnet_id) {
  auto it = ipam_.find(subnet_id);
  return it == ipam_.end() ? nullptr : it->second.get();
}

const Vpc* ResourceStore::findVpcByVni(uint32_t vni) const {
  auto it = vpc_by_vni_.find(vni);
  return it == vpc_by_vni_.end() ? nullptr : vpcs_.find(it->second);
}

std::vector<const Router*> ResourceStore::routersOfSubnet(const ResourceId& subnet_id) const {
  std::vector<const Router*> out;
  auto it = subnet_routers_.find(subnet_id);
  if (it == subnet_routers_.end()) return out;
  for (const auto& id : it->second) {
    if (const Router* r = routers_.find(id)) out.push_back(r);
  }
  return out;
}

const Port* ResourceStore::findPortByAddress(const ResourceId& vpc_id, Ipv4Address address) const {
  auto it = port_by_address_.find({vpc_id, address});
  return it == port_by_address_.end() ? nullptr : ports_.find(it->second);
}

std::vector<const Port*> ResourceStore::portsInGroup(const ResourceId& group_id) const {
  std::vector<const Port*> out;
  auto it = group_ports_.find(group_id);
  if (it == group_ports_.end()) return out;
  for (const auto& id : it->second) {
    if (const Port* p = ports_.find(id)) out.push_back(p);
  }
  return out;
}

std::vector<const Port*> ResourceStore::memberPortsOf(const ResourceId& group_id) const {
  std::vector<const Port*> out = portsInGroup(group_id);
  auto it = group_address_ports_.find(group_id);
  if (it == group_address_ports_.end()) return out;
  for (const auto& id : it->second) {
    const Port* p = ports_.find(id);
    if (p && !filteredBy(*p, group_id)) out.push_back(p);
  }
  return out;
}

std::vector<ResourceId> ResourceStore::groupsNaming(const ResourceId& remote_group_id) const {
  auto it = groups_naming_.find(remote_group_id);
  if (it == groups_naming_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

void ResourceStore::forEachPort(const std::function<void(const Port&)>& fn) const {
  for (const auto& [id, p] : ports_.all()) fn(p);
}

}  // namespace alcor::controller
