#pragma once

// Test helper: `ovs-ofctl ofp-print` as an independent decoder of our encodings.

#include <string>
#include <vector>

#include "lib/base/strings.h"
#include "lib/openflow/messages.h"
#include "tests/harness/process.h"

namespace alcor::openflow::testing {

// The text ovs-ofctl prints for the encoded message, trailing whitespace trimmed.
inline std::string ofpPrint(const std::vector<uint8_t>& bytes) {
  auto r = alcor::testing::run({"ovs-ofctl", "ofp-print", toHex(bytes)});
  std::string out = r.out + r.err;
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

inline std::vector<uint8_t> fromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace alcor::openflow::testing
