#include "controller/service/gateway_service.h"

#include <algorithm>

namespace alcor::controller {

StatusOr<Gateway> GatewayService::create(Gateway g) {
  auto lock = store_.lock();
  if (g.id.empty()) g.id = ResourceId::generate();
  if (store_.gateways().find(g.id))
    return alreadyExistsError("gateway " + g.id + " already exists");
  RETURN_IF_ERROR(store_.persist({ResourceStore::putMutation(g)}));
  store_.put(g);
  return g;
}

StatusOr<Gateway> GatewayService::update(const std::string& project, const ResourceId& id,
                                         Gateway g) {
  auto lock = store_.lock();
  const Gateway* old = store_.gateways().find(project, id);
  if (!old) return notFoundError("gateway " + id + " not found");
  if (g.id != id || g.project_id != old->project_id) {
    return invalidArgumentError("gateway id and project_id cannot change");
  }
  RETURN_IF_ERROR(store_.persist({ResourceStore::putMutation(g)}));
  store_.put(g);
  dpm_.gatewayChanged(id);
  return g;
}

StatusOr<Gateway> GatewayService::get(const std::string& project, const ResourceId& id) const {
  auto lock = store_.lock();
  const Gateway* g = store_.gateways().find(project, id);
  if (!g) return notFoundError("gateway " + id + " not found");
  return *g;
}

std::vector<Gateway> GatewayService::list(const std::string& project) const {
  auto lock = store_.lock();
  return store_.gateways().list(project);
}

Status GatewayService::remove(const std::string& project, const ResourceId& id) {
  auto lock = store_.lock();
  if (!store_.gateways().find(project, id)) return notFoundError("gateway " + id + " not found");
  for (const auto& [vid, v] : store_.vpcs().all()) {
    if (std::find(v.gateway_ids.begin(), v.gateway_ids.end(), id) != v.gateway_ids.end()) {
      return failedPreconditionError("gateway " + id + " is used by VPC " + vid);
    }
  }
  RETURN_IF_ERROR(store_.persist({ResourceStore::eraseMutation<Gateway>(id)}));
  store_.erase<Gateway>(id);
  return okStatus();
}

}  // namespace alcor::controller
