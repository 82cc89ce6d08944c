#pragma once

// Flow cookies: the top byte says which kind of object a flow belongs to, the rest identifies the
// object (a 56-bit FNV-1a hash of its key). Operators can dump or delete one object's flows with
// `ovs-ofctl dump-flows br-int cookie=0x<c>/-1`; the agent itself tracks flows per owner and
// diffs them, so a hash collision never deletes a flow another owner still wants.

#include <cstdint>
#include <string>
#include <string_view>

namespace alcor::agent::pipeline {

enum class CookieCategory : uint8_t {
  kStatic = 0x01,         // pipeline defaults (table misses)
  kPort = 0x02,           // a plugged local port
  kNeighbor = 0x03,       // a remote port
  kSegment = 0x04,        // a VNI present on this host (tunnel classification, flooding)
  kSubnet = 0x05,         // gateway ARP/ICMP of a subnet
  kRouter = 0x06,         // distributed routing
  kDhcp = 0x07,           // DHCP punt for a port
  kGateway = 0x08,        // Zeta gateway group use
  kSecurityGroup = 0x09,  // security group rules
  kDirectPath = 0x0a,     // Zeta OAM direct paths
  kOnDemand = 0x0b,       // on-demand learned entries
  kHostGateway = 0x0c,    // pods of one VPC <-> the node
  kControlGuard = 0x0d,   // pods -> the agent's and controller's control ports
};

inline constexpr uint64_t kCookieCategoryMask = 0xff00000000000000ULL;

constexpr uint64_t fnv1a56(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (char c : key) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return (h ^ (h >> 56)) & 0x00ffffffffffffffULL;
}

constexpr uint64_t makeCookie(CookieCategory category, std::string_view key) {
  return (static_cast<uint64_t>(category) << 56) | fnv1a56(key);
}

constexpr CookieCategory cookieCategory(uint64_t cookie) {
  return static_cast<CookieCategory>(cookie >> 56);
}

std::string_view cookieCategoryName(CookieCategory c);

}  // namespace alcor::agent::pipeline
