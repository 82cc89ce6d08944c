#pragma once

// IPv4 and IPv6 (basic header) network layers, and the transport headers above them: UDP, TCP
// (header only), ICMP (echo) and ICMPv6 (neighbor solicitation / advertisement).

#include <cstdint>
#include <optional>

#include "lib/base/net_types.h"
#include "lib/base/status.h"
#include "lib/packet/bytes.h"
#include "lib/packet/checksum.h"

namespace alcor::packet {

inline constexpr uint8_t kIpProtoIcmp = 1;
inline constexpr uint8_t kIpProtoTcp = 6;
inline constexpr uint8_t kIpProtoUdp = 17;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;

// ---- IPv4 ----
inline constexpr size_t kIpv4MinHeaderLength = 20;

struct Ipv4Header {
  uint8_t dscp_ecn = 0;
  uint16_t total_length = 0;  // parse: as on the wire; write: computed
  uint16_t identification = 0;
  bool dont_fragment = false;
  bool more_fragments = false;
  uint16_t fragment_offset = 0;  // in 8-byte units
  uint8_t ttl = 64;
  uint8_t protocol = 0;
  uint16_t checksum = 0;  // parse: as on the wire; write: computed
  Ipv4Address src;
  Ipv4Address dst;
  Bytes options;  // raw, a multiple of 4 bytes

  size_t headerLength() const { return kIpv4MinHeaderLength + options.size(); }
  bool isFragment() const { return more_fragments || fragment_offset != 0; }
  bool operator==(const Ipv4Header&) const = default;
};

struct ParsedIpv4 {
  Ipv4Header header;
  bool checksum_ok = false;
  ByteView payload;  // total_length bounds it (trailing Ethernet padding excluded)
};

// Checks version, IHL and total length against the bytes present. A wrong header checksum is
// reported (checksum_ok), not rejected.
StatusOr<ParsedIpv4> parseIpv4(ByteView packet);
// Writes the header with total_length = headerLength() + payload_length and a fresh checksum.
void writeIpv4(Bytes& out, const Ipv4Header& header, size_t payload_length);

// ---- IPv6 ----
inline constexpr size_t kIpv6HeaderLength = 40;

struct Ipv6Header {
  uint8_t traffic_class = 0;
  uint32_t flow_label = 0;      // 20 bits
  uint16_t payload_length = 0;  // parse: as on the wire; write: computed
  uint8_t next_header = 0;      // extension headers are not walked
  uint8_t hop_limit = 64;
  Ipv6Bytes src{};
  Ipv6Bytes dst{};
  bool operator==(const Ipv6Header&) const = default;
};

struct ParsedIpv6 {
  Ipv6Header header;
  ByteView payload;
};

StatusOr<ParsedIpv6> parseIpv6(ByteView packet);
void writeIpv6(Bytes& out, const Ipv6Header& header, size_t payload_length);

// ---- UDP ----
inline constexpr size_t kUdpHeaderLength = 8;

struct UdpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint16_t length = 0;    // header + payload
  uint16_t checksum = 0;  // 0 = none (IPv4 only)
  bool operator==(const UdpHeader&) const = default;
};

struct ParsedUdp {
  UdpHeader header;
  ByteView payload;  // bounded by the length field
};

StatusOr<ParsedUdp> parseUdp(ByteView segment);
// Full datagram with length and checksum filled in (checksum over the v4 pseudo header).
void writeUdpV4(Bytes& out, Ipv4Address src, Ipv4Address dst, uint16_t src_port, uint16_t dst_port,
                ByteView payload);
// True when the checksum is absent (0) or verifies; `segment` = the whole UDP datagram.
bool udpChecksumOkV4(Ipv4Address src, Ipv4Address dst, ByteView segment);

// ---- TCP ----
inline constexpr size_t kTcpMinHeaderLength = 20;
namespace tcp_flags {
inline constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                         kUrg = 0x20, kEce = 0x40, kCwr = 0x80;
}

struct TcpHeader {
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint8_t flags = 0;
  uint16_t window = 0;
  uint16_t checksum = 0;
  uint16_t urgent = 0;
  Bytes options;  // raw, a multiple of 4 bytes
  size_t headerLength() const { return kTcpMinHeaderLength + options.size(); }
  bool operator==(const TcpHeader&) const = default;
};

struct ParsedTcp {
  TcpHeader header;
  ByteView payload;
};

StatusOr<ParsedTcp> parseTcp(ByteView segment);
// Header + payload with a v4 pseudo-header checksum.
void writeTcpV4(Bytes& out, Ipv4Address src, Ipv4Address dst, const TcpHeader& header,
                ByteView payload);

// ---- ICMP ----
inline constexpr uint8_t kIcmpEchoReply = 0;
inline constexpr uint8_t kIcmpEchoRequest = 8;
inline constexpr size_t kIcmpHeaderLength = 8;

struct IcmpHeader {
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t checksum = 0;
  uint32_t rest = 0;  // echo: identifier << 16 | sequence
  uint16_t identifier() const { return rest >> 16; }
  uint16_t sequence() const { return rest & 0xffff; }
  bool isEcho() const { return type == kIcmpEchoRequest || type == kIcmpEchoReply; }
  bool operator==(const IcmpHeader&) const = default;
};

struct ParsedIcmp {
  IcmpHeader header;
  bool checksum_ok = false;
  ByteView payload;
};

StatusOr<ParsedIcmp> parseIcmp(ByteView message);
void writeIcmpEcho(Bytes& out, bool request, uint16_t identifier, uint16_t sequence, ByteView data);

// ---- ICMPv6 neighbor discovery (RFC 4861) ----
inline constexpr uint8_t kIcmpv6NeighborSolicitation = 135;
inline constexpr uint8_t kIcmpv6NeighborAdvertisement = 136;

struct Icmpv6Message {
  uint8_t type = 0;
  uint8_t code = 0;
  uint16_t checksum = 0;
  bool checksum_ok = false;  // parse only
  // NS/NA only:
  Ipv6Bytes target{};
  bool router = false;                            // NA R flag
  bool solicited = false;                         // NA S flag
  bool override_flag = false;                     // NA O flag
  std::optional<MacAddress> source_link_address;  // option 1
  std::optional<MacAddress> target_link_address;  // option 2
  bool isNeighborDiscovery() const {
    return type == kIcmpv6NeighborSolicitation || type == kIcmpv6NeighborAdvertisement;
  }
};

// Any ICMPv6 type parses (type/code/checksum); NS/NA bodies and options are decoded.
StatusOr<Icmpv6Message> parseIcmpv6(const Ipv6Header& ip, ByteView message);
// Writes an NS or NA (per message.type) with its options and checksum.
void writeNeighborDiscovery(Bytes& out, const Ipv6Bytes& src, const Ipv6Bytes& dst,
                            const Icmpv6Message& message);

}  // namespace alcor::packet
