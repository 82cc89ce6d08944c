#include "lib/netlink/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace alcor::netlink {

IpAddress::IpAddress(Ipv4Address v4) {
  uint32_t v = v4.value();
  for (int i = 0; i < 4; ++i) bytes_[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
}

IpAddress IpAddress::v6(const Bytes& bytes) {
  IpAddress a;
  a.family_ = Family::kV6;
  a.bytes_ = bytes;
  return a;
}

StatusOr<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') == std::string_view::npos) {
    ASSIGN_OR_RETURN(Ipv4Address v4, Ipv4Address::parse(text));
    return IpAddress(v4);
  }
  std::string s(text);
  Bytes b{};
  if (inet_pton(AF_INET6, s.c_str(), b.data()) != 1) {
    return invalidArgumentError("not an IP address: \"" + s + "\"");
  }
  return v6(b);
}

StatusOr<IpAddress> IpAddress::fromBytes(const uint8_t* data, size_t len) {
  if (len == 4) {
    return IpAddress(Ipv4Address(uint32_t{data[0]} << 24 | uint32_t{data[1]} << 16 |
                                 uint32_t{data[2]} << 8 | uint32_t{data[3]}));
  }
  if (len == 16) {
    Bytes b{};
    std::memcpy(b.data(), data, 16);
    return v6(b);
  }
  return invalidArgumentError("an IP address has 4 or 16 bytes, not " + std::to_string(len));
}

Ipv4Address IpAddress::v4() const {
  return Ipv4Address(uint32_t{bytes_[0]} << 24 | uint32_t{bytes_[1]} << 16 |
                     uint32_t{bytes_[2]} << 8 | uint32_t{bytes_[3]});
}

bool IpAddress::isUnspecified() const {
  return std::all_of(bytes_.begin(), bytes_.begin() + byteLength(), [](uint8_t b) { return !b; });
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(isV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

IpPrefix::IpPrefix(IpAddress address, int length)
    : address_(address), length_(std::clamp(length, 0, address.bitLength())) {}

IpPrefix::IpPrefix(const Ipv4Prefix& v4) : IpPrefix(IpAddress(v4.address()), v4.length()) {}

StatusOr<IpPrefix> IpPrefix::parse(std::string_view text) {
  auto slash = text.find('/');
  ASSIGN_OR_RETURN(IpAddress address, IpAddress::parse(text.substr(0, slash)));
  if (slash == std::string_view::npos) return IpPrefix(address, address.bitLength());
  std::string_view len_text = text.substr(slash + 1);
  int len = -1;
  auto [end, ec] = std::from_chars(len_text.data(), len_text.data() + len_text.size(), len);
  if (ec != std::errc() || end != len_text.data() + len_text.size() || len_text.empty() ||
      len < 0 || len > address.bitLength()) {
    return invalidArgumentError("bad prefix length in \"" + std::string(text) + "\"");
  }
  return IpPrefix(address, len);
}

IpAddress IpPrefix::network() const {
  IpAddress::Bytes b = address_.bytes();
  for (int bit = length_; bit < address_.bitLength(); ++bit) {
    b[bit / 8] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  if (address_.isV4()) {
    auto r = IpAddress::fromBytes(b.data(), 4);
    return *r;
  }
  return IpAddress::v6(b);
}

bool IpPrefix::contains(const IpAddress& a) const {
  if (a.family() != address_.family()) return false;
  return IpPrefix(a, length_).network() == network();
}

std::string IpPrefix::toString() const {
  return address_.toString() + "/" + std::to_string(length_);
}

}  // namespace alcor::netlink
