// Security groups in the DPM (docs/design/security-groups.md): a group's state carries its
// member addresses, a host gets every group of its ports plus the groups their rules name as
// remote groups, and a membership change reaches the hosts whose rules name the group. A
// group's state is built once per change (per VPC it is sent for) and shared by those hosts.

#include <algorithm>

#include "controller/dpm/dpm.h"
#include "controller/dpm/goalstate_builder.h"

namespace alcor::controller {

std::vector<std::string> Dpm::memberAddresses(const ResourceId& group_id) const {
  std::vector<std::string> out;
  for (const Port* p : topology_.memberPortsOf(group_id)) {
    for (const auto& f : p->fixed_ips) out.push_back(textOf(f.ip_address));
    for (const auto& pair : p->allowed_address_pairs) out.push_back(pair.ip_address.toString());
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

StatePtr Dpm::groupState(const SecurityGroup& g, const ResourceId& vpc_id, schema::OperationType op,
                         std::map<std::pair<ResourceId, ResourceId>, StatePtr>& built) {
  StatePtr& s = built[{g.id, vpc_id}];
  if (!s) {
    s = encodeState(schema::SECURITYGROUP, g.id.str(),
                    securityGroupState(g, vpc_id, memberAddresses(g.id), op));
  }
  return s;
}

void Dpm::addSecurityGroups(Delivery& out, const std::string& host, const Port& p) {
  for (const auto& sg_id : filteringGroups(p)) {
    const SecurityGroup* g = topology_.findSecurityGroup(sg_id);
    if (!g) continue;
    out.group_needs.insert({host, g->id, p.network_id});
    for (const auto& r : g->rules) {
      if (!r.remote_group_id.empty() && topology_.findSecurityGroup(r.remote_group_id)) {
        out.group_needs.insert({host, r.remote_group_id, p.network_id});
      }
    }
  }
}

void Dpm::resolveGroups(Delivery& out) {
  for (const auto& g : out.groups_to_refresh) refreshGroup(out, g);
  out.groups_to_refresh.clear();
  // Built once per group and VPC, with the members as they are at the end of the operation.
  std::map<std::pair<ResourceId, ResourceId>, StatePtr> built;
  for (const auto& [host, group_id, vpc_id] : out.group_needs) {
    if (const SecurityGroup* g = topology_.findSecurityGroup(group_id)) {
      out.add(host, groupState(*g, vpc_id, schema::CREATE, built));
    }
  }
  out.group_needs.clear();
}

void Dpm::securityGroupChanged(const ResourceId& group_id) {
  Delivery out;
  refreshGroup(out, group_id);
  flush(out);
}

void Dpm::refreshGroup(Delivery& out, const ResourceId& group_id) {
  const SecurityGroup* g = topology_.findSecurityGroup(group_id);
  // Hosts with ports in the group (its rules) or in a group naming it (its members).
  std::vector<ResourceId> users = topology_.groupsNaming(group_id);
  if (std::find(users.begin(), users.end(), group_id) == users.end()) users.push_back(group_id);
  std::map<std::pair<ResourceId, ResourceId>, StatePtr> built;
  std::set<std::pair<std::string, ResourceId>> sent;  // (host, group) already queued
  StatePtr deleted;
  for (const auto& user : users) {
    for (const Port* p : topology_.portsInGroup(user)) {
      const std::string& host = cache_.hostOf(p->id);
      if (host.empty()) continue;
      if (!g) {
        if (!deleted) {
          schema::SecurityGroupState del;
          del.set_operation_type(schema::DELETE);
          del.mutable_configuration()->set_id(group_id.str());
          deleted = encodeState(schema::SECURITYGROUP, group_id.str(), del);
        }
        if (sent.insert({host, group_id}).second) out.add(host, deleted);
        continue;
      }
      if (sent.insert({host, group_id}).second) {
        out.add(host, groupState(*g, p->network_id, schema::UPDATE, built));
      }
      // A member port also needs the groups the (possibly new) rules name.
      if (!filteredBy(*p, group_id)) continue;
      for (const auto& r : g->rules) {
        const SecurityGroup* remote =
            r.remote_group_id.empty() ? nullptr : topology_.findSecurityGroup(r.remote_group_id);
        if (remote && sent.insert({host, remote->id}).second) {
          out.add(host, groupState(*remote, p->network_id, schema::UPDATE, built));
        }
      }
    }
  }
}

void Dpm::noteMembersChanged(Delivery& out, const std::optional<PortPlacement>& before,
                             const std::optional<PortPlacement>& after) {
  // Other hosts need a group again only when its member addresses change: every group of the
  // port when its addresses do (or it comes or goes), else the groups it joined or left (a port
  // of NetworkPolicy is in many groups, and a change of one of them must not re-send all).
  const bool addresses_changed =
      !before || !after || before->port.fixed_ips != after->port.fixed_ips ||
      before->port.allowed_address_pairs != after->port.allowed_address_pairs;
  std::set<ResourceId> groups;
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
  // Only groups some rule names as remote group carry members anyone needs; refreshed once per
  // operation (flush), however many of their ports changed.
  for (const auto& g : groups) {
    if (!topology_.groupsNaming(g).empty()) out.groups_to_refresh.insert(g);
  }
}

std::set<std::string> Dpm::hostsHoldingGroup(const ResourceId& group_id) const {
  std::vector<ResourceId> users = topology_.groupsNaming(group_id);
  users.push_back(group_id);
  std::set<std::string> hosts;
  for (const auto& user : users) {
    for (const Port* p : topology_.portsInGroup(user)) {
      const std::string& host = cache_.hostOf(p->id);
      if (!host.empty()) hosts.insert(host);
    }
  }
  return hosts;
}

void Dpm::securityGroupRemoved(const ResourceId& group_id, const std::set<std::string>& hosts) {
  if (hosts.empty()) return;
  schema::SecurityGroupState del;
  del.set_operation_type(schema::DELETE);
  del.mutable_configuration()->set_id(group_id.str());
  StatePtr deleted = encodeState(schema::SECURITYGROUP, group_id.str(), del);
  Delivery out;
  for (const auto& host : hosts) out.add(host, deleted);
  flush(out);
}

}  // namespace alcor::controller
