// Fuzz target: DHCPv4 messages (from pods, untrusted). Parsing must never crash, and whatever
// parses must survive serialize -> parse unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "lib/packet/dhcp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = alcor::packet::parseDhcp(alcor::packet::ByteView(data, size));
  if (!m.ok()) return 0;
  auto bytes = alcor::packet::serializeDhcp(*m);
  auto again = alcor::packet::parseDhcp(bytes);
  if (!again.ok() || !(*again == *m)) std::abort();
  return 0;
}
