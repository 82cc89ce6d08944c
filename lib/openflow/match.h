#pragma once

// OpenFlow match: one optional member per field, named as ovs-ofctl names them (snake_case).
// Encoded as OXM/NXM TLVs (OpenFlow 1.5). The caller supplies prerequisites (eth_type, ip_proto)
// as OVS requires them; the codec does not add them implicitly.

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "lib/base/net_types.h"

namespace alcor::openflow {

// A value with an optional bit mask (no mask = exact match / full write).
template <class T>
struct Masked {
  T value{};
  std::optional<T> mask;

  Masked() = default;
  Masked(T v) : value(v) {}  // NOLINT(implicit): exact match is the common case
  Masked(T v, T m) : value(v), mask(m) {}
  bool operator==(const Masked&) const = default;
};

// ct_state bits (NXM_NX_CT_STATE), as in OVS.
inline constexpr uint32_t kCtNew = 1 << 0;
inline constexpr uint32_t kCtEstablished = 1 << 1;
inline constexpr uint32_t kCtRelated = 1 << 2;
inline constexpr uint32_t kCtReply = 1 << 3;
inline constexpr uint32_t kCtInvalid = 1 << 4;
inline constexpr uint32_t kCtTracked = 1 << 5;
inline constexpr uint32_t kCtSrcNat = 1 << 6;
inline constexpr uint32_t kCtDstNat = 1 << 7;

// vlan_vid "present" bit (OFPVID_PRESENT) carried in the value, as in OXM.
inline constexpr uint16_t kVlanPresent = 0x1000;

// Well-known EtherTypes and IP protocols for building matches.
inline constexpr uint16_t kEthTypeIpv4 = 0x0800;
inline constexpr uint16_t kEthTypeArp = 0x0806;
inline constexpr uint16_t kEthTypeVlan = 0x8100;
inline constexpr uint16_t kEthTypeIpv6 = 0x86dd;
inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;

struct Match {
  std::optional<uint32_t> in_port;
  std::optional<Masked<MacAddress>> eth_src;
  std::optional<Masked<MacAddress>> eth_dst;
  std::optional<uint16_t> eth_type;
  std::optional<Masked<uint16_t>> vlan_vid;
  std::optional<uint8_t> ip_proto;
  std::optional<Masked<Ipv4Address>> ipv4_src;
  std::optional<Masked<Ipv4Address>> ipv4_dst;
  std::optional<Masked<uint16_t>> tcp_src;
  std::optional<Masked<uint16_t>> tcp_dst;
  std::optional<Masked<uint16_t>> udp_src;
  std::optional<Masked<uint16_t>> udp_dst;
  std::optional<uint8_t> icmp_type;
  std::optional<uint8_t> icmp_code;
  std::optional<uint16_t> arp_op;
  std::optional<Masked<Ipv4Address>> arp_spa;
  std::optional<Masked<Ipv4Address>> arp_tpa;
  std::optional<MacAddress> arp_sha;
  std::optional<MacAddress> arp_tha;
  std::optional<Masked<uint64_t>> tun_id;
  std::optional<Masked<Ipv4Address>> tun_ipv4_src;
  std::optional<Masked<Ipv4Address>> tun_ipv4_dst;
  std::optional<Masked<uint32_t>> ct_state;
  std::optional<uint16_t> ct_zone;
  std::optional<Masked<uint32_t>> ct_mark;
  std::array<std::optional<Masked<uint32_t>>, 16> reg;
  std::optional<Masked<uint64_t>> metadata;
  std::optional<uint32_t> conj_id;

  bool operator==(const Match&) const = default;
  bool empty() const { return *this == Match{}; }
};

// Helpers for the common prerequisites.
Match ipv4Match();  // eth_type=0x0800
Match arpMatch();   // eth_type=0x0806
Match tcpMatch();   // ip + ip_proto=6
Match udpMatch();   // ip + ip_proto=17
Match icmpMatch();  // ip + ip_proto=1

// The match in ovs-ofctl's syntax, e.g. "ip,in_port=1,nw_src=10.0.0.0/24" ("" when empty).
std::string formatMatch(const Match& match);

}  // namespace alcor::openflow
