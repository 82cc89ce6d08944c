#pragma once

// Value types for addresses that every component passes around. Parsing is strict (these come
// from untrusted REST bodies, GoalStates and CNI input) and never throws.

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace alcor {

class Ipv4Address {
 public:
  constexpr Ipv4Address() = default;
  constexpr explicit Ipv4Address(uint32_t host_order) : value_(host_order) {}

  // Dotted quad only: "10.0.0.1". No leading zeros, no shorthand forms.
  static StatusOr<Ipv4Address> parse(std::string_view text);

  uint32_t value() const { return value_; }  // host byte order
  uint32_t networkOrder() const;             // for sockets and wire formats
  static Ipv4Address fromNetworkOrder(uint32_t be);
  std::string toString() const;
  bool isUnspecified() const { return value_ == 0; }

  auto operator<=>(const Ipv4Address&) const = default;

 private:
  uint32_t value_ = 0;
};

class Ipv4Prefix {
 public:
  constexpr Ipv4Prefix() = default;
  // Keeps host bits as given; use network() for the canonical prefix.
  Ipv4Prefix(Ipv4Address address, int length);

  // "10.0.0.0/24". With strict=true the host bits must be zero.
  static StatusOr<Ipv4Prefix> parse(std::string_view text, bool strict = false);

  Ipv4Address address() const { return address_; }
  int length() const { return length_; }
  uint32_t mask() const;
  Ipv4Address network() const { return Ipv4Address(address_.value() & mask()); }
  Ipv4Address broadcast() const { return Ipv4Address(network().value() | ~mask()); }
  uint64_t size() const { return uint64_t{1} << (32 - length_); }
  bool contains(Ipv4Address a) const { return (a.value() & mask()) == network().value(); }
  bool overlaps(const Ipv4Prefix& other) const;
  std::string toString() const;  // address/length, host bits as stored

  auto operator<=>(const Ipv4Prefix&) const = default;

 private:
  Ipv4Address address_;
  int length_ = 0;
};

class MacAddress {
 public:
  using Bytes = std::array<uint8_t, 6>;
  constexpr MacAddress() = default;
  constexpr explicit MacAddress(const Bytes& bytes) : bytes_(bytes) {}

  // "aa:bb:cc:dd:ee:ff" (either case), also accepts '-' as separator.
  static StatusOr<MacAddress> parse(std::string_view text);
  static MacAddress fromUint64(uint64_t v);  // low 48 bits

  const Bytes& bytes() const { return bytes_; }
  uint64_t toUint64() const;
  std::string toString() const;  // lower case, colon separated
  bool isZero() const { return toUint64() == 0; }
  bool isMulticast() const { return bytes_[0] & 0x01; }
  bool isBroadcast() const { return toUint64() == 0xffffffffffffULL; }
  bool isLocallyAdministered() const { return bytes_[0] & 0x02; }

  auto operator<=>(const MacAddress&) const = default;

 private:
  Bytes bytes_{};
};

// Accepts an IPv6 address in any textual form inet_pton accepts.
bool isValidIpv6(std::string_view text);

}  // namespace alcor
