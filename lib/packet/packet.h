#pragma once

// One-call parsing of an Ethernet frame into the layers present, for packet-in handlers
// (DHCP, ARP, neighbor discovery) and diagnostics.

#include <optional>
#include <string>

#include "lib/base/status.h"
#include "lib/packet/bytes.h"
#include "lib/packet/ethernet.h"
#include "lib/packet/ip.h"

namespace alcor::packet {

struct FiveTuple {
  bool ipv6 = false;
  Ipv6Bytes src{};  // v4 addresses in the first 4 bytes
  Ipv6Bytes dst{};
  uint8_t protocol = 0;
  uint16_t src_port = 0;  // 0 for protocols without ports
  uint16_t dst_port = 0;
  std::string toString() const;  // "udp 10.0.0.2:68 -> 255.255.255.255:67"
  bool operator==(const FiveTuple&) const = default;
};

struct ParsedPacket {
  EthernetHeader ethernet;
  std::optional<ArpPacket> arp;
  std::optional<Ipv4Header> ipv4;
  bool ipv4_checksum_ok = false;
  std::optional<Ipv6Header> ipv6;
  std::optional<UdpHeader> udp;
  bool udp_checksum_ok = false;  // true also when the sender left it 0
  std::optional<TcpHeader> tcp;
  std::optional<IcmpHeader> icmp;
  std::optional<Icmpv6Message> icmpv6;
  // Where the innermost parsed layer's payload lies in the frame (e.g. the DHCP message of a
  // UDP datagram). Offsets, so the struct stays valid after the frame buffer goes away.
  size_t payload_offset = 0;
  size_t payload_length = 0;

  ByteView payload(ByteView frame) const { return frame.subspan(payload_offset, payload_length); }
  // Addresses, protocol and ports of an IP packet; nullopt for non-IP frames.
  std::optional<FiveTuple> fiveTuple() const;
  bool isDhcp() const;  // UDP to or from ports 67/68
};

// Parses as deep as it understands. Unknown EtherTypes/protocols and IPv4 fragments (whose
// transport header cannot be checked alone) stop the walk (OK); a layer that is announced but
// truncated or malformed is an error.
StatusOr<ParsedPacket> parsePacket(ByteView frame);

}  // namespace alcor::packet
