#include "controller/service/subnet_service.h"

namespace alcor::controller {

StatusOr<Subnet> SubnetService::create(Subnet s) {
  auto lock = store_.lock();
  if (s.id.empty()) s.id = ResourceId::generate();
  if (store_.subnets().find(s.id)) return alreadyExistsError("subnet " + s.id + " already exists");
  const Vpc* vpc = store_.vpcs().find(s.project_id, s.network_id);
  if (!vpc) return notFoundError("network " + s.network_id + " not found");
  if (vpc->cidr &&
      (!vpc->cidr->contains(s.cidr.network()) || s.cidr.length() < vpc->cidr->length())) {
    return invalidArgumentError("subnet " + s.cidr.toString() + " is outside network " +
                                vpc->cidr->toString());
  }
  for (const auto& [id, other] : store_.subnets().all()) {
    if (other.network_id == s.network_id && other.cidr.overlaps(s.cidr)) {
      return alreadyExistsError("subnet " + s.cidr.toString() + " overlaps subnet " + id + " (" +
                                other.cidr.toString() + ")");
    }
  }
  if (!s.gateway_ip) s.gateway_ip = Ipv4Address(s.cidr.network().value() + 1);
  const bool allocated = !s.gateway_mac;
  if (allocated) {
    ASSIGN_OR_RETURN(s.gateway_mac, store_.portMacs().allocate());
  } else {
    RETURN_IF_ERROR(store_.portMacs().reserve(*s.gateway_mac));
  }
  if (Status st = store_.persist({ResourceStore::putMutation(s)}); !st.ok()) {
    store_.portMacs().release(*s.gateway_mac);
    return st;
  }
  store_.put(s);
  return s;
}

StatusOr<Subnet> SubnetService::update(const std::string& project, const ResourceId& id, Subnet s) {
  auto lock = store_.lock();
  const Subnet* old = store_.subnets().find(project, id);
  if (!old) return notFoundError("subnet " + id + " not found");
  if (s.id != id || s.project_id != old->project_id || s.network_id != old->network_id ||
      s.cidr != old->cidr || s.gateway_ip != old->gateway_ip || s.gateway_mac != old->gateway_mac) {
    return invalidArgumentError("subnet id, network_id, cidr and gateway cannot change");
  }
  RETURN_IF_ERROR(store_.persist({ResourceStore::putMutation(s)}));
  store_.put(s);
  dpm_.subnetChanged(id);
  return s;
}

StatusOr<Subnet> SubnetService::get(const std::string& project, const ResourceId& id) const {
  auto lock = store_.lock();
  const Subnet* s = store_.subnets().find(project, id);
  if (!s) return notFoundError("subnet " + id + " not found");
  return *s;
}

std::vector<Subnet> SubnetService::list(const std::string& project) const {
  auto lock = store_.lock();
  return store_.subnets().list(project);
}

Status SubnetService::remove(const std::string& project, const ResourceId& id) {
  auto lock = store_.lock();
  const Subnet* s = store_.subnets().find(project, id);
  if (!s) return notFoundError("subnet " + id + " not found");
  if (store_.ipam(id)->usedCount() > 0) {
    return failedPreconditionError("subnet " + id + " still has ports");
  }
  if (auto routers = store_.routersOfSubnet(id); !routers.empty()) {
    return failedPreconditionError("subnet " + id + " is attached to router " + routers[0]->id);
  }
  RETURN_IF_ERROR(store_.persist({ResourceStore::eraseMutation<Subnet>(id)}));
  if (s->gateway_mac) store_.portMacs().release(*s->gateway_mac);
  store_.erase<Subnet>(id);
  return okStatus();
}

}  // namespace alcor::controller
