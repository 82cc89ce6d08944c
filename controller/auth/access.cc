#include "controller/auth/access.h"

#include <algorithm>

#include "lib/base/strings.h"
#include "lib/security/x509.h"

namespace alcor::controller {

Status Caller::requireNode(const std::string& node_name, const std::string& what) const {
  if (mayActForNode(node_name)) return okStatus();
  std::string owner = node_name.empty() ? "no node" : "node " + node_name;
  return permissionDeniedError(describe() + " may not act on " + what + " (it belongs to " + owner +
                               ")");
}

Status Caller::requireAdmin(const std::string& what) const {
  if (isAdmin()) return okStatus();
  return permissionDeniedError(describe() + " may not " + what + " (admin only)");
}

std::string Caller::describe() const {
  switch (role) {
    case Role::kAdmin:
      return "admin " + user;
    case Role::kNode:
      return "node " + node + " (" + user + ")";
    case Role::kNone:
      break;
  }
  return "user " + user;
}

Caller callerOf(const security::Identity& id, const AccessConfig& config) {
  Caller c;
  c.user = id.user;
  auto listed = [](const std::vector<std::string>& list, const std::string& v) {
    return std::find(list.begin(), list.end(), v) != list.end();
  };
  bool admin = listed(config.admin_users, id.user);
  for (const auto& g : id.groups) admin = admin || listed(config.admin_groups, g);
  if (admin) {
    c.role = Caller::Role::kAdmin;
    return c;
  }
  std::string node;
  if (startsWith(id.user, kNodeUserPrefix)) {
    node = id.user.substr(std::string(kNodeUserPrefix).size());
  } else if (!config.agent_service_account.empty() && id.user == config.agent_service_account) {
    node = id.extraValue(kNodeNameExtra);
  }
  if (security::isValidDnsName(node) && node != config.controller_name) {
    c.role = Caller::Role::kNode;
    c.node = node;
  }
  return c;
}

}  // namespace alcor::controller
