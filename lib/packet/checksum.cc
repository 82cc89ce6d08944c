#include "lib/packet/checksum.h"

namespace alcor::packet {

void ChecksumAccumulator::add(ByteView bytes) {
  for (uint8_t b : bytes) {
    sum_ += odd_ ? b : uint32_t{b} << 8;
    odd_ = !odd_;
  }
}

void ChecksumAccumulator::addU16(uint16_t v) {
  const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
  add(b);
}

void ChecksumAccumulator::addU32(uint32_t v) {
  addU16(static_cast<uint16_t>(v >> 16));
  addU16(static_cast<uint16_t>(v));
}

uint16_t ChecksumAccumulator::finish() const {
  uint64_t s = sum_;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

uint16_t internetChecksum(ByteView bytes) {
  ChecksumAccumulator acc;
  acc.add(bytes);
  return acc.finish();
}

uint16_t transportChecksumV4(Ipv4Address src, Ipv4Address dst, uint8_t protocol, ByteView segment) {
  ChecksumAccumulator acc;
  acc.addU32(src.value());
  acc.addU32(dst.value());
  acc.addU16(protocol);
  acc.addU16(static_cast<uint16_t>(segment.size()));
  acc.add(segment);
  return acc.finish();
}

uint16_t transportChecksumV6(const Ipv6Bytes& src, const Ipv6Bytes& dst, uint8_t next_header,
                             ByteView segment) {
  ChecksumAccumulator acc;
  acc.add(src);
  acc.add(dst);
  acc.addU32(static_cast<uint32_t>(segment.size()));
  acc.addU32(next_header);
  acc.add(segment);
  return acc.finish();
}

}  // namespace alcor::packet
