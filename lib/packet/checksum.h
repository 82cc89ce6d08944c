#pragma once

// The Internet checksum (RFC 1071) and the pseudo headers UDP, TCP and ICMPv6 add to it.

#include <array>
#include <cstdint>

#include "lib/base/net_types.h"
#include "lib/packet/bytes.h"

namespace alcor::packet {

using Ipv6Bytes = std::array<uint8_t, 16>;

// Accumulates 16-bit big-endian words; odd-length chunks are handled across add() calls.
class ChecksumAccumulator {
 public:
  void add(ByteView bytes);
  void addU16(uint16_t v);
  void addU32(uint32_t v);
  uint16_t finish() const;  // one's complement of the folded sum

 private:
  uint64_t sum_ = 0;
  bool odd_ = false;  // an odd byte is pending as the high half of the next word
};

uint16_t internetChecksum(ByteView bytes);

// Checksum of an IPv4 pseudo header + segment (UDP/TCP). Over a segment whose checksum field
// holds the transmitted value, a correct checksum yields 0.
uint16_t transportChecksumV4(Ipv4Address src, Ipv4Address dst, uint8_t protocol, ByteView segment);
uint16_t transportChecksumV6(const Ipv6Bytes& src, const Ipv6Bytes& dst, uint8_t next_header,
                             ByteView segment);

}  // namespace alcor::packet
