// Security groups in the DPM (docs/design/security-groups.md): a group's state carries its
// member addresses, a host gets every group of its ports plus the groups their rules name as
// remote groups, and a membership change reaches the hosts whose rules name the group.

#include <algorithm>

#include "controller/dpm/dpm.h"
#include "controller/dpm/goalstate_builder.h"

namespace alcor::controller {

Dpm::GroupMembers Dpm::memberAddressesOf(const std::set<std::string>& group_ids) const {
  std::map<std::string, std::set<std::string>> sets;
  for (const auto& id : group_ids) sets[id];
  topology_.forEachPort([&](const Port& p) {
    for (const auto* list :
         {&p.security_groups, &p.policy_security_groups, &p.policy_address_groups}) {
      for (const auto& g : *list) {
        auto it = sets.find(g);
        if (it == sets.end()) continue;
        for (const auto& f : p.fixed_ips) it->second.insert(f.ip_address);
        for (const auto& pair : p.allowed_address_pairs) it->second.insert(pair.ip_address);
      }
    }
  });
  GroupMembers out;
  for (auto& [id, addresses] : sets) out[id].assign(addresses.begin(), addresses.end());
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
                        schema::OperationType op, const std::vector<std::string>& members) const {
  auto& state = (*gs.mutable_security_group_states())[g.id];
  state = securityGroupState(g, vpc_id, op);
  for (const auto& ip : members) state.mutable_configuration()->add_member_ip_addresses(ip);
}

// The port's groups and the groups their rules name (unless `gs` has them), members computed
// together: a NetworkPolicy port is in many groups.
void Dpm::addSecurityGroups(schema::GoalStateV2& gs, const Port& p,
                            schema::OperationType op) const {
  std::vector<const SecurityGroup*> groups;
  std::set<std::string> ids;
  for (const auto& sg_id : filteringGroups(p)) {
    const SecurityGroup* g = topology_.findSecurityGroup(sg_id);
    if (g && ids.insert(g->id).second) groups.push_back(g);
  }
  for (size_t i = 0, own = groups.size(); i < own; ++i) {
    for (const auto& r : groups[i]->rules) {
      if (r.remote_group_id.empty() || ids.count(r.remote_group_id) ||
          gs.security_group_states().contains(r.remote_group_id)) {
        continue;
      }
      if (const SecurityGroup* remote = topology_.findSecurityGroup(r.remote_group_id)) {
        ids.insert(remote->id);
        groups.push_back(remote);
      }
    }
  }
  const GroupMembers members = memberAddressesOf(ids);
  for (const SecurityGroup* g : groups) {
    addGroupState(gs, *g, p.network_id, op, members.at(g->id));
  }
}

void Dpm::securityGroupChanged(const std::string& group_id, bool deleted) {
  Fragments out;
  const SecurityGroup* g = topology_.findSecurityGroup(group_id);
  // Hosts with ports in the group (its rules) or in a group naming it (its members).
  std::set<std::string> users = groupsNaming(group_id);
  users.insert(group_id);
  std::set<std::string> involved = {group_id};
  if (g) {
    for (const auto& r : g->rules) {
      if (topology_.findSecurityGroup(r.remote_group_id)) involved.insert(r.remote_group_id);
    }
  }
  const GroupMembers members = memberAddressesOf(involved);
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
      addGroupState(gs, *g, p.network_id, schema::UPDATE, members.at(group_id));
    }
    // A member port also needs the groups the (possibly new) rules name.
    if (filteredBy(p, group_id)) {
      for (const auto& r : g->rules) {
        const SecurityGroup* remote = topology_.findSecurityGroup(r.remote_group_id);
        if (remote && !gs.security_group_states().contains(remote->id)) {
          addGroupState(gs, *remote, p.network_id, schema::UPDATE, members.at(remote->id));
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
  // The port's own host gets its groups with its bundle; other hosts need a group again only
  // when its member addresses change: every group of the port when its addresses do (or it comes
  // or goes), else the groups it joined or left. (A port of NetworkPolicy is in many groups, and
  // a change of one of them must not re-send all.)
  const bool addresses_changed =
      !before || !after || before->port.fixed_ips != after->port.fixed_ips ||
      before->port.allowed_address_pairs != after->port.allowed_address_pairs;
  std::set<std::string> groups;
  for (const auto* placement : {&before, &after}) {
    if (!*placement) continue;
    const Port& p = (*placement)->port;
    for (const auto* list :
         {&p.security_groups, &p.policy_security_groups, &p.policy_address_groups}) {
      for (const auto& g : *list) {
        if (addresses_changed || memberOf(before->port, g) != memberOf(after->port, g)) {
          groups.insert(g);
        }
      }
    }
  }
  // Only groups some rule names as remote group carry members anyone needs.
  for (const auto& g : groups) {
    if (!groupsNaming(g).empty()) securityGroupChanged(g, false);
  }
}

}  // namespace alcor::controller
