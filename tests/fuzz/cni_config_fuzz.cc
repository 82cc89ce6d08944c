// Fuzz target: everything the agent and plugin parse from a CNI runtime (stdin config with
// prevResult, CNI_ARGS).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lib/cni/types.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto config = alcor::cni::parseNetworkConfig(text);
  if (config.ok() && config.value->prev_result.is_object()) {
    (void)alcor::cni::decodeResult(config.value->prev_result);
  }
  (void)alcor::cni::parseCniArgs(text);
  return 0;
}
