#include "lib/base/net_types.h"

#include <arpa/inet.h>

#include <cstdio>

#include "lib/base/strings.h"

namespace alcor {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

StatusOr<Ipv4Address> Ipv4Address::parse(std::string_view text) {
  auto bad = [&] {
    return invalidArgumentError("invalid IPv4 address '" + std::string(text) + "'");
  };
  uint32_t value = 0;
  int octets = 0;
  size_t i = 0;
  while (octets < 4) {
    size_t start = i;
    uint32_t octet = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      octet = octet * 10 + static_cast<uint32_t>(text[i] - '0');
      if (i - start >= 3 || octet > 255) return bad();
      ++i;
    }
    size_t digits = i - start;
    if (digits == 0 || (digits > 1 && text[start] == '0')) return bad();
    value = (value << 8) | octet;
    ++octets;
    if (octets < 4) {
      if (i >= text.size() || text[i] != '.') return bad();
      ++i;
    }
  }
  if (i != text.size()) return bad();
  return Ipv4Address(value);
}

uint32_t Ipv4Address::networkOrder() const { return htonl(value_); }
Ipv4Address Ipv4Address::fromNetworkOrder(uint32_t be) { return Ipv4Address(ntohl(be)); }

std::string Ipv4Address::toString() const {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "%u.%u.%u.%u", value_ >> 24, (value_ >> 16) & 0xff,
                (value_ >> 8) & 0xff, value_ & 0xff);
  return buf;
}

Ipv4Prefix::Ipv4Prefix(Ipv4Address address, int length)
    : address_(address), length_(length < 0 ? 0 : (length > 32 ? 32 : length)) {}

StatusOr<Ipv4Prefix> Ipv4Prefix::parse(std::string_view text, bool strict) {
  auto slash = text.find('/');
  if (slash == std::string_view::npos) {
    return invalidArgumentError("invalid CIDR '" + std::string(text) + "': missing /length");
  }
  auto addr = Ipv4Address::parse(text.substr(0, slash));
  if (!addr.ok()) {
    return invalidArgumentError("invalid CIDR '" + std::string(text) + "': bad address");
  }
  std::string_view len_text = text.substr(slash + 1);
  auto parsed_len = parseInt<int>(len_text);
  int len = parsed_len.value_or(-1);
  if (len_text.empty() || len_text.size() > 2 || !parsed_len || len < 0 || len > 32 ||
      (len_text.size() > 1 && len_text[0] == '0')) {
    return invalidArgumentError("invalid CIDR '" + std::string(text) + "': bad prefix length");
  }
  Ipv4Prefix p(*addr, len);
  if (strict && p.network() != *addr) {
    return invalidArgumentError("invalid CIDR '" + std::string(text) +
                                "': host bits set (did you mean " + p.network().toString() + "/" +
                                std::to_string(len) + "?)");
  }
  return p;
}

uint32_t Ipv4Prefix::mask() const { return length_ == 0 ? 0u : (0xffffffffu << (32 - length_)); }

bool Ipv4Prefix::overlaps(const Ipv4Prefix& other) const {
  int shortest = std::min(length_, other.length_);
  Ipv4Prefix a(address_, shortest), b(other.address_, shortest);
  return a.network() == b.network();
}

std::string Ipv4Prefix::toString() const {
  return address_.toString() + "/" + std::to_string(length_);
}

StatusOr<MacAddress> MacAddress::parse(std::string_view text) {
  auto bad = [&] {
    return invalidArgumentError("invalid MAC address '" + std::string(text) + "'");
  };
  if (text.size() != 17) return bad();
  Bytes bytes{};
  char sep = text[2];
  if (sep != ':' && sep != '-') return bad();
  for (int i = 0; i < 6; ++i) {
    int hi = hexValue(text[i * 3]);
    int lo = hexValue(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return bad();
    if (i < 5 && text[i * 3 + 2] != sep) return bad();
    bytes[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return MacAddress(bytes);
}

MacAddress MacAddress::fromUint64(uint64_t v) {
  Bytes b{};
  for (int i = 5; i >= 0; --i) {
    b[i] = static_cast<uint8_t>(v & 0xff);
    v >>= 8;
  }
  return MacAddress(b);
}

uint64_t MacAddress::toUint64() const {
  uint64_t v = 0;
  for (uint8_t b : bytes_) v = (v << 8) | b;
  return v;
}

std::string MacAddress::toString() const {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", bytes_[0], bytes_[1], bytes_[2],
                bytes_[3], bytes_[4], bytes_[5]);
  return buf;
}

bool isValidIpv6(std::string_view text) {
  if (text.size() > INET6_ADDRSTRLEN) return false;
  std::string s(text);
  in6_addr out{};
  return inet_pton(AF_INET6, s.c_str(), &out) == 1;
}

}  // namespace alcor
