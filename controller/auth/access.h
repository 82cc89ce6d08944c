#pragma once

// Who may call the controller's REST API, and as what (docs/security.md, "REST"):
//   admin  — users or groups named in the configuration: everything;
//   node   — one node's agent: its own node record, ports bound to it, certificates for it;
//   none   — any other authenticated caller: nothing (403).
// A node is recognised by the agents' Kubernetes service account plus the node name the API
// server puts in a bound token ("authentication.kubernetes.io/node-name"), or by a static
// token's user "alcor:node:<name>".

#include <string>
#include <vector>

#include "lib/base/status.h"
#include "lib/security/tokens.h"

namespace alcor::controller {

struct AccessConfig {
  std::vector<std::string> admin_users;
  std::vector<std::string> admin_groups = {"alcor:admins"};
  std::string agent_service_account = "system:serviceaccount:alcor-system:alcor-agent";
  std::string controller_name = "alcor-controller";  // no node may take this name
};

inline constexpr const char* kNodeUserPrefix = "alcor:node:";
inline constexpr const char* kNodeNameExtra = "authentication.kubernetes.io/node-name";

struct Caller {
  enum class Role { kNone, kNode, kAdmin };
  Role role = Role::kNone;
  std::string user;
  std::string node;  // kNode: the node it acts for

  static Caller admin(std::string user) { return {Role::kAdmin, std::move(user), ""}; }
  bool isAdmin() const { return role == Role::kAdmin; }
  bool mayActForNode(const std::string& node_name) const {
    return isAdmin() || (role == Role::kNode && !node.empty() && node == node_name);
  }
  // kPermissionDenied unless mayActForNode(node_name): "<caller> may not act on <what> of node
  // <node_name>".
  Status requireNode(const std::string& node_name, const std::string& what) const;
  Status requireAdmin(const std::string& what) const;
  std::string describe() const;
};

Caller callerOf(const security::Identity& identity, const AccessConfig& config);

}  // namespace alcor::controller
