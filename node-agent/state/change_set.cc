#include "node-agent/state/change_set.h"

namespace alcor::agent {

bool ChangeSet::empty() const {
  return !whole_state && vpcs.empty() && subnets.empty() && ports.empty() && neighbors.empty() &&
         dhcp.empty() && routers.empty() && gateways.empty() && security_groups.empty() &&
         interfaces.empty() && host_gateways.empty();
}

void ChangeSet::merge(const ChangeSet& o) {
  whole_state = whole_state || o.whole_state;
  vpcs.insert(o.vpcs.begin(), o.vpcs.end());
  subnets.insert(o.subnets.begin(), o.subnets.end());
  ports.insert(o.ports.begin(), o.ports.end());
  neighbors.insert(o.neighbors.begin(), o.neighbors.end());
  dhcp.insert(o.dhcp.begin(), o.dhcp.end());
  routers.insert(o.routers.begin(), o.routers.end());
  gateways.insert(o.gateways.begin(), o.gateways.end());
  security_groups.insert(o.security_groups.begin(), o.security_groups.end());
  interfaces.insert(o.interfaces.begin(), o.interfaces.end());
  host_gateways.insert(o.host_gateways.begin(), o.host_gateways.end());
}

}  // namespace alcor::agent
