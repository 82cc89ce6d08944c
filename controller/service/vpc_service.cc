#include "controller/service/vpc_service.h"

namespace alcor::controller {

StatusOr<Vpc> VpcService::create(Vpc v) {
  auto lock = store_.lock();
  if (v.id.empty()) v.id = ResourceId::generate();
  if (store_.vpcs().find(v.id)) return alreadyExistsError("VPC " + v.id + " already exists");
  for (const auto& g : v.gateway_ids) {
    if (!store_.gateways().find(v.project_id, g))
      return notFoundError("gateway " + g + " not found");
  }
  if (v.tunnel_id == 0) {
    ASSIGN_OR_RETURN(v.tunnel_id, store_.vnis().allocate());
  } else {
    RETURN_IF_ERROR(store_.vnis().reserve(v.tunnel_id));
  }
  if (Status st = store_.persist({ResourceStore::putMutation(v)}); !st.ok()) {
    store_.vnis().release(v.tunnel_id);
    return st;
  }
  store_.put(v);
  return v;
}

StatusOr<Vpc> VpcService::update(const std::string& project, const ResourceId& id, Vpc v) {
  auto lock = store_.lock();
  const Vpc* old = store_.vpcs().find(project, id);
  if (!old) return notFoundError("VPC " + id + " not found");
  if (v.id != id || v.project_id != old->project_id) {
    return invalidArgumentError("network.id and project_id cannot change");
  }
  if (v.tunnel_id != old->tunnel_id) return invalidArgumentError("network.tunnel_id cannot change");
  if (v.cidr != old->cidr) return invalidArgumentError("network.cidr cannot change");
  for (const auto& g : v.gateway_ids) {
    if (!store_.gateways().find(project, g)) return notFoundError("gateway " + g + " not found");
  }
  std::set<ResourceId> subnet_ids;
  for (const auto& [sid, s] : store_.subnets().all()) {
    if (s.network_id == id) subnet_ids.insert(sid);
  }
  HostSnapshots before = dpm_.snapshotHostsOf(subnet_ids);
  RETURN_IF_ERROR(store_.persist({ResourceStore::putMutation(v)}));
  store_.put(v);
  dpm_.vpcChanged(id);
  dpm_.hostsChanged(before, subnet_ids);
  return v;
}

StatusOr<Vpc> VpcService::get(const std::string& project, const ResourceId& id) const {
  auto lock = store_.lock();
  const Vpc* v = store_.vpcs().find(project, id);
  if (!v) return notFoundError("VPC " + id + " not found");
  return *v;
}

std::vector<Vpc> VpcService::list(const std::string& project) const {
  auto lock = store_.lock();
  return store_.vpcs().list(project);
}

Status VpcService::remove(const std::string& project, const ResourceId& id) {
  auto lock = store_.lock();
  const Vpc* v = store_.vpcs().find(project, id);
  if (!v) return notFoundError("VPC " + id + " not found");
  for (const auto& [sid, s] : store_.subnets().all()) {
    if (s.network_id == id)
      return failedPreconditionError("VPC " + id + " still has subnet " + sid);
  }
  RETURN_IF_ERROR(store_.persist({ResourceStore::eraseMutation<Vpc>(id)}));
  store_.vnis().release(v->tunnel_id);
  store_.erase<Vpc>(id);
  return okStatus();
}

}  // namespace alcor::controller
