// Fuzz target: whole Ethernet frames (packet-ins from pods are untrusted). Parsing must never
// crash or read out of bounds, and whatever parses must describe itself consistently.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "lib/packet/dhcp.h"
#include "lib/packet/packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  alcor::packet::ByteView frame(data, size);
  auto p = alcor::packet::parsePacket(frame);
  if (!p.ok()) return 0;
  if (p->payload_offset + p->payload_length > size) std::abort();
  if (auto tuple = p->fiveTuple()) (void)tuple->toString();
  if (p->isDhcp()) (void)alcor::packet::parseDhcp(p->payload(frame));
  return 0;
}
