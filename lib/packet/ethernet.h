#pragma once

// Ethernet II (with an optional 802.1Q tag) and Ethernet/IPv4 ARP.

#include <cstdint>
#include <optional>

#include "lib/base/net_types.h"
#include "lib/base/status.h"
#include "lib/packet/bytes.h"

namespace alcor::packet {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr size_t kEthernetHeaderLength = 14;
inline constexpr size_t kVlanTagLength = 4;

struct EthernetHeader {
  MacAddress dst;
  MacAddress src;
  std::optional<uint16_t> vlan_tci;  // the 802.1Q TCI (PCP:3 DEI:1 VID:12) when tagged
  uint16_t ether_type = 0;           // of the payload (the inner type when tagged)

  uint16_t vlanId() const { return vlan_tci ? (*vlan_tci & 0x0fff) : 0; }
  size_t headerLength() const { return kEthernetHeaderLength + (vlan_tci ? kVlanTagLength : 0); }
  bool operator==(const EthernetHeader&) const = default;
};

// The payload starts at headerLength(). One tag only (QinQ frames report the inner 0x8100).
StatusOr<EthernetHeader> parseEthernet(ByteView frame);
void writeEthernet(Bytes& out, const EthernetHeader& header);

inline constexpr uint16_t kArpRequest = 1;
inline constexpr uint16_t kArpReply = 2;
inline constexpr size_t kArpLength = 28;

struct ArpPacket {
  uint16_t op = kArpRequest;
  MacAddress sender_mac;
  Ipv4Address sender_ip;
  MacAddress target_mac;
  Ipv4Address target_ip;

  // Gratuitous: sender and target IP are the same (RFC 5227 announcement).
  bool isGratuitous() const { return sender_ip == target_ip; }
  bool operator==(const ArpPacket&) const = default;
};

// Ethernet/IPv4 ARP only (htype 1, ptype 0x0800, hlen 6, plen 4); anything else is an error.
StatusOr<ArpPacket> parseArp(ByteView payload);
void writeArp(Bytes& out, const ArpPacket& arp);

}  // namespace alcor::packet
