// Fuzz target: Zeta OAM payloads (untrusted UDP from the underlay). Decoding must never crash,
// and whatever decodes must re-encode to the same bytes (modulo padding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "node-agent/zeta/oam_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto m = alcor::agent::zeta::decodeOam(data, size);
  if (!m.ok()) return 0;
  auto bytes = alcor::agent::zeta::encodeOam(*m);
  auto again = alcor::agent::zeta::decodeOam(bytes.data(), bytes.size());
  if (!again.ok() || !(*again == *m)) std::abort();
  return 0;
}
