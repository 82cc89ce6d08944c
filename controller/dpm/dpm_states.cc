// DPM: the encoded states it queues. A neighbor's state, a subnet's context, are built and
// serialized once and kept until the resource changes; every host that needs one gets the same
// bytes.

#include "controller/dpm/dpm.h"
#include "controller/dpm/goalstate_builder.h"

namespace alcor::controller {

namespace {
std::string cacheKey(const std::string& key, schema::OperationType op) {
  return key + "#" + std::to_string(static_cast<int>(op));
}
}  // namespace

std::vector<ResourceId> subnetIdsOf(const Port& port) {
  std::vector<ResourceId> out;
  for (const auto& f : port.fixed_ips) {
    if (std::find(out.begin(), out.end(), f.subnet_id) == out.end()) out.push_back(f.subnet_id);
  }
  return out;
}

std::string Dpm::hostMac(const std::string& host_ip) const {
  const Node* n = topology_.findNodeByIp(host_ip);
  return n ? textOf(n->mac_address) : std::string();
}

StatePtr Dpm::subnetContext(const ResourceId& subnet_id, schema::OperationType op) {
  const Subnet* s = topology_.findSubnet(subnet_id);
  const Vpc* v = s ? topology_.findVpc(s->network_id) : nullptr;
  if (!v) return nullptr;
  StatePtr& cached = context_states_[cacheKey(subnet_id.str(), op)];
  if (!cached) {
    StatePtr& vpc = context_states_[cacheKey("vpc/" + v->id.str(), op)];
    if (!vpc) vpc = encodeState(schema::VPC, v->id.str(), vpcState(*v, op));
    cached = encodeState(schema::SUBNET, s->id.str(), controller::subnetState(*s, *v, op), {vpc});
  }
  return cached;
}

std::vector<StatePtr> Dpm::contextOf(const Port& port, schema::OperationType op) {
  std::vector<StatePtr> out;
  for (const auto& s : subnetIdsOf(port)) {
    if (StatePtr c = subnetContext(s, op)) out.push_back(std::move(c));
  }
  return out;
}

StatePtr Dpm::neighborState(const Port& port, const std::string& port_host,
                            schema::NeighborType type, schema::OperationType op) {
  const Vpc* vpc = topology_.findVpc(port.network_id);
  if (!vpc) return nullptr;
  std::string key = neighborKey(type, port.id);
  StatePtr& cached = neighbor_states_[cacheKey(key, op)];
  if (!cached) {
    schema::NeighborState st =
        controller::neighborState(port, *vpc, port_host, hostMac(port_host), type, op);
    st.mutable_configuration()->set_revision_number(++neighbor_revision_);
    cached = encodeState(schema::NEIGHBOR, key, st, contextOf(port, schema::INFO));
  }
  return cached;
}

StatePtr Dpm::neighborDeleteState(schema::NeighborType type, const ResourceId& port_id) {
  schema::NeighborState st = neighborDelete(port_id);
  st.mutable_configuration()->set_revision_number(++neighbor_revision_);
  return encodeState(schema::NEIGHBOR, neighborKey(type, port_id), st);
}

void Dpm::forgetPortStates(const ResourceId& port_id) {
  for (auto type : {schema::L2, schema::L3}) {
    for (auto op : {schema::CREATE, schema::UPDATE}) {
      neighbor_states_.erase(cacheKey(neighborKey(type, port_id), op));
    }
  }
}

void Dpm::forgetAllStates() {
  neighbor_states_.clear();
  context_states_.clear();
}

StatePtr Dpm::routerState(const Router& r, const std::string& host_ip, schema::OperationType op) {
  std::map<ResourceId, const Subnet*> subnets;
  std::vector<StatePtr> context;
  for (const auto& iface : r.interfaces) {
    subnets[iface.subnet_id] = topology_.findSubnet(iface.subnet_id);
    if (StatePtr c = subnetContext(iface.subnet_id, schema::INFO)) context.push_back(std::move(c));
  }
  // The host's own DVR MAC: a router's state differs per host.
  const Node* n = topology_.findNodeByIp(host_ip);
  return encodeState(schema::ROUTER, r.id.str(),
                     controller::routerState(r, n ? textOf(n->host_dvr_mac) : "", subnets, op),
                     std::move(context));
}

StatePtr Dpm::gatewayState(const Gateway& g, schema::OperationType op) {
  return encodeState(schema::GATEWAY, g.id.str(), controller::gatewayState(g, op));
}

void Dpm::addPortBundle(Delivery& out, const Port& p, const std::string& host_ip,
                        schema::OperationType op) {
  std::vector<StatePtr> context = contextOf(p, schema::CREATE);
  out.add(host_ip, encodeState(schema::PORT, p.id.str(),
                               portState(p, host_ip, hostMac(host_ip), op), context));
  for (size_t i = 0; i < p.fixed_ips.size(); ++i) {
    const Subnet* s = topology_.findSubnet(p.fixed_ips[i].subnet_id);
    if (s && s->enable_dhcp) {
      out.add(host_ip, encodeState(schema::DHCP, dhcpKey(p.id, i), dhcpState(p, i, op), context));
    }
  }
  addSecurityGroups(out, host_ip, p);
  if (const Vpc* vpc = topology_.findVpc(p.network_id)) {
    for (const auto& gw_id : vpc->gateway_ids) {
      if (const Gateway* g = topology_.findGateway(gw_id)) {
        out.add(host_ip, gatewayState(*g, schema::CREATE));
      }
    }
  }
  for (const auto& s : subnetIdsOf(p)) {
    for (const Router* r : topology_.routersOfSubnet(s)) {
      out.add(host_ip, routerState(*r, host_ip, schema::CREATE));
    }
  }
}

void Dpm::addPortDelete(Delivery& out, const Port& p, const std::string& host_ip) {
  std::vector<StatePtr> context = contextOf(p, schema::INFO);
  out.add(host_ip, encodeState(schema::PORT, p.id.str(),
                               portState(p, host_ip, hostMac(host_ip), schema::DELETE), context));
  for (size_t i = 0; i < p.fixed_ips.size(); ++i) {
    out.add(host_ip,
            encodeState(schema::DHCP, dhcpKey(p.id, i), dhcpState(p, i, schema::DELETE), context));
  }
}

}  // namespace alcor::controller
