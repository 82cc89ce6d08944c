#include "controller/service/network_service.h"

#include "controller/model/json_codec.h"
#include "lib/base/json_util.h"
#include "lib/base/logging.h"
#include "lib/base/uuid.h"

namespace alcor::controller {

NetworkService::NetworkService(Store& store, PushScheduler& scheduler, ServiceOptions options)
    : store_(store), scheduler_(scheduler), options_(options), dpm_(*this, scheduler) {}

StatusOr<std::unique_ptr<NetworkService>> NetworkService::create(Store& store,
                                                                 PushScheduler& scheduler,
                                                                 ServiceOptions options) {
  std::unique_ptr<NetworkService> s(new NetworkService(store, scheduler, options));
  RETURN_IF_ERROR(s->loadAll());
  return s;
}

namespace {
template <typename T, typename Parse>
Status loadKind(Store& store, Kind kind, Parse parse, std::vector<T>& out) {
  ASSIGN_OR_RETURN(auto records, store.loadAll(kind));
  for (const auto& r : records) {
    auto doc = parseJson(r.body, kindName(kind));
    if (!doc.ok()) return dataLossError(std::string(kindName(kind)) + " " + r.id + ": corrupt");
    auto v = parse(*doc);
    if (!v.ok()) {
      return dataLossError(std::string(kindName(kind)) + " " + r.id + ": " + v.status().message());
    }
    out.push_back(std::move(v).value());
  }
  return okStatus();
}
}  // namespace

Status NetworkService::loadAll() {
  std::lock_guard lock(mu_);
  std::vector<Node> nodes;
  std::vector<Vpc> vpcs;
  std::vector<Subnet> subnets;
  std::vector<Port> ports;
  std::vector<SecurityGroup> groups;
  std::vector<Router> routers;
  std::vector<Gateway> gateways;
  RETURN_IF_ERROR(loadKind(store_, Kind::kNode, nodeFromJson, nodes));
  RETURN_IF_ERROR(loadKind(store_, Kind::kVpc, vpcFromJson, vpcs));
  RETURN_IF_ERROR(loadKind(store_, Kind::kSubnet, subnetFromJson, subnets));
  RETURN_IF_ERROR(loadKind(store_, Kind::kPort, portFromJson, ports));
  RETURN_IF_ERROR(loadKind(store_, Kind::kSecurityGroup, securityGroupFromJson, groups));
  RETURN_IF_ERROR(loadKind(store_, Kind::kRouter, routerFromJson, routers));
  RETURN_IF_ERROR(loadKind(store_, Kind::kGateway, gatewayFromJson, gateways));
  for (auto& n : nodes) {
    if (auto m = MacAddress::parse(n.host_dvr_mac); m.ok()) (void)dvr_macs_.reserve(*m);
    node_by_name_[n.name] = n.id;
    node_by_ip_[n.local_ip] = n.id;
    scheduler_.setAddress(n.local_ip, addressOf(n));
    nodes_[n.id] = std::move(n);
  }
  for (auto& v : vpcs) {
    (void)vnis_.reserve(v.tunnel_id);
    vpcs_[v.id] = std::move(v);
  }
  for (auto& s : subnets) {
    auto cidr = *Ipv4Prefix::parse(s.cidr);
    auto gw = Ipv4Address::parse(s.gateway_ip);
    ipam_[s.id] = std::make_unique<SubnetIpam>(cidr, gw.ok() ? *gw : Ipv4Address());
    if (auto m = MacAddress::parse(s.gateway_mac); m.ok()) (void)port_macs_.reserve(*m);
    subnets_[s.id] = std::move(s);
  }
  std::vector<PortPlacement> placements;
  for (auto& p : ports) {
    for (const auto& f : p.fixed_ips) {
      auto it = ipam_.find(f.subnet_id);
      auto ip = Ipv4Address::parse(f.ip_address);
      if (it != ipam_.end() && ip.ok()) (void)it->second->reserve(*ip);
    }
    if (auto m = MacAddress::parse(p.mac_address); m.ok()) (void)port_macs_.reserve(*m);
    if (auto pl = placementLocked(p)) placements.push_back(*pl);
    ports_[p.id] = std::move(p);
  }
  for (auto& g : groups) {
    for (const auto& r : g.rules) rule_group_[r.id] = g.id;
    groups_[g.id] = std::move(g);
  }
  for (auto& r : routers) routers_[r.id] = std::move(r);
  for (auto& g : gateways) gateways_[g.id] = std::move(g);
  dpm_.load(placements);
  // Ports that never reached ACTIVE on a known host are pushed again; the others are not.
  std::set<std::string> unfinished_hosts;
  for (const auto& pl : placements) {
    if (pl.port.status != kPortActive) unfinished_hosts.insert(pl.host_ip);
  }
  for (const auto& host : unfinished_hosts) scheduler_.requestResync(host);
  ALOG(Info, Store) << "loaded " << nodes_.size() << " nodes, " << vpcs_.size() << " VPCs, "
                    << subnets_.size() << " subnets, " << ports_.size() << " ports, "
                    << groups_.size() << " security groups, " << routers_.size() << " routers, "
                    << gateways_.size() << " gateways";
  return okStatus();
}

// ---- Topology ----

const Vpc* NetworkService::findVpc(const std::string& id) const { return scoped(vpcs_, "", id); }
const Subnet* NetworkService::findSubnet(const std::string& id) const {
  return scoped(subnets_, "", id);
}
const Port* NetworkService::findPort(const std::string& id) const { return scoped(ports_, "", id); }
const SecurityGroup* NetworkService::findSecurityGroup(const std::string& id) const {
  return scoped(groups_, "", id);
}
const Router* NetworkService::findRouter(const std::string& id) const {
  return scoped(routers_, "", id);
}
const Gateway* NetworkService::findGateway(const std::string& id) const {
  return scoped(gateways_, "", id);
}
const Node* NetworkService::findNodeByIp(const std::string& ip) const {
  auto it = node_by_ip_.find(ip);
  return it == node_by_ip_.end() ? nullptr : &nodes_.at(it->second);
}
std::vector<const Router*> NetworkService::routersOfSubnet(const std::string& subnet_id) const {
  std::vector<const Router*> out;
  for (const auto& [id, r] : routers_) {
    for (const auto& i : r.interfaces) {
      if (i.subnet_id == subnet_id) {
        out.push_back(&r);
        break;
      }
    }
  }
  return out;
}
void NetworkService::forEachPort(const std::function<void(const Port&)>& fn) const {
  for (const auto& [id, p] : ports_) fn(p);
}

// ---- Nodes ----

std::string NetworkService::addressOf(const Node& n) const {
  return n.local_ip + ":" + std::to_string(n.server_port > 0 ? n.server_port : options_.agent_port);
}

std::optional<PortPlacement> NetworkService::placementLocked(const Port& port) const {
  auto it = node_by_name_.find(port.host_id);
  if (port.host_id.empty() || it == node_by_name_.end()) return std::nullopt;
  return PortPlacement{port, nodes_.at(it->second).local_ip};
}

std::vector<PortPlacement> NetworkService::placementsOfNodeLocked(const std::string& name) const {
  std::vector<PortPlacement> out;
  for (const auto& [id, p] : ports_) {
    if (p.host_id == name) {
      if (auto pl = placementLocked(p)) out.push_back(*pl);
    }
  }
  return out;
}

// Re-places the ports of the node(s) and resyncs the (new) host. `before`/`after` are the node
// as it was and is; the maps already hold `after`.
void NetworkService::nodeChangedLocked(const Node* before, const Node* after) {
  std::set<std::string> names;
  if (before) names.insert(before->name);
  if (after) names.insert(after->name);
  for (auto& [id, p] : ports_) {
    if (!names.count(p.host_id)) continue;
    std::optional<PortPlacement> old_pl;
    if (before && before->name == p.host_id) old_pl = PortPlacement{p, before->local_ip};
    std::optional<PortPlacement> new_pl = placementLocked(p);
    bool same = old_pl && new_pl && old_pl->host_ip == new_pl->host_ip;
    if (!same && (old_pl || new_pl)) dpm_.portChanged(old_pl, new_pl);
  }
  if (before && (!after || before->local_ip != after->local_ip))
    scheduler_.forget(before->local_ip);
  if (after) {
    scheduler_.setAddress(after->local_ip, addressOf(*after));
    scheduler_.requestResync(after->local_ip);
  }
}

StatusOr<Node> NetworkService::createNode(Node n) {
  std::lock_guard lock(mu_);
  if (n.id.empty()) n.id = newUuid();
  if (nodes_.count(n.id)) return alreadyExistsError("node " + n.id + " already exists");
  if (node_by_name_.count(n.name)) {
    return alreadyExistsError("a node named " + n.name + " already exists");
  }
  if (node_by_ip_.count(n.local_ip)) {
    return alreadyExistsError("a node with local_ip " + n.local_ip + " already exists");
  }
  bool allocated = n.host_dvr_mac.empty();
  if (allocated) {
    ASSIGN_OR_RETURN(MacAddress m, dvr_macs_.allocate());
    n.host_dvr_mac = m.toString();
  } else {
    RETURN_IF_ERROR(dvr_macs_.reserve(*MacAddress::parse(n.host_dvr_mac)));
  }
  Status st = store_.apply({Mutation::put(Kind::kNode, n.id, toJson(n).dump())});
  if (!st.ok()) {
    dvr_macs_.release(*MacAddress::parse(n.host_dvr_mac));
    return st;
  }
  nodes_[n.id] = n;
  node_by_name_[n.name] = n.id;
  node_by_ip_[n.local_ip] = n.id;
  ALOG(Info, Rest) << "node " << n.name << " registered at " << addressOf(n);
  nodeChangedLocked(nullptr, &nodes_[n.id]);
  return n;
}

StatusOr<Node> NetworkService::updateNode(const std::string& id, Node n) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return notFoundError("node " + id + " not found");
  n.id = id;
  Node before = it->second;
  if (n.name != before.name && node_by_name_.count(n.name)) {
    return alreadyExistsError("a node named " + n.name + " already exists");
  }
  if (n.local_ip != before.local_ip && node_by_ip_.count(n.local_ip)) {
    return alreadyExistsError("a node with local_ip " + n.local_ip + " already exists");
  }
  if (n.host_dvr_mac.empty()) n.host_dvr_mac = before.host_dvr_mac;
  if (n.host_dvr_mac != before.host_dvr_mac) {
    RETURN_IF_ERROR(dvr_macs_.reserve(*MacAddress::parse(n.host_dvr_mac)));
  }
  Status st = store_.apply({Mutation::put(Kind::kNode, n.id, toJson(n).dump())});
  if (!st.ok()) {
    if (n.host_dvr_mac != before.host_dvr_mac)
      dvr_macs_.release(*MacAddress::parse(n.host_dvr_mac));
    return st;
  }
  if (n.host_dvr_mac != before.host_dvr_mac) {
    dvr_macs_.release(*MacAddress::parse(before.host_dvr_mac));
  }
  node_by_name_.erase(before.name);
  node_by_ip_.erase(before.local_ip);
  it->second = n;
  node_by_name_[n.name] = id;
  node_by_ip_[n.local_ip] = id;
  ALOG(Info, Rest) << "node " << n.name << " re-registered at " << addressOf(n);
  nodeChangedLocked(&before, &it->second);
  return n;
}

StatusOr<Node> NetworkService::getNode(const std::string& id) const {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return notFoundError("node " + id + " not found");
  return it->second;
}

std::vector<Node> NetworkService::listNodes() const {
  std::lock_guard lock(mu_);
  std::vector<Node> out;
  for (const auto& [id, n] : nodes_) out.push_back(n);
  return out;
}

Status NetworkService::deleteNode(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = nodes_.find(id);
  if (it == nodes_.end()) return notFoundError("node " + id + " not found");
  RETURN_IF_ERROR(store_.apply({Mutation::erase(Kind::kNode, id)}));
  Node before = it->second;
  nodes_.erase(it);
  node_by_name_.erase(before.name);
  node_by_ip_.erase(before.local_ip);
  if (auto m = MacAddress::parse(before.host_dvr_mac); m.ok()) dvr_macs_.release(*m);
  nodeChangedLocked(&before, nullptr);
  return okStatus();
}

// ---- VPCs ----

StatusOr<Vpc> NetworkService::createVpc(Vpc v) {
  std::lock_guard lock(mu_);
  if (v.id.empty()) v.id = newUuid();
  if (vpcs_.count(v.id)) return alreadyExistsError("VPC " + v.id + " already exists");
  for (const auto& g : v.gateway_ids) {
    if (!scoped(gateways_, v.project_id, g)) return notFoundError("gateway " + g + " not found");
  }
  if (v.tunnel_id == 0) {
    ASSIGN_OR_RETURN(v.tunnel_id, vnis_.allocate());
  } else {
    RETURN_IF_ERROR(vnis_.reserve(v.tunnel_id));
  }
  Status st = store_.apply({Mutation::put(Kind::kVpc, v.id, toJson(v).dump())});
  if (!st.ok()) {
    vnis_.release(v.tunnel_id);
    return st;
  }
  vpcs_[v.id] = v;
  return v;
}

StatusOr<Vpc> NetworkService::updateVpc(const std::string& project, const std::string& id, Vpc v) {
  std::lock_guard lock(mu_);
  const Vpc* old = scoped(vpcs_, project, id);
  if (!old) return notFoundError("VPC " + id + " not found");
  if (v.id != id || v.project_id != old->project_id) {
    return invalidArgumentError("network.id and project_id cannot change");
  }
  if (v.tunnel_id != old->tunnel_id) return invalidArgumentError("network.tunnel_id cannot change");
  if (v.cidr != old->cidr) return invalidArgumentError("network.cidr cannot change");
  for (const auto& g : v.gateway_ids) {
    if (!scoped(gateways_, project, g)) return notFoundError("gateway " + g + " not found");
  }
  // Attaching or detaching a Zeta gateway withdraws or announces the VPC's neighbors.
  std::set<std::string> subnet_ids;
  for (const auto& [sid, s] : subnets_) {
    if (s.network_id == id) subnet_ids.insert(sid);
  }
  HostSnapshots before = dpm_.snapshotHostsOf(subnet_ids);
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kVpc, v.id, toJson(v).dump())}));
  vpcs_[id] = v;
  dpm_.vpcChanged(id);
  dpm_.hostsChanged(before, subnet_ids);
  return v;
}

StatusOr<Vpc> NetworkService::getVpc(const std::string& project, const std::string& id) const {
  std::lock_guard lock(mu_);
  return getScoped(vpcs_, project, id, "VPC");
}

std::vector<Vpc> NetworkService::listVpcs(const std::string& project) const {
  std::lock_guard lock(mu_);
  return listScoped(vpcs_, project);
}

Status NetworkService::deleteVpc(const std::string& project, const std::string& id) {
  std::lock_guard lock(mu_);
  const Vpc* v = scoped(vpcs_, project, id);
  if (!v) return notFoundError("VPC " + id + " not found");
  for (const auto& [sid, s] : subnets_) {
    if (s.network_id == id) {
      return failedPreconditionError("VPC " + id + " still has subnet " + sid);
    }
  }
  RETURN_IF_ERROR(store_.apply({Mutation::erase(Kind::kVpc, id)}));
  vnis_.release(v->tunnel_id);
  vpcs_.erase(id);
  return okStatus();
}

// ---- Subnets ----

StatusOr<Subnet> NetworkService::createSubnet(Subnet s) {
  std::lock_guard lock(mu_);
  if (s.id.empty()) s.id = newUuid();
  if (subnets_.count(s.id)) return alreadyExistsError("subnet " + s.id + " already exists");
  const Vpc* vpc = scoped(vpcs_, s.project_id, s.network_id);
  if (!vpc) return notFoundError("network " + s.network_id + " not found");
  Ipv4Prefix cidr = *Ipv4Prefix::parse(s.cidr, true);
  if (!vpc->cidr.empty()) {
    Ipv4Prefix vpc_cidr = *Ipv4Prefix::parse(vpc->cidr);
    if (!vpc_cidr.contains(cidr.network()) || cidr.length() < vpc_cidr.length()) {
      return invalidArgumentError("subnet " + s.cidr + " is outside network " + vpc->cidr);
    }
  }
  for (const auto& [id, other] : subnets_) {
    if (other.network_id == s.network_id && Ipv4Prefix::parse(other.cidr)->overlaps(cidr)) {
      return alreadyExistsError("subnet " + s.cidr + " overlaps subnet " + id + " (" + other.cidr +
                                ")");
    }
  }
  if (s.gateway_ip.empty()) s.gateway_ip = Ipv4Address(cidr.network().value() + 1).toString();
  bool mac_allocated = s.gateway_mac.empty();
  if (mac_allocated) {
    ASSIGN_OR_RETURN(MacAddress m, port_macs_.allocate());
    s.gateway_mac = m.toString();
  } else {
    RETURN_IF_ERROR(port_macs_.reserve(*MacAddress::parse(s.gateway_mac)));
  }
  Status st = store_.apply({Mutation::put(Kind::kSubnet, s.id, toJson(s).dump())});
  if (!st.ok()) {
    port_macs_.release(*MacAddress::parse(s.gateway_mac));
    return st;
  }
  ipam_[s.id] = std::make_unique<SubnetIpam>(cidr, *Ipv4Address::parse(s.gateway_ip));
  subnets_[s.id] = s;
  return s;
}

StatusOr<Subnet> NetworkService::updateSubnet(const std::string& project, const std::string& id,
                                              Subnet s) {
  std::lock_guard lock(mu_);
  const Subnet* old = scoped(subnets_, project, id);
  if (!old) return notFoundError("subnet " + id + " not found");
  if (s.id != id || s.project_id != old->project_id || s.network_id != old->network_id ||
      s.cidr != old->cidr || s.gateway_ip != old->gateway_ip || s.gateway_mac != old->gateway_mac) {
    return invalidArgumentError("subnet id, network_id, cidr and gateway cannot change");
  }
  RETURN_IF_ERROR(store_.apply({Mutation::put(Kind::kSubnet, s.id, toJson(s).dump())}));
  subnets_[id] = s;
  dpm_.subnetChanged(id);
  return s;
}

StatusOr<Subnet> NetworkService::getSubnet(const std::string& project,
                                           const std::string& id) const {
  std::lock_guard lock(mu_);
  return getScoped(subnets_, project, id, "subnet");
}

std::vector<Subnet> NetworkService::listSubnets(const std::string& project) const {
  std::lock_guard lock(mu_);
  return listScoped(subnets_, project);
}

Status NetworkService::deleteSubnet(const std::string& project, const std::string& id) {
  std::lock_guard lock(mu_);
  const Subnet* s = scoped(subnets_, project, id);
  if (!s) return notFoundError("subnet " + id + " not found");
  if (ipam_.at(id)->usedCount() > 0) {
    return failedPreconditionError("subnet " + id + " still has ports");
  }
  if (!routersOfSubnet(id).empty()) {
    return failedPreconditionError("subnet " + id + " is attached to router " +
                                   routersOfSubnet(id)[0]->id);
  }
  RETURN_IF_ERROR(store_.apply({Mutation::erase(Kind::kSubnet, id)}));
  if (auto m = MacAddress::parse(s->gateway_mac); m.ok()) port_macs_.release(*m);
  ipam_.erase(id);
  subnets_.erase(id);
  return okStatus();
}

// ---- Bootstrap ----

Status NetworkService::bootstrap(const std::string& project, const std::string& vpc_spec,
                                 const std::string& subnet_spec) {
  auto split = [](const std::string& spec,
                  const char* what) -> StatusOr<std::pair<std::string, std::string>> {
    auto colon = spec.find(':');
    if (colon == std::string::npos || colon == 0) {
      return invalidArgumentError(std::string(what) + " \"" + spec + "\" is not ID:CIDR");
    }
    return std::pair{spec.substr(0, colon), spec.substr(colon + 1)};
  };
  std::string vpc_id;
  if (!vpc_spec.empty()) {
    ASSIGN_OR_RETURN(auto v, split(vpc_spec, "--bootstrap-vpc"));
    vpc_id = v.first;
    if (!getVpc("", vpc_id).ok()) {
      ASSIGN_OR_RETURN(
          Vpc vpc,
          vpcFromJson(
              {{"id", v.first}, {"project_id", project}, {"name", v.first}, {"cidr", v.second}}));
      RETURN_IF_ERROR(createVpc(vpc).status());
      ALOG(Info, Main) << "bootstrap: created VPC " << vpc_id << " " << v.second;
    }
  }
  if (!subnet_spec.empty()) {
    if (vpc_id.empty()) return invalidArgumentError("--bootstrap-subnet needs --bootstrap-vpc");
    ASSIGN_OR_RETURN(auto s, split(subnet_spec, "--bootstrap-subnet"));
    if (!getSubnet("", s.first).ok()) {
      ASSIGN_OR_RETURN(Subnet subnet, subnetFromJson({{"id", s.first},
                                                      {"project_id", project},
                                                      {"name", s.first},
                                                      {"network_id", vpc_id},
                                                      {"cidr", s.second}}));
      RETURN_IF_ERROR(createSubnet(subnet).status());
      ALOG(Info, Main) << "bootstrap: created subnet " << s.first << " " << s.second;
    }
  }
  return okStatus();
}

// ---- DPM callbacks ----

schema::GoalStateV2 NetworkService::fullState(const std::string& host_ip) const {
  std::lock_guard lock(mu_);
  return dpm_.fullState(host_ip);
}

std::optional<schema::GoalStateV2> NetworkService::onDemandState(
    const std::string& host_ip, uint32_t vni, const std::string& destination_ip) const {
  std::lock_guard lock(mu_);
  return dpm_.onDemandState(host_ip, vni, destination_ip);
}

std::string NetworkService::agentAddress(const std::string& host_ip) const {
  std::lock_guard lock(mu_);
  const Node* n = findNodeByIp(host_ip);
  return n ? addressOf(*n) : std::string();
}

std::string NetworkService::nodeNameAtAddress(const std::string& address) const {
  std::lock_guard lock(mu_);
  const Node* n = findNodeByIp(address.substr(0, address.rfind(':')));
  return n && addressOf(*n) == address ? n->name : std::string();
}

std::string NetworkService::nodeIpByName(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = node_by_name_.find(name);
  return it == node_by_name_.end() ? std::string() : nodes_.at(it->second).local_ip;
}

void NetworkService::setPortActiveObserver(std::function<void(const std::string&)> observer) {
  std::lock_guard lock(mu_);
  active_observer_ = std::move(observer);
}

NetworkService::Counts NetworkService::counts() const {
  std::lock_guard lock(mu_);
  size_t active = 0;
  for (const auto& [id, p] : ports_) active += p.status == kPortActive;
  return {nodes_.size(), vpcs_.size(),   subnets_.size(), ports_.size(),
          active,        groups_.size(), routers_.size(), gateways_.size()};
}

}  // namespace alcor::controller
