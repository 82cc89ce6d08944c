// DPM: neighbors learned on demand (RequestGoalStates). A host asking for a destination gets the
// neighbor state of the port behind it, and the DPM remembers that it did: the port's later
// updates and its delete reach that host too, though it is in none of the port's subnets.

#include "controller/dpm/dpm.h"
#include "controller/dpm/goalstate_builder.h"

namespace alcor::controller {

std::optional<std::vector<StatePtr>> Dpm::onDemandState(const std::string& host_ip, uint32_t vni,
                                                        Ipv4Address destination_ip) {
  const Vpc* vpc = topology_.findVpcByVni(vni);
  const Port* port = vpc ? topology_.findPortByAddress(vpc->id, destination_ip) : nullptr;
  if (!port) return std::nullopt;
  const std::string& port_host = cache_.hostOf(port->id);
  if (port_host.empty()) return std::nullopt;
  // A host learns only about VPCs it has ports in (it could not be asking for its pods).
  bool host_in_vpc = false;
  for (const auto& id : cache_.portsOnHost(host_ip)) {
    const Port* own = topology_.findPort(id);
    host_in_vpc = host_in_vpc || (own && own->network_id == vpc->id);
  }
  if (!host_in_vpc) return std::nullopt;
  std::vector<StatePtr> states;
  if (port_host == host_ip) return states;
  int kinds = neighborKinds(host_ip, subnetIdsOf(*port));
  // A host without ports in the port's subnets still learns the address as an L2 neighbor.
  schema::NeighborType type = (kinds & kL2) || kinds == kNone ? schema::L2 : schema::L3;
  if (StatePtr s = neighborState(*port, port_host, type, schema::CREATE)) states.push_back(s);
  on_demand_[port->id][host_ip] = type;
  return states;
}

void Dpm::onDemandHostsChanged(Delivery& out, const std::optional<PortPlacement>& before,
                               const std::optional<PortPlacement>& after,
                               const std::map<std::string, int>& audience_after) {
  const ResourceId& id = before ? before->port.id : after->port.id;
  auto it = on_demand_.find(id);
  if (it == on_demand_.end()) return;
  const bool gone = !after;
  const bool same = before && after && sameNeighbor(*before, *after);
  for (auto h = it->second.begin(); h != it->second.end();) {
    const auto& [host, type] = *h;
    const bool own = after && after->host_ip == host;  // the port moved onto that host
    if (gone || own) {
      out.add(host, neighborDeleteState(type, id));
      h = it->second.erase(h);
      continue;
    }
    // A host that now gets this kind of neighbor as a member of the port's subnets already has
    // it in this change's announcements.
    auto a = audience_after.find(host);
    const int bit = type == schema::L3 ? kL3 : kL2;
    const bool announced = a != audience_after.end() && (a->second & bit);
    if (!same && !announced) {
      if (StatePtr s = neighborState(after->port, after->host_ip, type, schema::UPDATE)) {
        out.add(host, s);
      }
    }
    ++h;
  }
  if (it->second.empty()) on_demand_.erase(it);
}

void Dpm::hostReset(const std::string& host_ip) {
  for (auto it = on_demand_.begin(); it != on_demand_.end();) {
    it->second.erase(host_ip);
    it = it->second.empty() ? on_demand_.erase(it) : std::next(it);
  }
}

std::set<std::string> Dpm::onDemandHostsOf(const ResourceId& port_id) const {
  std::set<std::string> out;
  auto it = on_demand_.find(port_id);
  if (it != on_demand_.end()) {
    for (const auto& [host, type] : it->second) out.insert(host);
  }
  return out;
}

}  // namespace alcor::controller
