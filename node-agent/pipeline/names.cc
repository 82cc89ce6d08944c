#include "node-agent/pipeline/cookie.h"
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

}  // namespace alcor::agent::pipeline
