#pragma once

// Addresses written as literals in tests. The text is known to be valid, so a parse failure
// is a bug in the test itself.

#include "lib/base/net_types.h"

namespace alcor::testing {

inline Ipv4Address ip(const char* text) { return *Ipv4Address::parse(text); }
inline MacAddress mac(const char* text) { return *MacAddress::parse(text); }
inline Ipv4Prefix prefix(const char* text) { return *Ipv4Prefix::parse(text); }

}  // namespace alcor::testing
