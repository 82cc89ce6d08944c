#pragma once

// Security groups and their rules. A change reaches every host with a port in the group, and
// every host whose ports' rules name the group as remote group (its member addresses).
//
// Internal API for components that write policy without REST (e.g. NetworkPolicy), each call one
// transaction followed by one push (docs/controller.md, "Internal API"):
//   create(group)                  a group with its rules (ids generated when empty)
//   replace(project, id, group)    name, description and the whole rule set replaced
//   remove(project, id)            kFailedPrecondition while ports still use it
// and PortService::setSecurityGroups for port memberships; SecurityPolicyService batches them. REST
// uses the same calls, plus update() (name and description only: REST changes rules through
// createRule/removeRule). Errors: kInvalidArgument, kNotFound, kAlreadyExists, kFailedPrecondition.

#include <set>
#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/service/resource_store.h"

namespace alcor::controller {

class SecurityGroupService {
 public:
  SecurityGroupService(ResourceStore& store, Dpm& dpm) : store_(store), dpm_(dpm) {}

  StatusOr<SecurityGroup> create(SecurityGroup group);
  StatusOr<SecurityGroup> update(const std::string& project, const ResourceId& id,
                                 SecurityGroup group);
  StatusOr<SecurityGroup> replace(const std::string& project, const ResourceId& id,
                                  SecurityGroup group);
  StatusOr<SecurityGroup> get(const std::string& project, const ResourceId& id) const;
  std::vector<SecurityGroup> list(const std::string& project) const;
  Status remove(const std::string& project, const ResourceId& id);

  StatusOr<SecurityGroupRule> createRule(SecurityGroupRule rule);
  StatusOr<SecurityGroupRule> getRule(const std::string& project, const ResourceId& id) const;
  std::vector<SecurityGroupRule> listRules(const std::string& project) const;
  Status removeRule(const std::string& project, const ResourceId& id);

  // Gives the rules ids and their group; checks ids, remote groups and value combinations.
  // `previous` is the group being replaced (its rule ids may be reused); remote groups may also
  // be among `also_known` (groups created in the same batch). The caller holds the store's lock.
  Status prepareRulesLocked(SecurityGroup& g, const SecurityGroup* previous,
                            const std::set<ResourceId>& also_known = {}) const;

  // Groups whose id starts with `prefix` belong to a component that writes them through
  // SecurityPolicyService (NetworkPolicy's "netpol-"): the calls above refuse to create or change
  // them (kFailedPrecondition, REST 409). Empty: none.
  void setManagedPrefix(std::string prefix);

 private:
  Status storeLocked(const SecurityGroup& g, bool push);
  Status refuseManagedLocked(const ResourceId& id) const;

  ResourceStore& store_;
  Dpm& dpm_;
  std::string managed_prefix_;
};

}  // namespace alcor::controller
