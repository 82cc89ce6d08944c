// DPM: which hosts get which states when ports, routers, VPCs, subnets and gateways change.

#include "controller/dpm/dpm.h"

#include "controller/dpm/goalstate_builder.h"
#include "lib/base/logging.h"

namespace alcor::controller {

namespace {
bool contains(const std::vector<ResourceId>& v, const ResourceId& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}
// "L2/<id>" -> (L2, id); the id was valid when the key was made.
std::pair<schema::NeighborType, ResourceId> parseKey(const std::string& key) {
  auto id = ResourceId::parse(key.substr(3));
  return {key.rfind("L3/", 0) == 0 ? schema::L3 : schema::L2, id.ok() ? *id : ResourceId()};
}
}  // namespace

bool sameNeighbor(const PortPlacement& a, const PortPlacement& b) {
  return a.host_ip == b.host_ip && a.host_mac == b.host_mac &&
         a.port.mac_address == b.port.mac_address && a.port.fixed_ips == b.port.fixed_ips &&
         a.port.allowed_address_pairs == b.port.allowed_address_pairs;
}

void Dpm::load(const std::vector<PortPlacement>& placements) {
  for (const auto& p : placements) {
    cache_.add(p.port.id, p.host_ip, subnetIdsOf(p.port));
    ++vpc_ports_[p.port.network_id];
  }
  for (const auto& [vpc, n] : vpc_ports_) sink_.vpcPortsChanged(vpc.str(), n);
}

size_t Dpm::portsInVpc(const ResourceId& vpc_id) const {
  auto it = vpc_ports_.find(vpc_id);
  return it == vpc_ports_.end() ? 0 : it->second;
}

void Dpm::countVpcPorts(const std::vector<PortChange>& changes) {
  std::set<ResourceId> touched;
  for (const auto& c : changes) {
    if (c.before) {
      auto it = vpc_ports_.find(c.before->port.network_id);
      if (it != vpc_ports_.end() && --it->second == 0) vpc_ports_.erase(it);
      touched.insert(c.before->port.network_id);
    }
    if (c.after) {
      ++vpc_ports_[c.after->port.network_id];
      touched.insert(c.after->port.network_id);
    }
  }
  for (const auto& vpc : touched) sink_.vpcPortsChanged(vpc.str(), portsInVpc(vpc));
}

void Dpm::flush(Delivery& out) {
  resolveGroups(out);
  std::erase_if(out.hosts, [](const auto& entry) { return entry.second.empty(); });
  if (!out.hosts.empty()) sink_.enqueue(std::move(out.hosts));
  out.hosts.clear();
}

// L2 when the host has a port in one of the subnets; L3 when it has a port in another subnet
// of a router attached to one of them.
int Dpm::neighborKinds(const std::string& host_ip, const std::vector<ResourceId>& subnets) const {
  int kinds = kNone;
  for (const auto& s : subnets) {
    if (cache_.count(host_ip, s) > 0) kinds |= kL2;
    for (const Router* r : topology_.routersOfSubnet(s)) {
      for (const auto& iface : r->interfaces) {
        if (iface.subnet_id != s && cache_.count(host_ip, iface.subnet_id) > 0) kinds |= kL3;
      }
    }
  }
  return kinds;
}

bool Dpm::zetaOffloaded(const ResourceId& subnet_id) const {
  const Subnet* s = topology_.findSubnet(subnet_id);
  const Vpc* v = s ? topology_.findVpc(s->network_id) : nullptr;
  if (!v) return false;
  for (const auto& id : v->gateway_ids) {
    const Gateway* g = topology_.findGateway(id);
    if (g && g->gateway_type == GatewayType::kZeta) return true;
  }
  return false;
}

// The hosts that should hold a neighbor for a port in `subnets`, with the kinds: L2 for hosts
// with a port in one of the subnets, L3 for hosts with a port in another subnet of a router
// attached to one of them (neighborKinds, inverted).
std::map<std::string, int> Dpm::audience(const std::vector<ResourceId>& subnets,
                                         const std::string& except_host) const {
  std::map<std::string, int> out;
  for (const auto& s : subnets) {
    if (zetaOffloaded(s)) continue;
    for (const auto& [h, n] : cache_.hostsInSubnet(s)) out[h] |= kL2;
    for (const Router* r : topology_.routersOfSubnet(s)) {
      for (const auto& iface : r->interfaces) {
        if (iface.subnet_id == s) continue;
        for (const auto& [h, n] : cache_.hostsInSubnet(iface.subnet_id)) out[h] |= kL3;
      }
    }
  }
  out.erase(except_host);
  return out;
}

HostSnapshot Dpm::snapshot(const std::string& host_ip) const {
  HostSnapshot snap;
  for (const auto& s : cache_.subnetsOfHost(host_ip)) {
    const bool offloaded = zetaOffloaded(s);
    for (const auto& [port, host] : cache_.portsInSubnet(s)) {
      if (host != host_ip && !offloaded) snap.neighbor_keys.insert(neighborKey(schema::L2, port));
    }
    for (const Router* r : topology_.routersOfSubnet(s)) {
      snap.router_ids.insert(r->id);
      for (const auto& iface : r->interfaces) {
        if (iface.subnet_id == s || offloaded || zetaOffloaded(iface.subnet_id)) continue;
        for (const auto& [port, host] : cache_.portsInSubnet(iface.subnet_id)) {
          if (host != host_ip) snap.neighbor_keys.insert(neighborKey(schema::L3, port));
        }
      }
    }
  }
  return snap;
}

bool Dpm::addNeighbor(Delivery& out, const std::string& host, const std::string& key,
                      schema::OperationType op) {
  auto [type, port_id] = parseKey(key);
  const Port* port = topology_.findPort(port_id);
  const std::string& port_host = cache_.hostOf(port_id);
  if (!port || port_host.empty()) return false;
  StatePtr s = neighborState(*port, port_host, type, op);
  if (s) out.add(host, std::move(s));
  return s != nullptr;
}

void Dpm::pushDiff(Delivery& out, const std::string& host_ip, const HostSnapshot& before) {
  HostSnapshot after = snapshot(host_ip);
  for (const auto& key : before.neighbor_keys) {
    if (after.neighbor_keys.count(key)) continue;
    auto [type, port_id] = parseKey(key);
    out.add(host_ip, neighborDeleteState(type, port_id));
    // Deleted here whichever way the host learned it.
    auto it = on_demand_.find(port_id);
    if (it != on_demand_.end()) it->second.erase(host_ip);
  }
  for (const auto& key : after.neighbor_keys) {
    if (!before.neighbor_keys.count(key)) addNeighbor(out, host_ip, key, schema::CREATE);
  }
  for (const auto& id : before.router_ids) {
    if (after.router_ids.count(id)) continue;
    schema::RouterState del;
    del.set_operation_type(schema::DELETE);
    del.mutable_configuration()->set_id(id.str());
    out.add(host_ip, encodeState(schema::ROUTER, id.str(), del));
  }
  for (const auto& id : after.router_ids) {
    if (const Router* r = topology_.findRouter(id)) {
      out.add(host_ip, routerState(*r, host_ip,
                                   before.router_ids.count(id) ? schema::UPDATE : schema::CREATE));
    }
  }
}

void Dpm::portsChanged(const std::vector<PortChange>& changes) {
  // Counted first: a sink choosing the path per VPC sends this change's states on the new one.
  countVpcPorts(changes);
  Delivery out;
  for (const auto& c : changes) {
    if (c.before || c.after) portChanged(out, c.before, c.after);
  }
  flush(out);
}

void Dpm::portChanged(Delivery& out, const std::optional<PortPlacement>& before,
                      const std::optional<PortPlacement>& after) {
  const std::vector<ResourceId> subnets_before =
      before ? subnetIdsOf(before->port) : std::vector<ResourceId>{};
  const std::vector<ResourceId> subnets_after =
      after ? subnetIdsOf(after->port) : std::vector<ResourceId>{};
  const std::string hb = before ? before->host_ip : "";
  const std::string ha = after ? after->host_ip : "";
  const ResourceId& id = before ? before->port.id : after->port.id;

  // Hosts whose subnet membership changes get a full neighbor/router diff.
  HostSnapshots membership;
  if (before) {
    for (const auto& s : subnets_before) {
      bool stays = after && ha == hb && contains(subnets_after, s);
      if (cache_.count(hb, s) == 1 && !stays) membership[hb] = snapshot(hb);
    }
  }
  if (after) {
    for (const auto& s : subnets_after) {
      int others = cache_.count(ha, s) - (before && hb == ha && contains(subnets_before, s));
      if (others == 0 && !membership.count(ha)) membership[ha] = snapshot(ha);
    }
  }
  std::map<std::string, int> audience_before;
  if (before) audience_before = audience(subnets_before, hb);

  cache_.remove(id);
  forgetPortStates(id);
  if (after) cache_.add(id, ha, subnets_after);

  if (before && (!after || ha != hb)) addPortDelete(out, before->port, hb);
  if (after) {
    bool update = before && hb == ha;
    addPortBundle(out, after->port, ha, update ? schema::UPDATE : schema::CREATE);
  }
  for (const auto& [host, snap] : membership) pushDiff(out, host, snap);

  // Announcements of this port to the other hosts: one state per kind, shared by all of them.
  std::map<std::string, int> audience_after;
  if (after) audience_after = audience(subnets_after, ha);
  const bool same = before && after && sameNeighbor(*before, *after);
  for (auto [bit, type] : {std::pair{kL2, schema::L2}, std::pair{kL3, schema::L3}}) {
    StatePtr created, updated, deleted;
    for (const auto& [h, ka] : audience_after) {
      if (!(ka & bit)) continue;
      auto b = audience_before.find(h);
      const bool had = b != audience_before.end() && (b->second & bit);
      if (had && same) continue;
      StatePtr& s = had ? updated : created;
      if (!s) s = neighborState(after->port, ha, type, had ? schema::UPDATE : schema::CREATE);
      if (s) out.add(h, s);
    }
    for (const auto& [h, kb] : audience_before) {
      if (!(kb & bit)) continue;
      auto a = audience_after.find(h);
      if (a != audience_after.end() && (a->second & bit)) continue;
      if (!deleted) deleted = neighborDeleteState(type, id);
      out.add(h, deleted);
    }
  }
  onDemandHostsChanged(out, before, after, audience_after);
  noteMembersChanged(out, before, after);
}

HostSnapshots Dpm::snapshotHostsOf(const std::set<ResourceId>& subnet_ids) const {
  HostSnapshots snaps;
  for (const auto& s : subnet_ids) {
    for (const auto& [h, n] : cache_.hostsInSubnet(s)) {
      if (!snaps.count(h)) snaps[h] = snapshot(h);
    }
  }
  return snaps;
}

void Dpm::hostsChanged(const HostSnapshots& before, const std::set<ResourceId>& subnet_ids) {
  HostSnapshots all = before;
  for (const auto& s : subnet_ids) {
    for (const auto& [h, n] : cache_.hostsInSubnet(s)) all.try_emplace(h);  // new: empty before
  }
  Delivery out;
  for (const auto& [host, snap] : all) pushDiff(out, host, snap);
  flush(out);
}

void Dpm::vpcChanged(const ResourceId& vpc_id) {
  const Vpc* vpc = topology_.findVpc(vpc_id);
  if (!vpc) return;
  forgetAllStates();  // contexts name the VPC
  StatePtr state = encodeState(schema::VPC, vpc_id.str(), vpcState(*vpc, schema::UPDATE));
  std::vector<StatePtr> gateways;
  for (const auto& gw_id : vpc->gateway_ids) {
    if (const Gateway* g = topology_.findGateway(gw_id)) {
      gateways.push_back(gatewayState(*g, schema::CREATE));
    }
  }
  Delivery out;
  std::set<std::string> done;
  topology_.forEachPort([&](const Port& p) {
    const std::string& host = cache_.hostOf(p.id);
    if (p.network_id != vpc_id || host.empty() || !done.insert(host).second) return;
    out.add(host, state);
    for (const auto& g : gateways) out.add(host, g);
  });
  flush(out);
}

void Dpm::subnetChanged(const ResourceId& subnet_id) {
  const Subnet* s = topology_.findSubnet(subnet_id);
  const Vpc* v = s ? topology_.findVpc(s->network_id) : nullptr;
  if (!v) return;
  forgetAllStates();  // contexts carry the subnet
  StatePtr state = encodeState(schema::SUBNET, subnet_id.str(), subnetState(*s, *v, schema::UPDATE),
                               {encodeState(schema::VPC, v->id.str(), vpcState(*v, schema::INFO))});
  Delivery out;
  for (const auto& [h, n] : cache_.hostsInSubnet(subnet_id)) out.add(h, state);
  flush(out);
}

void Dpm::gatewayChanged(const ResourceId& gateway_id) {
  const Gateway* g = topology_.findGateway(gateway_id);
  StatePtr state;
  if (g) {
    state = gatewayState(*g, schema::UPDATE);
  } else {
    schema::GatewayState del;
    del.set_operation_type(schema::DELETE);
    del.mutable_configuration()->set_id(gateway_id.str());
    state = encodeState(schema::GATEWAY, gateway_id.str(), del);
  }
  Delivery out;
  std::set<std::string> done;
  topology_.forEachPort([&](const Port& p) {
    const Vpc* vpc = topology_.findVpc(p.network_id);
    const std::string& host = cache_.hostOf(p.id);
    if (!vpc || host.empty() || !done.insert(host).second) return;
    if (std::find(vpc->gateway_ids.begin(), vpc->gateway_ids.end(), gateway_id) ==
        vpc->gateway_ids.end()) {
      done.erase(host);
      return;
    }
    out.add(host, state);
  });
  flush(out);
}

std::vector<StatePtr> Dpm::fullState(const std::string& host_ip) {
  Delivery out;
  for (const auto& id : cache_.portsOnHost(host_ip)) {
    if (const Port* p = topology_.findPort(id)) addPortBundle(out, *p, host_ip, schema::CREATE);
  }
  HostSnapshot snap = snapshot(host_ip);
  for (const auto& key : snap.neighbor_keys) addNeighbor(out, host_ip, key, schema::CREATE);
  for (const auto& [port_id, hosts] : on_demand_) {
    auto it = hosts.find(host_ip);
    if (it != hosts.end())
      addNeighbor(out, host_ip, neighborKey(it->second, port_id), schema::CREATE);
  }
  resolveGroups(out);
  std::vector<StatePtr> states = std::move(out.hosts[host_ip]);
  ALOG(Info, Dpm) << "full state for " << host_ip << ": " << cache_.portsOnHost(host_ip).size()
                  << " ports, " << snap.neighbor_keys.size() << " neighbors, " << states.size()
                  << " states";
  return states;
}

}  // namespace alcor::controller
