#pragma once

// Ports: addresses and MACs (allocated or reserved), references (network, subnets, security
// groups), binding to a node, ACTIVE once the node confirmed programming them. A rejected request
// changes nothing: allocations are rolled back, the store write is one transaction (a bulk create
// is all or nothing). Each request's port changes reach the DPM as one batch.
//
// Internal API for components that manage ports' policies (e.g. NetworkPolicy):
// setSecurityGroups(project, port, groups) replaces a port's groups in one transaction and
// pushes the change (the port's host gets its new groups; hosts whose rules name the groups as
// remote groups get their new members). See docs/controller.md, "Internal API".

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/service/resource_store.h"

namespace alcor::controller {

// The groups NetworkPolicy gives a port (Port::policy_security_groups, policy_address_groups).
struct PolicyMembership {
  std::vector<ResourceId> filter;
  std::vector<ResourceId> address;
  bool operator==(const PolicyMembership&) const = default;
};

// How a NetworkPolicy component follows pod ports. `groups_for_new_port` is consulted, with the
// store's lock held (it must not call the services), for every port created with device_owner
// `owner`: (device id, has own security groups) -> its policy groups, nullopt for none.
// `ports_changed` is called, outside the lock, after such a port is created, changed or removed.
struct PolicyPortHooks {
  std::string owner;
  std::function<std::optional<PolicyMembership>(const std::string& device_id, bool has_own_groups)>
      groups_for_new_port;
  std::function<void()> ports_changed;
};

// GET /project/{p}/ports filters (empty = any).
struct PortFilter {
  std::string device_id;
  std::string host_id;
  std::string network_id;
  std::string name;
  std::string status;  // "ACTIVE" | "DOWN"
  std::string device_owner;
};

class PortService {
 public:
  PortService(ResourceStore& store, Dpm& dpm) : store_(store), dpm_(dpm) {}

  StatusOr<Port> create(Port port);
  // All or nothing.
  StatusOr<std::vector<Port>> createMany(std::vector<Port> ports);
  StatusOr<Port> update(const std::string& project, const ResourceId& id, Port port);
  StatusOr<Port> get(const std::string& project, const ResourceId& id) const;
  std::vector<Port> list(const std::string& project, const PortFilter& filter) const;
  Status remove(const std::string& project, const ResourceId& id);
  // Replaces the port's security groups; each must exist in the port's project.
  StatusOr<Port> setSecurityGroups(const std::string& project, const ResourceId& id,
                                   std::vector<ResourceId> group_ids);

  // The host confirmed programming these ports (PushScheduler acknowledgements).
  void markActive(const std::string& host_ip, const std::vector<std::string>& port_ids);
  // Benchmarks/tests: called (outside the lock) for each port that became ACTIVE.
  void setActiveObserver(std::function<void(const std::string& port_id)> observer);
  // NetworkPolicy; empty hooks: none. Ports keep the policy groups they have through update()
  // and setSecurityGroups(); SecurityPolicyService changes them.
  void setPolicyHooks(PolicyPortHooks hooks);

 private:
  // Allocations made while preparing a port, undone if the request fails.
  struct Allocations {
    std::vector<std::pair<SubnetIpam*, Ipv4Address>> ips;
    std::vector<MacAddress> macs;
  };
  Status prepareLocked(Port& port, Allocations& alloc, const Port* existing);
  void rollback(Allocations& alloc);
  void releaseLocked(const Port& port);
  // Stores `after` (the port's new version; `before` its old one) and pushes the change.
  StatusOr<Port> replaceLocked(const Port& before, Port after, Allocations& alloc);

  // Calls the hooks' ports_changed when destroyed (declare it before the lock) if note() saw a
  // port of the hooks' owner.
  class PolicyNotice {
   public:
    void note(const PolicyPortHooks& hooks, const Port& port);
    ~PolicyNotice();

   private:
    std::function<void()> changed_;
  };
  // A new port's policy groups, from the hooks (only groups that exist).
  void policyGroupsOfNewPortLocked(Port& port) const;

  ResourceStore& store_;
  Dpm& dpm_;
  std::function<void(const std::string&)> active_observer_;
  PolicyPortHooks policy_hooks_;
};

}  // namespace alcor::controller
