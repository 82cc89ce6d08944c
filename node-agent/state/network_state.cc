#include "node-agent/state/network_state.h"

namespace alcor::agent {

const Subnet* NetworkState::subnet(const std::string& id) const {
  auto it = subnets.find(id);
  return it == subnets.end() ? nullptr : &it->second;
}

const Vpc* NetworkState::vpc(const std::string& id) const {
  auto it = vpcs.find(id);
  return it == vpcs.end() ? nullptr : &it->second;
}

uint32_t NetworkState::vniOfPort(const Port& port) const {
  for (const auto& ip : port.fixed_ips) {
    if (const Subnet* s = subnet(ip.subnet_id); s && s->vni != 0) return s->vni;
  }
  const Vpc* v = vpc(port.vpc_id);
  return v ? v->vni : 0;
}

bool NetworkState::portIsPlugged(const std::string& port_id) const {
  auto i = interfaces.find(port_id);
  return i != interfaces.end() && i->second.ofport != 0 && ports.count(port_id) > 0;
}

const HostGateway* NetworkState::pluggedHostGateway(const std::string& port_id) const {
  if (!ports.count(port_id)) return nullptr;
  for (const auto& [vpc_id, gateway] : host_gateways) {
    if (gateway.port_id == port_id && gateway.ofport != 0) return &gateway;
  }
  return nullptr;
}

const Router* NetworkState::routerOfSubnet(const std::string& subnet_id) const {
  for (const auto& [id, router] : routers) {
    for (const auto& rs : router.subnets) {
      if (rs.subnet_id == subnet_id) return &router;
    }
  }
  return nullptr;
}

std::set<uint32_t> NetworkState::localVnis() const {
  std::set<uint32_t> out;
  for (const auto& [id, port] : ports) {
    if (portIsPlugged(id) || pluggedHostGateway(id)) {
      if (uint32_t vni = vniOfPort(port); vni != 0) out.insert(vni);
    }
  }
  return out;
}

}  // namespace alcor::agent
