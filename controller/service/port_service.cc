#include "controller/service/port_service.h"

#include <algorithm>
#include <set>

#include "controller/model/json_fields.h"
#include "lib/base/logging.h"

namespace alcor::controller {

void PortService::rollback(Allocations& alloc) {
  for (auto& [pool, ip] : alloc.ips) pool->release(ip);
  for (auto& mac : alloc.macs) store_.portMacs().release(mac);
  alloc = {};
}

// Resolves subnets, allocates or reserves addresses and the MAC, checks references. For an
// update, `existing` is the stored port: addresses it already holds are kept, not re-reserved.
Status PortService::prepareLocked(Port& p, Allocations& alloc, const Port* existing) {
  if (!store_.vpcs().find(p.project_id, p.network_id)) {
    return notFoundError("network " + p.network_id + " not found");
  }
  if (p.fixed_ips.empty()) {
    // Alcor's default: an address from the network's first subnet.
    for (const auto& [id, s] : store_.subnets().all()) {
      if (s.network_id == p.network_id) {
        p.fixed_ips.push_back({id, std::nullopt});
        break;
      }
    }
    if (p.fixed_ips.empty()) {
      return invalidArgumentError("network " + p.network_id + " has no subnet to allocate from");
    }
  }
  for (auto& f : p.fixed_ips) {
    if (f.subnet_id.empty() && !f.ip_address) {
      return invalidArgumentError("a fixed IP needs a subnet_id or an ip_address");
    }
    if (f.subnet_id.empty()) {
      for (const auto& [id, s] : store_.subnets().all()) {
        if (s.network_id == p.network_id && s.cidr.contains(*f.ip_address)) f.subnet_id = id;
      }
      if (f.subnet_id.empty()) {
        return invalidArgumentError(f.ip_address->toString() + " is in no subnet of network " +
                                    p.network_id);
      }
    }
    const Subnet* s = store_.subnets().find(p.project_id, f.subnet_id);
    if (!s) return notFoundError("subnet " + f.subnet_id + " not found");
    if (s->network_id != p.network_id) {
      return invalidArgumentError("subnet " + f.subnet_id + " is not in network " + p.network_id);
    }
    SubnetIpam* pool = store_.ipam(f.subnet_id);
    const bool held = existing && f.ip_address &&
                      std::find(existing->fixed_ips.begin(), existing->fixed_ips.end(), f) !=
                          existing->fixed_ips.end();
    if (held) continue;
    if (!f.ip_address) {
      ASSIGN_OR_RETURN(f.ip_address, pool->allocate());
    } else {
      RETURN_IF_ERROR(pool->reserve(*f.ip_address).withContext("subnet " + f.subnet_id));
    }
    alloc.ips.push_back({pool, *f.ip_address});
  }
  if (!p.mac_address) {
    if (existing) {
      p.mac_address = existing->mac_address;
    } else {
      ASSIGN_OR_RETURN(p.mac_address, store_.portMacs().allocate());
      alloc.macs.push_back(*p.mac_address);
    }
  } else if (!existing || existing->mac_address != p.mac_address) {
    RETURN_IF_ERROR(store_.portMacs().reserve(*p.mac_address));
    alloc.macs.push_back(*p.mac_address);
  }
  for (const auto& sg : p.security_groups) {
    if (!store_.groups().find(p.project_id, sg)) {
      return notFoundError("security group " + sg + " not found");
    }
  }
  return okStatus();
}

void PortService::releaseLocked(const Port& p) {
  for (const auto& f : p.fixed_ips) {
    SubnetIpam* pool = store_.ipam(f.subnet_id);
    if (pool && f.ip_address) pool->release(*f.ip_address);
  }
  if (p.mac_address) store_.portMacs().release(*p.mac_address);
}

StatusOr<Port> PortService::create(Port port) {
  std::vector<Port> one;
  one.push_back(std::move(port));
  ASSIGN_OR_RETURN(auto ports, createMany(std::move(one)));
  return std::move(ports.front());
}

StatusOr<std::vector<Port>> PortService::createMany(std::vector<Port> ports) {
  PolicyNotice notice;
  auto lock = store_.lock();
  Allocations alloc;
  std::vector<Mutation> batch;
  batch.reserve(ports.size());
  std::set<ResourceId> ids;
  for (auto& p : ports) {
    if (p.id.empty()) p.id = ResourceId::generate();
    if (store_.ports().find(p.id) || !ids.insert(p.id).second) {
      rollback(alloc);
      return alreadyExistsError("port " + p.id + " already exists");
    }
    p.status = PortStatus::kDown;
    if (Status st = prepareLocked(p, alloc, nullptr); !st.ok()) {
      rollback(alloc);
      return st;
    }
    policyGroupsOfNewPortLocked(p);
    notice.note(policy_hooks_, p);
    batch.push_back(ResourceStore::putMutation(p));
  }
  if (Status st = store_.persist(batch); !st.ok()) {
    rollback(alloc);
    return st;
  }
  batch = {};  // the JSON bodies are no longer needed
  std::vector<PortChange> changes;
  changes.reserve(ports.size());
  for (const auto& p : ports) {
    store_.put(p);
    if (auto pl = store_.placementOf(p)) changes.push_back({std::nullopt, std::move(pl)});
  }
  dpm_.portsChanged(changes);
  ALOG(Debug, Rest) << "created " << ports.size() << " port(s)";
  return ports;
}

StatusOr<Port> PortService::replaceLocked(const Port& old, Port p, Allocations& alloc) {
  // The status belongs to the controller: a new binding or address must be confirmed again.
  const bool reprogram =
      p.host_id != old.host_id || p.fixed_ips != old.fixed_ips || p.mac_address != old.mac_address;
  p.status = reprogram ? PortStatus::kDown : old.status;
  if (Status st = store_.persist({ResourceStore::putMutation(p)}); !st.ok()) {
    rollback(alloc);
    return st;
  }
  // Release what the old port held and the new one does not.
  for (const auto& f : old.fixed_ips) {
    if (std::find(p.fixed_ips.begin(), p.fixed_ips.end(), f) != p.fixed_ips.end()) continue;
    SubnetIpam* pool = store_.ipam(f.subnet_id);
    if (pool && f.ip_address) pool->release(*f.ip_address);
  }
  if (old.mac_address && old.mac_address != p.mac_address) {
    store_.portMacs().release(*old.mac_address);
  }
  auto before = store_.placementOf(old);
  store_.put(p);
  auto after = store_.placementOf(p);
  if (before || after) dpm_.portsChanged({{std::move(before), std::move(after)}});
  return p;
}

StatusOr<Port> PortService::update(const std::string& project, const ResourceId& id, Port p) {
  PolicyNotice notice;
  auto lock = store_.lock();
  const Port* found = store_.ports().find(project, id);
  if (!found) return notFoundError("port " + id + " not found");
  Port old = *found;
  // NetworkPolicy's groups are not the caller's to change.
  p.policy_security_groups = old.policy_security_groups;
  p.policy_address_groups = old.policy_address_groups;
  if (p.id != id || p.project_id != old.project_id) {
    return invalidArgumentError("port id and project_id cannot change");
  }
  if (p.network_id != old.network_id) return invalidArgumentError("port.network_id cannot change");
  Allocations alloc;
  if (Status st = prepareLocked(p, alloc, &old); !st.ok()) {
    rollback(alloc);
    return st;
  }
  notice.note(policy_hooks_, old);
  notice.note(policy_hooks_, p);
  return replaceLocked(old, std::move(p), alloc);
}

StatusOr<Port> PortService::setSecurityGroups(const std::string& project, const ResourceId& id,
                                              std::vector<ResourceId> group_ids) {
  PolicyNotice notice;
  auto lock = store_.lock();
  const Port* found = store_.ports().find(project, id);
  if (!found) return notFoundError("port " + id + " not found");
  Port old = *found;
  for (const auto& g : group_ids) {
    if (!store_.groups().find(old.project_id, g)) {
      return notFoundError("security group " + g + " not found");
    }
  }
  notice.note(policy_hooks_, old);
  Port p = old;
  p.security_groups = std::move(group_ids);
  Allocations none;
  return replaceLocked(old, std::move(p), none);
}

StatusOr<Port> PortService::get(const std::string& project, const ResourceId& id) const {
  auto lock = store_.lock();
  const Port* p = store_.ports().find(project, id);
  if (!p) return notFoundError("port " + id + " not found");
  return *p;
}

std::vector<Port> PortService::list(const std::string& project, const PortFilter& f) const {
  auto lock = store_.lock();
  std::vector<Port> out;
  auto match = [](const std::string& want, const std::string& have) {
    return want.empty() || want == have;
  };
  for (const auto& [id, p] : store_.ports().all()) {
    if (p.project_id == project && match(f.device_id, p.device_id) && match(f.host_id, p.host_id) &&
        match(f.network_id, p.network_id.str()) && match(f.name, p.name) &&
        match(f.status, enumName(p.status)) && match(f.device_owner, p.device_owner)) {
      out.push_back(p);
    }
  }
  return out;
}

Status PortService::remove(const std::string& project, const ResourceId& id) {
  PolicyNotice notice;
  auto lock = store_.lock();
  const Port* p = store_.ports().find(project, id);
  if (!p) return notFoundError("port " + id + " not found");
  notice.note(policy_hooks_, *p);
  RETURN_IF_ERROR(store_.persist({ResourceStore::eraseMutation<Port>(id)}));
  Port old = *p;
  releaseLocked(old);
  auto before = store_.placementOf(old);
  store_.erase<Port>(id);
  if (before) dpm_.portsChanged({{std::move(before), std::nullopt}});
  return okStatus();
}

void PortService::markActive(const std::string& host_ip, const std::vector<std::string>& port_ids) {
  std::vector<std::string> changed;
  std::function<void(const std::string&)> observer;
  {
    auto lock = store_.lock();
    std::vector<Mutation> batch;
    std::vector<Port> updated;
    for (const auto& text : port_ids) {
      auto id = ResourceId::parse(text);
      const Port* p = id.ok() ? store_.ports().find(*id) : nullptr;
      if (!p || p->status == PortStatus::kActive) continue;
      auto pl = store_.placementOf(*p);
      if (!pl || pl->host_ip != host_ip) continue;  // moved meanwhile: wait for the new host
      Port port = *p;
      port.status = PortStatus::kActive;
      batch.push_back(ResourceStore::putMutation(port));
      updated.push_back(std::move(port));
      changed.push_back(text);
    }
    if (Status st = store_.persist(batch); !st.ok()) {
      ALOG(Error, Store) << "cannot record ACTIVE ports: " << st;
      return;
    }
    for (auto& p : updated) store_.put(std::move(p));
    observer = active_observer_;
  }
  if (observer) {
    for (const auto& id : changed) observer(id);
  }
}

void PortService::setActiveObserver(std::function<void(const std::string&)> observer) {
  auto lock = store_.lock();
  active_observer_ = std::move(observer);
}

// ---- NetworkPolicy ----

void PortService::setPolicyHooks(PolicyPortHooks hooks) {
  auto lock = store_.lock();
  policy_hooks_ = std::move(hooks);
}

void PortService::PolicyNotice::note(const PolicyPortHooks& hooks, const Port& port) {
  if (hooks.ports_changed && port.device_owner == hooks.owner) changed_ = hooks.ports_changed;
}

PortService::PolicyNotice::~PolicyNotice() {
  if (changed_) changed_();
}

void PortService::policyGroupsOfNewPortLocked(Port& p) const {
  p.policy_security_groups.clear();
  p.policy_address_groups.clear();
  if (!policy_hooks_.groups_for_new_port || p.device_owner != policy_hooks_.owner) return;
  auto m = policy_hooks_.groups_for_new_port(p.device_id, !p.security_groups.empty());
  if (!m) return;
  for (const auto& id : m->filter) {
    if (store_.groups().find(id)) p.policy_security_groups.push_back(id);
  }
  for (const auto& id : m->address) {
    if (store_.groups().find(id)) p.policy_address_groups.push_back(id);
  }
}

}  // namespace alcor::controller
