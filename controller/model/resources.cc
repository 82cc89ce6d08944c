#include "controller/model/resources.h"

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

}  // namespace alcor::controller
