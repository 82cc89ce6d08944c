#pragma once

// FNV-1a, for stable ids derived from text (not for security): the same text gives the same
// number in every process and release.

#include <cstdint>
#include <string_view>

namespace alcor {

template <typename T, T kOffset, T kPrime>
constexpr T fnv1a(std::string_view s) {
  T h = kOffset;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= kPrime;
  }
  return h;
}

constexpr uint32_t fnv1a32(std::string_view s) {
  return fnv1a<uint32_t, 2166136261u, 16777619u>(s);
}
constexpr uint64_t fnv1a64(std::string_view s) {
  return fnv1a<uint64_t, 14695981039346656037ull, 1099511628211ull>(s);
}

}  // namespace alcor
