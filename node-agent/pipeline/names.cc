#include "node-agent/pipeline/cookie.h"
#include "node-agent/pipeline/owner.h"
#include "node-agent/pipeline/tables.h"

namespace alcor::agent::pipeline {

std::string_view tableName(uint8_t id) {
  for (const Table& t : kTables) {
    if (t.id == id) return t.name;
  }
  return "Unknown";
}

std::string_view cookieCategoryName(CookieCategory c) {
  switch (c) {
    case CookieCategory::kStatic:
      return "static";
    case CookieCategory::kPort:
      return "port";
    case CookieCategory::kNeighbor:
      return "neighbor";
    case CookieCategory::kSegment:
      return "segment";
    case CookieCategory::kSubnet:
      return "subnet";
    case CookieCategory::kRouter:
      return "router";
    case CookieCategory::kDhcp:
      return "dhcp";
    case CookieCategory::kGateway:
      return "gateway";
    case CookieCategory::kSecurityGroup:
      return "security-group";
    case CookieCategory::kDirectPath:
      return "direct-path";
    case CookieCategory::kOnDemand:
      return "on-demand";
    case CookieCategory::kHostGateway:
      return "host-gateway";
    case CookieCategory::kControlGuard:
      return "control-guard";
  }
  return "unknown";
}

std::string describe(const OwnerKey& owner) {
  switch (owner.kind) {
    case OwnerKind::kStatic:
      return "static";
    case OwnerKind::kPort:
      return "port " + owner.id;
    case OwnerKind::kDhcp:
      return "dhcp " + owner.id;
    case OwnerKind::kSegment:
      return "segment " + std::to_string(owner.number);
    case OwnerKind::kSubnet:
      return "subnet " + owner.id;
    case OwnerKind::kNeighbor:
      return "neighbor " + owner.id;
    case OwnerKind::kHostGateway:
      return "host-gateway " + owner.id;
    case OwnerKind::kHostAccess:
      return "host-access";
    case OwnerKind::kZeta:
      return "zeta " + owner.id + "/" + std::to_string(owner.number);
    case OwnerKind::kSgPort:
      return "sg-port " + owner.id;
    case OwnerKind::kSgRules:
      return "sg-rules";
    case OwnerKind::kGuard:
      return "control-guard";
    case OwnerKind::kGuardSubnet:
      return "control-guard subnet " + owner.id;
    case OwnerKind::kGuardPort:
      return "control-guard port " + owner.id;
  }
  return "unknown";
}

}  // namespace alcor::agent::pipeline
