#pragma once

// The id of a controller resource. Alcor's ids are UUIDs; clients (and --bootstrap-*) may choose
// their own, so any 1-64 characters of [A-Za-z0-9._:-] are accepted. Checked once where ids
// enter (REST bodies and paths, the store); inside the controller an id is always valid or empty
// (none given: the service generates one).

#include <compare>
#include <functional>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace alcor::controller {

class ResourceId {
 public:
  ResourceId() = default;

  // kInvalidArgument for anything but 1-64 of [A-Za-z0-9._:-].
  static StatusOr<ResourceId> parse(std::string_view text);
  // A new random UUID.
  static ResourceId generate();

  const std::string& str() const { return value_; }
  bool empty() const { return value_.empty(); }

  auto operator<=>(const ResourceId&) const = default;
  bool operator==(const ResourceId&) const = default;

 private:
  explicit ResourceId(std::string value) : value_(std::move(value)) {}
  std::string value_;
};

inline std::string operator+(const std::string& a, const ResourceId& b) { return a + b.str(); }
inline std::string operator+(const char* a, const ResourceId& b) { return a + b.str(); }
inline std::string operator+(const ResourceId& a, const std::string& b) { return a.str() + b; }
inline std::string operator+(const ResourceId& a, const char* b) { return a.str() + b; }

}  // namespace alcor::controller

template <>
struct std::hash<alcor::controller::ResourceId> {
  size_t operator()(const alcor::controller::ResourceId& id) const noexcept {
    return std::hash<std::string>()(id.str());
  }
};
