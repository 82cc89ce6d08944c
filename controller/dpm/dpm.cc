#include "controller/dpm/dpm.h"

#include "controller/dpm/goalstate_builder.h"
#include "lib/base/logging.h"

namespace alcor::controller {

std::vector<std::string> subnetIdsOf(const Port& port) {
  std::vector<std::string> out;
  for (const auto& f : port.fixed_ips) {
    if (std::find(out.begin(), out.end(), f.subnet_id) == out.end()) out.push_back(f.subnet_id);
  }
  return out;
}

namespace {
bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}
// "L2/<id>" -> (L2, id).
std::pair<schema::NeighborType, std::string> parseKey(const std::string& key) {
  return {key.rfind("L3/", 0) == 0 ? schema::L3 : schema::L2, key.substr(3)};
}
}  // namespace

void Dpm::load(const std::vector<PortPlacement>& placements) {
  for (const auto& p : placements) cache_.add(p.port.id, p.host_ip, subnetIdsOf(p.port));
}

std::string Dpm::hostMac(const std::string& host_ip) const {
  const Node* n = topology_.findNodeByIp(host_ip);
  return n ? n->mac_address : std::string();
}

// L2 when the host has a port in one of the subnets; L3 when it has a port in another subnet
// of a router attached to one of them.
int Dpm::neighborKinds(const std::string& host_ip, const std::vector<std::string>& subnets) const {
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

bool Dpm::zetaOffloaded(const std::string& subnet_id) const {
  const Subnet* s = topology_.findSubnet(subnet_id);
  const Vpc* v = s ? topology_.findVpc(s->network_id) : nullptr;
  if (!v) return false;
  for (const auto& id : v->gateway_ids) {
    const Gateway* g = topology_.findGateway(id);
    if (g && g->gateway_type == "ZETA") return true;
  }
  return false;
}

std::set<std::string> Dpm::candidateHosts(const std::vector<std::string>& subnets) const {
  std::set<std::string> hosts;
  for (const auto& s : subnets) {
    if (zetaOffloaded(s)) continue;
    auto h = cache_.hostsInSubnet(s);
    hosts.insert(h.begin(), h.end());
    for (const Router* r : topology_.routersOfSubnet(s)) {
      for (const auto& iface : r->interfaces) {
        auto rh = cache_.hostsInSubnet(iface.subnet_id);
        hosts.insert(rh.begin(), rh.end());
      }
    }
  }
  return hosts;
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

void Dpm::addSubnetContext(schema::GoalStateV2& gs, const std::string& subnet_id,
                           schema::OperationType op) const {
  const Subnet* s = topology_.findSubnet(subnet_id);
  if (!s) return;
  const Vpc* v = topology_.findVpc(s->network_id);
  if (!v) return;
  if (!gs.subnet_states().contains(s->id))
    (*gs.mutable_subnet_states())[s->id] = subnetState(*s, *v, op);
  if (!gs.vpc_states().contains(v->id)) (*gs.mutable_vpc_states())[v->id] = vpcState(*v, op);
}

void Dpm::addContext(schema::GoalStateV2& gs, const Port& port, schema::OperationType op) const {
  for (const auto& s : subnetIdsOf(port)) addSubnetContext(gs, s, op);
}

void Dpm::addRouter(schema::GoalStateV2& gs, const Router& r, const std::string& host_ip,
                    schema::OperationType op) const {
  std::map<std::string, const Subnet*> subnets;
  for (const auto& iface : r.interfaces) {
    subnets[iface.subnet_id] = topology_.findSubnet(iface.subnet_id);
    addSubnetContext(gs, iface.subnet_id, schema::INFO);
  }
  const Node* n = topology_.findNodeByIp(host_ip);
  (*gs.mutable_router_states())[r.id] = routerState(r, n ? n->host_dvr_mac : "", subnets, op);
}

void Dpm::addPortBundle(schema::GoalStateV2& gs, const Port& p, const std::string& host_ip,
                        schema::OperationType op) const {
  addContext(gs, p, schema::CREATE);
  (*gs.mutable_port_states())[p.id] = portState(p, host_ip, hostMac(host_ip), op);
  for (size_t i = 0; i < p.fixed_ips.size(); ++i) {
    const Subnet* s = topology_.findSubnet(p.fixed_ips[i].subnet_id);
    if (s && s->enable_dhcp) (*gs.mutable_dhcp_states())[dhcpKey(p.id, i)] = dhcpState(p, i, op);
  }
  const Vpc* vpc = topology_.findVpc(p.network_id);
  addSecurityGroups(gs, p, schema::CREATE);
  if (vpc) {
    for (const auto& gw_id : vpc->gateway_ids) {
      if (const Gateway* g = topology_.findGateway(gw_id)) {
        (*gs.mutable_gateway_states())[g->id] = gatewayState(*g, schema::CREATE);
      }
    }
  }
  for (const auto& s : subnetIdsOf(p)) {
    for (const Router* r : topology_.routersOfSubnet(s)) addRouter(gs, *r, host_ip, schema::CREATE);
  }
}

void Dpm::addNeighborOf(schema::GoalStateV2& gs, const Port& port, const std::string& port_host,
                        schema::NeighborType type, schema::OperationType op) const {
  const Vpc* vpc = topology_.findVpc(port.network_id);
  if (!vpc) return;
  addContext(gs, port, schema::INFO);
  (*gs.mutable_neighbor_states())[neighborKey(type, port.id)] =
      neighborState(port, *vpc, port_host, hostMac(port_host), type, op);
}

bool Dpm::addNeighbor(schema::GoalStateV2& gs, const std::string& key,
                      schema::OperationType op) const {
  auto [type, port_id] = parseKey(key);
  const Port* port = topology_.findPort(port_id);
  std::string host = cache_.hostOf(port_id);
  if (!port || host.empty()) return false;
  addNeighborOf(gs, *port, host, type, op);
  return true;
}

void Dpm::pushDiff(Fragments& out, const std::string& host_ip, const HostSnapshot& before) const {
  HostSnapshot after = snapshot(host_ip);
  schema::GoalStateV2& gs = out[host_ip];
  for (const auto& key : before.neighbor_keys) {
    if (!after.neighbor_keys.count(key)) {
      (*gs.mutable_neighbor_states())[key] = neighborDelete(parseKey(key).second);
    }
  }
  for (const auto& key : after.neighbor_keys) {
    if (!before.neighbor_keys.count(key)) addNeighbor(gs, key, schema::CREATE);
  }
  for (const auto& id : before.router_ids) {
    if (!after.router_ids.count(id)) {
      schema::RouterState del;
      del.set_operation_type(schema::DELETE);
      del.mutable_configuration()->set_id(id);
      (*gs.mutable_router_states())[id] = del;
    }
  }
  for (const auto& id : after.router_ids) {
    if (const Router* r = topology_.findRouter(id)) {
      addRouter(gs, *r, host_ip, before.router_ids.count(id) ? schema::UPDATE : schema::CREATE);
    }
  }
}

void Dpm::flush(Fragments& fragments) {
  for (auto& [host, gs] : fragments) {
    if (resourceCount(gs) > 0) scheduler_.enqueue(host, gs);
  }
}

void Dpm::portChanged(const std::optional<PortPlacement>& before,
                      const std::optional<PortPlacement>& after) {
  std::vector<std::string> subnets_before =
      before ? subnetIdsOf(before->port) : std::vector<std::string>{};
  std::vector<std::string> subnets_after =
      after ? subnetIdsOf(after->port) : std::vector<std::string>{};
  const std::string hb = before ? before->host_ip : "";
  const std::string ha = after ? after->host_ip : "";

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
  std::map<std::string, int> audience_before, audience_after;
  if (before) {
    for (const auto& h : candidateHosts(subnets_before)) {
      if (h != hb) audience_before[h] = neighborKinds(h, subnets_before);
    }
  }

  cache_.remove(before ? before->port.id : after->port.id);
  if (after) cache_.add(after->port.id, ha, subnets_after);

  if (after) {
    for (const auto& h : candidateHosts(subnets_after)) {
      if (h != ha) audience_after[h] = neighborKinds(h, subnets_after);
    }
  }

  Fragments out;
  if (before && (!after || ha != hb)) {
    schema::GoalStateV2& gs = out[hb];
    addContext(gs, before->port, schema::INFO);
    (*gs.mutable_port_states())[before->port.id] =
        portState(before->port, hb, hostMac(hb), schema::DELETE);
    for (size_t i = 0; i < before->port.fixed_ips.size(); ++i) {
      (*gs.mutable_dhcp_states())[dhcpKey(before->port.id, i)] =
          dhcpState(before->port, i, schema::DELETE);
    }
  }
  if (after) {
    bool update = before && hb == ha;
    addPortBundle(out[ha], after->port, ha, update ? schema::UPDATE : schema::CREATE);
  }
  for (const auto& [host, snap] : membership) pushDiff(out, host, snap);

  // Neighbor announcements of this port to the other hosts.
  std::set<std::string> hosts;
  for (const auto& [h, k] : audience_before) hosts.insert(h);
  for (const auto& [h, k] : audience_after) hosts.insert(h);
  const std::string& id = before ? before->port.id : after->port.id;
  for (const auto& h : hosts) {
    int kb = audience_before.count(h) ? audience_before[h] : kNone;
    int ka = audience_after.count(h) ? audience_after[h] : kNone;
    for (auto [bit, type] : {std::pair{kL2, schema::L2}, std::pair{kL3, schema::L3}}) {
      std::string key = neighborKey(type, id);
      if (ka & bit) {
        bool same = (kb & bit) && before && after && hb == ha &&
                    before->port.mac_address == after->port.mac_address &&
                    before->port.fixed_ips == after->port.fixed_ips &&
                    before->port.allowed_address_pairs == after->port.allowed_address_pairs;
        if (!same) {
          addNeighborOf(out[h], after->port, ha, type,
                        (kb & bit) ? schema::UPDATE : schema::CREATE);
        }
      } else if (kb & bit) {
        (*out[h].mutable_neighbor_states())[key] = neighborDelete(id);
      }
    }
  }
  flush(out);
  securityGroupMembersChanged(before, after);
}

HostSnapshots Dpm::snapshotHostsOf(const std::set<std::string>& subnet_ids) const {
  HostSnapshots snaps;
  for (const auto& s : subnet_ids) {
    for (const auto& h : cache_.hostsInSubnet(s)) {
      if (!snaps.count(h)) snaps[h] = snapshot(h);
    }
  }
  return snaps;
}

void Dpm::hostsChanged(const HostSnapshots& before, const std::set<std::string>& subnet_ids) {
  HostSnapshots all = before;
  for (const auto& s : subnet_ids) {
    for (const auto& h : cache_.hostsInSubnet(s)) all.try_emplace(h);  // new: empty "before"
  }
  Fragments out;
  for (const auto& [host, snap] : all) pushDiff(out, host, snap);
  flush(out);
}

void Dpm::vpcChanged(const std::string& vpc_id) {
  const Vpc* vpc = topology_.findVpc(vpc_id);
  if (!vpc) return;
  Fragments out;
  topology_.forEachPort([&](const Port& p) {
    std::string host = cache_.hostOf(p.id);
    if (p.network_id != vpc_id || host.empty() || out.count(host)) return;
    schema::GoalStateV2& gs = out[host];
    (*gs.mutable_vpc_states())[vpc_id] = vpcState(*vpc, schema::UPDATE);
    for (const auto& gw_id : vpc->gateway_ids) {
      if (const Gateway* g = topology_.findGateway(gw_id)) {
        (*gs.mutable_gateway_states())[g->id] = gatewayState(*g, schema::CREATE);
      }
    }
  });
  flush(out);
}

void Dpm::subnetChanged(const std::string& subnet_id) {
  const Subnet* s = topology_.findSubnet(subnet_id);
  const Vpc* v = s ? topology_.findVpc(s->network_id) : nullptr;
  if (!v) return;
  Fragments out;
  for (const auto& h : cache_.hostsInSubnet(subnet_id)) {
    (*out[h].mutable_subnet_states())[subnet_id] = subnetState(*s, *v, schema::UPDATE);
  }
  flush(out);
}

void Dpm::gatewayChanged(const std::string& gateway_id, bool deleted) {
  const Gateway* g = topology_.findGateway(gateway_id);
  Fragments out;
  topology_.forEachPort([&](const Port& p) {
    const Vpc* vpc = topology_.findVpc(p.network_id);
    std::string host = cache_.hostOf(p.id);
    if (!vpc || host.empty() || !contains(vpc->gateway_ids, gateway_id)) return;
    auto& states = *out[host].mutable_gateway_states();
    if (deleted || !g) {
      states[gateway_id].set_operation_type(schema::DELETE);
      states[gateway_id].mutable_configuration()->set_id(gateway_id);
    } else {
      states[gateway_id] = gatewayState(*g, schema::UPDATE);
    }
  });
  flush(out);
}

schema::GoalStateV2 Dpm::fullState(const std::string& host_ip) const {
  schema::GoalStateV2 gs;
  for (const auto& id : cache_.portsOnHost(host_ip)) {
    if (const Port* p = topology_.findPort(id)) addPortBundle(gs, *p, host_ip, schema::CREATE);
  }
  HostSnapshot snap = snapshot(host_ip);
  for (const auto& key : snap.neighbor_keys) addNeighbor(gs, key, schema::CREATE);
  ALOG(Info, Dpm) << "full state for " << host_ip << ": " << gs.port_states_size() << " ports, "
                  << gs.neighbor_states_size() << " neighbors";
  return gs;
}

std::optional<schema::GoalStateV2> Dpm::onDemandState(const std::string& host_ip, uint32_t vni,
                                                      const std::string& destination_ip) const {
  std::optional<schema::GoalStateV2> result;
  topology_.forEachPort([&](const Port& p) {
    if (result) return;
    const Vpc* vpc = topology_.findVpc(p.network_id);
    if (!vpc || vpc->tunnel_id != vni) return;
    bool match = false;
    for (const auto& f : p.fixed_ips) match = match || f.ip_address == destination_ip;
    std::string host = cache_.hostOf(p.id);
    if (!match || host.empty()) return;
    // A host learns only about VPCs it has ports in (it could not be asking for its pods).
    bool host_in_vpc = false;
    for (const auto& id : cache_.portsOnHost(host_ip)) {
      const Port* own = topology_.findPort(id);
      host_in_vpc = host_in_vpc || (own && own->network_id == p.network_id);
    }
    if (!host_in_vpc) return;
    schema::GoalStateV2 gs;
    if (host != host_ip) {
      int kinds = neighborKinds(host_ip, subnetIdsOf(p));
      // A host without ports in the VPC's subnets still learns the address as an L2 neighbor.
      addNeighborOf(gs, p, host, (kinds & kL2) || kinds == kNone ? schema::L2 : schema::L3,
                    schema::CREATE);
    }
    result = std::move(gs);
  });
  return result;
}

}  // namespace alcor::controller
