#pragma once

// Batched security policy for components that manage groups and memberships without REST, such
// as a NetworkPolicy controller: one call puts groups (created or replaced, rules included),
// sets ports' groups (their own, or the groups NetworkPolicy gives them), and deletes groups, all
// or nothing in one store transaction, then pushes the result once. Groups of a batch may name
// each other as remote groups. Groups whose id starts with the prefix given to
// SecurityGroupService::setManagedPrefix change only through here. Reads for the component's
// reconciliation: its groups by id prefix, the ports of a device owner. See docs/controller.md,
// "Internal API". Single changes go through SecurityGroupService and
// PortService::setSecurityGroups.

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/service/port_service.h"
#include "controller/service/resource_store.h"
#include "controller/service/security_group_service.h"

namespace alcor::controller {

struct SecurityPolicyChange {
  std::vector<SecurityGroup> put;                       // created or replaced, by id
  std::map<ResourceId, std::vector<ResourceId>> ports;  // port id -> its security groups
  // port id -> the groups NetworkPolicy gives it (Port::policy_security_groups and
  // policy_address_groups, any project); a port deleted meanwhile is skipped.
  std::map<ResourceId, PolicyMembership> policy_ports;
  std::vector<ResourceId> remove;  // deleted after the ports changed
  bool empty() const {
    return put.empty() && ports.empty() && policy_ports.empty() && remove.empty();
  }
};

class SecurityPolicyService {
 public:
  SecurityPolicyService(ResourceStore& store, Dpm& dpm, SecurityGroupService& groups)
      : store_(store), dpm_(dpm), groups_(groups) {}

  // kInvalidArgument (a group without id or project, a port twice...), kNotFound (a port, a
  // group to remove or a port's group that neither exists nor is put), kAlreadyExists (a rule id
  // of another group), kFailedPrecondition (a removed group still used by a port or named by
  // another group's rule). On error nothing changed.
  Status apply(const SecurityPolicyChange& change);

  // Groups whose id starts with `id_prefix`, any project.
  std::vector<SecurityGroup> groupsWithPrefix(const std::string& id_prefix) const;
  // Ports with that device_owner (e.g. "compute:kubernetes"), any project.
  std::vector<Port> portsOfOwner(const std::string& device_owner) const;

 private:
  ResourceStore& store_;
  Dpm& dpm_;
  SecurityGroupService& groups_;
};

}  // namespace alcor::controller
