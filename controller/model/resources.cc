#include "controller/model/resources.h"

#include <algorithm>

namespace alcor::controller {

StatusOr<AddressOrPrefix> AddressOrPrefix::parse(std::string_view text) {
  AddressOrPrefix out;
  out.has_length = text.find('/') != std::string_view::npos;
  if (out.has_length) {
    auto prefix = Ipv4Prefix::parse(text);
    if (!prefix.ok()) return prefix.status();
    out.prefix = *prefix;
  } else {
    auto address = Ipv4Address::parse(text);
    if (!address.ok()) return address.status();
    out.prefix = Ipv4Prefix(*address, 32);
  }
  return out;
}

std::string AddressOrPrefix::toString() const {
  return has_length ? prefix.toString() : prefix.address().toString();
}

namespace {
bool contains(const std::vector<ResourceId>& ids, const ResourceId& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}
}  // namespace

std::vector<ResourceId> filteringGroups(const Port& port) {
  // A pod port has ~100 policy groups at 1,000 policies and few own ones: only those are
  // compared (NetworkPolicy gives each group once).
  std::vector<ResourceId> out;
  out.reserve(port.security_groups.size() + port.policy_security_groups.size());
  out = port.security_groups;
  for (const auto& g : port.policy_security_groups) {
    if (!contains(port.security_groups, g)) out.push_back(g);
  }
  return out;
}

bool filteredBy(const Port& port, const ResourceId& group_id) {
  return contains(port.security_groups, group_id) ||
         contains(port.policy_security_groups, group_id);
}

bool memberOf(const Port& port, const ResourceId& group_id) {
  return filteredBy(port, group_id) || contains(port.policy_address_groups, group_id);
}

}  // namespace alcor::controller
