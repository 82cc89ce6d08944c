// Security groups in the DPM (docs/design/security-groups.md): a group's state carries its
// member addresses, a host gets every group of its ports plus the groups their rules name as
// remote groups, and a membership change reaches the hosts whose rules name the group.

#include <algorithm>

#include "controller/dpm/dpm.h"
#include "controller/dpm/goalstate_builder.h"

namespace alcor::controller {

std::vector<std::string> Dpm::memberAddresses(const std::string& group_id) const {
  std::vector<std::string> out;
  topology_.forEachPort([&](const Port& p) {
    if (!memberOf(p, group_id)) return;
    for (const auto& f : p.fixed_ips) out.push_back(f.ip_address);
    for (const auto& pair : p.allowed_address_pairs) out.push_back(pair.ip_address);
  });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::set<std::string> Dpm::groupsNaming(const std::string& remote_group_id) const {
  std::set<std::string> out;
  topology_.forEachSecurityGroup([&](const SecurityGroup& g) {
    for (const auto& r : g.rules) {
      if (r.remote_group_id == remote_group_id) out.insert(g.id);
    }
  });
  return out;
}

void Dpm::addGroupState(schema::GoalStateV2& gs, const SecurityGroup& g, const std::string& vpc_id,
                        schema::OperationType op) const {
  auto& state = (*gs.mutable_security_group_states())[g.id];
  state = securityGroupState(g, vpc_id, op);
  for (const auto& ip : memberAddresses(g.id)) {
    state.mutable_configuration()->add_member_ip_addresses(ip);
  }
}

void Dpm::addSecurityGroups(schema::GoalStateV2& gs, const Port& p,
                            schema::OperationType op) const {
  for (const auto& sg_id : filteringGroups(p)) {
    const SecurityGroup* g = topology_.findSecurityGroup(sg_id);
    if (!g) continue;
    addGroupState(gs, *g, p.network_id, op);
    for (const auto& r : g->rules) {
      if (r.remote_group_id.empty() || gs.security_group_states().contains(r.remote_group_id)) {
        continue;
      }
      if (const SecurityGroup* remote = topology_.findSecurityGroup(r.remote_group_id)) {
        addGroupState(gs, *remote, p.network_id, op);
      }
    }
  }
}

void Dpm::securityGroupChanged(const std::string& group_id, bool deleted) {
  Fragments out;
  const SecurityGroup* g = topology_.findSecurityGroup(group_id);
  // Hosts with ports in the group (its rules) or in a group naming it (its members).
  std::set<std::string> users = groupsNaming(group_id);
  users.insert(group_id);
  topology_.forEachPort([&](const Port& p) {
    std::string host = cache_.hostOf(p.id);
    if (host.empty()) return;
    bool uses = false;
    for (const auto& u : users) uses = uses || filteredBy(p, u);
    if (!uses) return;
    schema::GoalStateV2& gs = out[host];
    if (deleted || !g) {
      auto& state = (*gs.mutable_security_group_states())[group_id];
      state.set_operation_type(schema::DELETE);
      state.mutable_configuration()->set_id(group_id);
      return;
    }
    if (!gs.security_group_states().contains(group_id)) {
      addGroupState(gs, *g, p.network_id, schema::UPDATE);
    }
    // A member port also needs the groups the (possibly new) rules name.
    if (filteredBy(p, group_id)) {
      for (const auto& r : g->rules) {
        const SecurityGroup* remote = topology_.findSecurityGroup(r.remote_group_id);
        if (remote && !gs.security_group_states().contains(remote->id)) {
          addGroupState(gs, *remote, p.network_id, schema::UPDATE);
        }
      }
    }
  });
  flush(out);
}

std::set<std::string> Dpm::hostsOfGroup(const std::string& group_id) const {
  std::set<std::string> users = groupsNaming(group_id);
  users.insert(group_id);
  std::set<std::string> hosts;
  topology_.forEachPort([&](const Port& p) {
    std::string host = cache_.hostOf(p.id);
    if (host.empty() || hosts.count(host)) return;
    for (const auto& u : users) {
      if (filteredBy(p, u)) {
        hosts.insert(host);
        return;
      }
    }
  });
  return hosts;
}

void Dpm::securityGroupRemoved(const std::string& group_id, const std::set<std::string>& hosts) {
  Fragments out;
  for (const auto& host : hosts) {
    auto& state = (*out[host].mutable_security_group_states())[group_id];
    state.set_operation_type(schema::DELETE);
    state.mutable_configuration()->set_id(group_id);
  }
  flush(out);
}

void Dpm::securityGroupMembersChanged(const std::optional<PortPlacement>& before,
                                      const std::optional<PortPlacement>& after) {
  const bool same = before && after &&
                    before->port.security_groups == after->port.security_groups &&
                    before->port.policy_security_groups == after->port.policy_security_groups &&
                    before->port.policy_address_groups == after->port.policy_address_groups &&
                    before->port.fixed_ips == after->port.fixed_ips &&
                    before->port.allowed_address_pairs == after->port.allowed_address_pairs;
  if (same) return;
  std::set<std::string> groups;
  for (const auto* placement : {&before, &after}) {
    if (!*placement) continue;
    const Port& p = (*placement)->port;
    for (const auto* list :
         {&p.security_groups, &p.policy_security_groups, &p.policy_address_groups}) {
      groups.insert(list->begin(), list->end());
    }
  }
  // Only groups some rule names as remote group carry members anyone needs.
  for (const auto& g : groups) {
    if (!groupsNaming(g).empty()) securityGroupChanged(g, false);
  }
}

}  // namespace alcor::controller
