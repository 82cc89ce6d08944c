// NetworkService: ports (allocation, bulk, filters, ACTIVE marks).

#include "controller/model/json_codec.h"
#include "controller/service/network_service.h"
#include "lib/base/logging.h"
#include "lib/base/uuid.h"

namespace alcor::controller {

void NetworkService::rollback(PortAllocations& alloc) {
  for (auto& [ipam, ip] : alloc.ips) ipam->release(ip);
  for (auto& mac : alloc.macs) port_macs_.release(mac);
  alloc = {};
}

// Resolves subnets, allocates or reserves addresses and the MAC, checks references. For an
// update, `existing` is the stored port: addresses it already holds are kept, not re-reserved.
Status NetworkService::preparePortLocked(Port& p, PortAllocations& alloc, const Port* existing) {
  const Vpc* vpc = scoped(vpcs_, p.project_id, p.network_id);
  if (!vpc) return notFoundError("network " + p.network_id + " not found");
  if (p.fixed_ips.empty()) {
    // Alcor's default: an address from the network's first subnet.
    for (const auto& [id, s] : subnets_) {
      if (s.network_id == p.network_id) {
        p.fixed_ips.push_back({id, ""});
        break;
      }
    }
    if (p.fixed_ips.empty()) {
      return invalidArgumentError("network " + p.network_id + " has no subnet to allocate from");
    }
  }
  for (auto& f : p.fixed_ips) {
    if (f.subnet_id.empty()) {
      auto ip = *Ipv4Address::parse(f.ip_address);
      for (const auto& [id, s] : subnets_) {
        if (s.network_id == p.network_id && Ipv4Prefix::parse(s.cidr)->contains(ip)) {
          f.subnet_id = id;
        }
      }
      if (f.subnet_id.empty()) {
        return invalidArgumentError(f.ip_address + " is in no subnet of network " + p.network_id);
      }
    }
    const Subnet* s = scoped(subnets_, p.project_id, f.subnet_id);
    if (!s) return notFoundError("subnet " + f.subnet_id + " not found");
    if (s->network_id != p.network_id) {
      return invalidArgumentError("subnet " + f.subnet_id + " is not in network " + p.network_id);
    }
    SubnetIpam* ipam = ipam_.at(f.subnet_id).get();
    bool held = false;
    if (existing) {
      for (const auto& old : existing->fixed_ips) {
        held = held || (old.subnet_id == f.subnet_id && old.ip_address == f.ip_address &&
                        !f.ip_address.empty());
      }
    }
    if (held) continue;
    if (f.ip_address.empty()) {
      ASSIGN_OR_RETURN(Ipv4Address ip, ipam->allocate());
      f.ip_address = ip.toString();
      alloc.ips.push_back({ipam, ip});
    } else {
      Ipv4Address ip = *Ipv4Address::parse(f.ip_address);
      RETURN_IF_ERROR(ipam->reserve(ip).withContext("subnet " + f.subnet_id));
      alloc.ips.push_back({ipam, ip});
    }
  }
  if (p.mac_address.empty()) {
    if (existing) {
      p.mac_address = existing->mac_address;
    } else {
      ASSIGN_OR_RETURN(MacAddress m, port_macs_.allocate());
      p.mac_address = m.toString();
      alloc.macs.push_back(m);
    }
  } else if (!existing || existing->mac_address != p.mac_address) {
    MacAddress m = *MacAddress::parse(p.mac_address);
    RETURN_IF_ERROR(port_macs_.reserve(m));
    alloc.macs.push_back(m);
  }
  for (const auto& sg : p.security_groups) {
    if (!scoped(groups_, p.project_id, sg))
      return notFoundError("security group " + sg + " not found");
  }
  return okStatus();
}

void NetworkService::releasePortLocked(const Port& p) {
  for (const auto& f : p.fixed_ips) {
    auto it = ipam_.find(f.subnet_id);
    auto ip = Ipv4Address::parse(f.ip_address);
    if (it != ipam_.end() && ip.ok()) it->second->release(*ip);
  }
  if (auto m = MacAddress::parse(p.mac_address); m.ok()) port_macs_.release(*m);
}

StatusOr<Port> NetworkService::createPort(Port port) {
  ASSIGN_OR_RETURN(auto ports, createPorts({std::move(port)}));
  return ports.front();
}

StatusOr<std::vector<Port>> NetworkService::createPorts(std::vector<Port> ports) {
  PortsChangedNotice notice{*this};
  std::lock_guard lock(mu_);
  PortAllocations alloc;
  std::vector<Mutation> batch;
  std::set<std::string> ids;
  for (auto& p : ports) {
    if (p.id.empty()) p.id = newUuid();
    if (ports_.count(p.id) || !ids.insert(p.id).second) {
      rollback(alloc);
      return alreadyExistsError("port " + p.id + " already exists");
    }
    p.status = kPortDown;
    Status st = preparePortLocked(p, alloc, nullptr);
    if (!st.ok()) {
      rollback(alloc);
      return st;
    }
    applyPolicyMembershipLocked(p);
    batch.push_back(Mutation::put(Kind::kPort, p.id, toJson(p).dump()));
  }
  if (Status st = store_.apply(batch); !st.ok()) {
    rollback(alloc);
    return st;
  }
  for (const auto& p : ports) {
    ports_[p.id] = p;
    if (auto pl = placementLocked(p)) dpm_.portChanged(std::nullopt, pl);
  }
  ALOG(Debug, Rest) << "created " << ports.size() << " port(s)";
  return ports;
}

StatusOr<Port> NetworkService::updatePort(const std::string& project, const std::string& id,
                                          Port p) {
  PortsChangedNotice notice{*this};
  std::lock_guard lock(mu_);
  const Port* found = scoped(ports_, project, id);
  if (!found) return notFoundError("port " + id + " not found");
  Port old = *found;
  // NetworkPolicy's groups are not the caller's to change.
  p.policy_security_groups = old.policy_security_groups;
  p.policy_address_groups = old.policy_address_groups;
  if (p.id != id || p.project_id != old.project_id) {
    return invalidArgumentError("port id and project_id cannot change");
  }
  if (p.network_id != old.network_id) return invalidArgumentError("port.network_id cannot change");
  PortAllocations alloc;
  if (Status st = preparePortLocked(p, alloc, &old); !st.ok()) {
    rollback(alloc);
    return st;
  }
  // The status belongs to the controller: a new binding or address must be confirmed again.
  bool reprogram =
      p.host_id != old.host_id || p.fixed_ips != old.fixed_ips || p.mac_address != old.mac_address;
  p.status = reprogram ? kPortDown : old.status;
  if (Status st = store_.apply({Mutation::put(Kind::kPort, id, toJson(p).dump())}); !st.ok()) {
    rollback(alloc);
    return st;
  }
  // Release what the old port held and the new one does not.
  for (const auto& f : old.fixed_ips) {
    if (std::find(p.fixed_ips.begin(), p.fixed_ips.end(), f) == p.fixed_ips.end()) {
      auto it = ipam_.find(f.subnet_id);
      if (it != ipam_.end()) it->second->release(*Ipv4Address::parse(f.ip_address));
    }
  }
  if (old.mac_address != p.mac_address) port_macs_.release(*MacAddress::parse(old.mac_address));
  auto before = placementLocked(old);
  ports_[id] = p;
  auto after = placementLocked(p);
  if (before || after) dpm_.portChanged(before, after);
  return p;
}

StatusOr<Port> NetworkService::getPort(const std::string& project, const std::string& id) const {
  std::lock_guard lock(mu_);
  return getScoped(ports_, project, id, "port");
}

std::vector<Port> NetworkService::listPorts(const std::string& project, const PortFilter& f) const {
  std::lock_guard lock(mu_);
  std::vector<Port> out;
  auto match = [](const std::string& want, const std::string& have) {
    return want.empty() || want == have;
  };
  for (const auto& [id, p] : ports_) {
    if (p.project_id == project && match(f.device_id, p.device_id) && match(f.host_id, p.host_id) &&
        match(f.network_id, p.network_id) && match(f.name, p.name) && match(f.status, p.status) &&
        match(f.device_owner, p.device_owner)) {
      out.push_back(p);
    }
  }
  return out;
}

Status NetworkService::deletePort(const std::string& project, const std::string& id) {
  PortsChangedNotice notice{*this};
  std::lock_guard lock(mu_);
  const Port* p = scoped(ports_, project, id);
  if (!p) return notFoundError("port " + id + " not found");
  RETURN_IF_ERROR(store_.apply({Mutation::erase(Kind::kPort, id)}));
  Port old = *p;
  releasePortLocked(old);
  auto before = placementLocked(old);
  ports_.erase(id);
  if (before) dpm_.portChanged(before, std::nullopt);
  return okStatus();
}

void NetworkService::markPortsActive(const std::string& host_ip,
                                     const std::vector<std::string>& port_ids) {
  std::vector<std::string> changed;
  std::function<void(const std::string&)> observer;
  {
    std::lock_guard lock(mu_);
    std::vector<Mutation> batch;
    for (const auto& id : port_ids) {
      auto it = ports_.find(id);
      if (it == ports_.end() || it->second.status == kPortActive) continue;
      auto pl = placementLocked(it->second);
      if (!pl || pl->host_ip != host_ip) continue;  // moved meanwhile: wait for the new host
      Port updated = it->second;
      updated.status = kPortActive;
      batch.push_back(Mutation::put(Kind::kPort, id, toJson(updated).dump()));
      changed.push_back(id);
    }
    if (Status st = store_.apply(batch); !st.ok()) {
      ALOG(Error, Store) << "cannot record ACTIVE ports: " << st;
      return;
    }
    for (const auto& id : changed) ports_[id].status = kPortActive;
    observer = active_observer_;
  }
  if (observer) {
    for (const auto& id : changed) observer(id);
  }
}

}  // namespace alcor::controller
