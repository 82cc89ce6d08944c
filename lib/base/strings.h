#pragma once

// Small string helpers on std::string_view (the project does not use abseil's strings, whose
// Debian build has a string_view of its own).

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alcor {

std::vector<std::string_view> splitString(std::string_view text, char sep, bool skip_empty = true);
std::string_view trimSpace(std::string_view text);
std::string toLower(std::string_view text);
std::string joinStrings(const std::vector<std::string>& parts, std::string_view sep);
bool startsWith(std::string_view text, std::string_view prefix);
bool endsWith(std::string_view text, std::string_view suffix);

// Whole-string decimal parse; nullopt on any junk, sign error or overflow.
template <typename Int>
std::optional<Int> parseInt(std::string_view text, int base = 10) {
  Int value{};
  if (text.empty()) return std::nullopt;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value, base);
  if (ec != std::errc() || ptr != text.data() + text.size()) return std::nullopt;
  return value;
}

std::optional<double> parseDouble(std::string_view text);

// "0a1b..." for logs and test output.
std::string hexDump(const void* data, size_t size);

}  // namespace alcor
