#pragma once

// An IP address of either family and a prefix built on it, for netlink code that handles v4 and
// v6 alike. Conversions to and from the v4-only lib/base types are lossless for v4.

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "lib/base/net_types.h"
#include "lib/base/status.h"

namespace alcor::netlink {

class IpAddress {
 public:
  enum class Family : uint8_t { kV4 = 4, kV6 = 6 };
  using Bytes = std::array<uint8_t, 16>;

  IpAddress() = default;      // 0.0.0.0
  IpAddress(Ipv4Address v4);  // NOLINT(implicit): a v4 address is an IP address
  static IpAddress v6(const Bytes& bytes);
  // Dotted quad or any form inet_pton accepts for IPv6.
  static StatusOr<IpAddress> parse(std::string_view text);
  // From raw network-order bytes: 4 bytes = v4, 16 = v6.
  static StatusOr<IpAddress> fromBytes(const uint8_t* data, size_t len);

  Family family() const { return family_; }
  bool isV4() const { return family_ == Family::kV4; }
  bool isV6() const { return family_ == Family::kV6; }
  int bitLength() const { return isV4() ? 32 : 128; }
  int byteLength() const { return isV4() ? 4 : 16; }
  Ipv4Address v4() const;                        // only meaningful when isV4()
  const Bytes& bytes() const { return bytes_; }  // network order; first byteLength() used
  bool isUnspecified() const;
  std::string toString() const;  // canonical (inet_ntop) form

  auto operator<=>(const IpAddress&) const = default;

 private:
  Family family_ = Family::kV4;
  Bytes bytes_{};
};

class IpPrefix {
 public:
  IpPrefix() = default;  // 0.0.0.0/0
  IpPrefix(IpAddress address, int length);
  IpPrefix(const Ipv4Prefix& v4);  // NOLINT(implicit)
  // "10.0.0.5/24", "fd00::1/64"; an address without "/len" is a host prefix.
  static StatusOr<IpPrefix> parse(std::string_view text);

  const IpAddress& address() const { return address_; }
  int length() const { return length_; }
  IpAddress network() const;  // host bits cleared
  bool isDefault() const { return length_ == 0; }
  bool contains(const IpAddress& a) const;
  std::string toString() const;  // address/length, host bits as stored

  auto operator<=>(const IpPrefix&) const = default;

 private:
  IpAddress address_;
  int length_ = 0;
};

}  // namespace alcor::netlink
