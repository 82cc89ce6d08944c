// Fuzz target: OpenFlow message decoding (bytes from OVS are untrusted input). Anything that
// decodes must re-encode and decode to the same message.

#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "lib/openflow/messages.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace alcor::openflow;
  auto decoded = decode(std::span<const uint8_t>(data, size));
  if (!decoded.ok()) return 0;
  (void)errorText(Error{});
  auto again = decode(encode(*decoded));
  if (!again.ok()) abort();
  (void)formatFlow(Flow{});
  if (auto* fm = std::get_if<FlowMod>(&decoded->body)) (void)formatFlow(fm->flow);
  return 0;
}
