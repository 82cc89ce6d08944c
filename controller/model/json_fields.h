#pragma once

// The two visitors behind json_codec: each resource lists its fields once, in a
// `describe(Visitor&, Resource&)` function, and the same list reads a JSON body into the typed
// resource (JsonReader: type checks, value parsing, the first error naming the field) and writes
// the resource back as JSON (JsonWriter). A value type converts through one readValue/writeValue
// pair below; nested objects and arrays of them recurse through their own describe().
//
// Visitor calls a describe() may make:
//   v.field(key, value [, check])  a field; check(value) returns an error detail or "" (reading)
//   v.nullable(key, value)         written as null when empty
//   v.aliases({k1, k2}, value)     read from each key present (the last wins), written to all
//   v.constant(key, json)          written only
//   v.object(key, fn)              a nested object, fn(visitor) describes it
//   if constexpr (V::kReading) {   checks across fields: v.check(cond, key, detail)
//     ...
//   }

#include <initializer_list>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "controller/model/resources.h"
#include "lib/base/status.h"
#include "nlohmann/json.hpp"

namespace alcor::controller {

using nlohmann::json;

// Each enum's JSON names, one table for both directions.
template <typename E>
struct EnumNames;

template <>
struct EnumNames<Direction> {
  static constexpr std::pair<Direction, const char*> kNames[] = {{Direction::kIngress, "ingress"},
                                                                 {Direction::kEgress, "egress"}};
};
template <>
struct EnumNames<EtherType> {
  static constexpr std::pair<EtherType, const char*> kNames[] = {{EtherType::kIpv4, "IPv4"},
                                                                 {EtherType::kIpv6, "IPv6"}};
};
template <>
struct EnumNames<RuleProtocol> {
  // kAny is JSON null (an absent protocol), not a name.
  static constexpr std::pair<RuleProtocol, const char*> kNames[] = {
      {RuleProtocol::kTcp, "tcp"}, {RuleProtocol::kUdp, "udp"}, {RuleProtocol::kIcmp, "icmp"}};
};
template <>
struct EnumNames<GatewayType> {
  static constexpr std::pair<GatewayType, const char*> kNames[] = {
      {GatewayType::kDefault, "DEFAULT"}, {GatewayType::kZeta, "ZETA"},
      {GatewayType::kTgw, "TGW"},         {GatewayType::kIgw, "IGW"},
      {GatewayType::kNgw, "NGW"},         {GatewayType::kArion, "ARION"}};
};
template <>
struct EnumNames<PortStatus> {
  static constexpr std::pair<PortStatus, const char*> kNames[] = {{PortStatus::kDown, "DOWN"},
                                                                  {PortStatus::kActive, "ACTIVE"}};
};

template <typename E>
const char* enumName(E value) {
  for (const auto& [v, name] : EnumNames<E>::kNames) {
    if (v == value) return name;
  }
  return "";
}

// Value conversions. readValue returns an error detail ("must be a string", "\"x\" is not an
// IPv4 address") or "" on success; an empty string reads as "absent" for parsed types (callers
// decide what is required).
std::string readValue(const json& j, std::string& out);
std::string readValue(const json& j, bool& out);
std::string readValue(const json& j, int& out);
std::string readValue(const json& j, uint32_t& out);
std::string readValue(const json& j, ResourceId& out);
std::string readValue(const json& j, Ipv4Address& out);
std::string readValue(const json& j, Ipv4Prefix& out);  // host bits must be zero
std::string readValue(const json& j, MacAddress& out);
std::string readValue(const json& j, AddressOrPrefix& out);
// Any text: "ACTIVE" is ACTIVE, anything else DOWN (the status belongs to the controller).
std::string readValue(const json& j, PortStatus& out);
// "" is any protocol, as null is.
std::string readValue(const json& j, RuleProtocol& out);

json writeValue(const std::string& v);
json writeValue(bool v);
json writeValue(int v);
json writeValue(uint32_t v);
json writeValue(const ResourceId& v);
json writeValue(const Ipv4Address& v);
json writeValue(const Ipv4Prefix& v);
json writeValue(const MacAddress& v);
json writeValue(const AddressOrPrefix& v);

template <typename E>
requires std::is_enum_v<E> std::string readValue(const json& j, E& out) {
  if (!j.is_string()) return "must be a string";
  for (const auto& [v, name] : EnumNames<E>::kNames) {
    if (j.get_ref<const std::string&>() == name) {
      out = v;
      return "";
    }
  }
  std::string names;
  for (const auto& [v, name] : EnumNames<E>::kNames)
    names += (names.empty() ? "" : ", ") + std::string(name);
  return "must be one of " + names;
}
template <typename E>
requires std::is_enum_v<E> json writeValue(E v) { return enumName(v); }

// Parsed types whose empty string means "absent".
template <typename T>
inline constexpr bool kParsedFromText =
    std::is_same_v<T, ResourceId> || std::is_same_v<T, Ipv4Address> ||
    std::is_same_v<T, Ipv4Prefix> || std::is_same_v<T, MacAddress> ||
    std::is_same_v<T, AddressOrPrefix>;

template <typename T>
std::string readValue(const json& j, std::optional<T>& out) {
  if (j.is_null()) return "";
  if constexpr (kParsedFromText<T>) {
    if (j.is_string() && j.get_ref<const std::string&>().empty()) {
      out.reset();
      return "";
    }
  }
  T value{};
  std::string error = readValue(j, value);
  if (error.empty()) out = std::move(value);
  return error;
}
template <typename T>
json writeValue(const std::optional<T>& v) {
  if (v) return writeValue(*v);
  if constexpr (kParsedFromText<T>) return "";
  return nullptr;
}

class JsonWriter;
class JsonReader;

// Structs described field by field (defined in json_codec.cc for each nested type).
template <typename T>
concept Described = requires(JsonReader& r, JsonWriter& w, T& t) {
  describe(r, t);
  describe(w, t);
};

class JsonReader {
 public:
  static constexpr bool kReading = true;

  JsonReader(const json& j, std::string what) : j_(j), what_(std::move(what)) {
    if (!j_.is_object()) fail("", "must be a JSON object");
  }

  template <typename T>
  void field(const char* key, T& value) {
    const json* v = find(key);
    if (!v) return;
    read(key, *v, value);
  }
  template <typename T, typename Check>
  void field(const char* key, T& value, Check check) {
    const json* v = find(key);
    if (!v) return;
    if (read(key, *v, value)) {
      if (std::string detail = check(value); !detail.empty()) fail(key, detail);
    }
  }
  template <typename T>
  void nullable(const char* key, T& value) {
    field(key, value);
  }
  // Absent, null or "" is an error.
  template <typename T>
  void required(const char* key, T& value) {
    const json* v = find(key);
    if (!v || (v->is_string() && v->get_ref<const std::string&>().empty())) {
      return fail(key, "is required");
    }
    read(key, *v, value);
  }
  template <typename T, typename Check>
  void required(const char* key, T& value, Check check) {
    required(key, value);
    if (ok() && find(key)) {
      if (std::string detail = check(value); !detail.empty()) fail(key, detail);
    }
  }
  template <typename T>
  void aliases(std::initializer_list<const char*> keys, T& value) {
    for (const char* key : keys) field(key, value);
  }
  void constant(const char*, const json&) {}
  template <typename Fn>
  void object(const char* key, Fn fn) {
    const json* v = find(key);
    if (!v) return;
    JsonReader sub(*v, what_ + "." + key);
    if (sub.ok()) fn(sub);
    if (!sub.ok()) status_ = sub.status_;
  }

  void check(bool cond, const std::string& key, const std::string& detail) {
    if (!cond) fail(key, detail);
  }
  void fail(const std::string& key, const std::string& detail) {
    if (!status_.ok()) return;
    status_ = invalidArgumentError(what_ + (key.empty() ? "" : "." + key) + " " + detail);
  }
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  bool has(const char* key) const { return find(key) != nullptr; }

 private:
  const json* find(const char* key) const {
    if (!j_.is_object()) return nullptr;
    auto it = j_.find(key);
    if (it == j_.end() || it->is_null()) return nullptr;
    return &*it;
  }

  template <typename T>
  bool read(const char* key, const json& v, T& value) {
    if (!ok()) return false;
    if constexpr (Described<T>) {
      JsonReader sub(v, what_ + "." + key);
      if (sub.ok()) describe(sub, value);
      if (!sub.ok()) status_ = sub.status_;
      return ok();
    } else {
      std::string detail = readValue(v, value);
      if (!detail.empty()) fail(key, detail);
      return detail.empty();
    }
  }
  template <typename T>
  bool read(const char* key, const json& v, std::vector<T>& value) {
    if (!ok()) return false;
    constexpr bool kObjects = Described<T>;
    if (!v.is_array()) {
      fail(key, kObjects ? "must be an array of objects" : "must be an array of strings");
      return false;
    }
    std::vector<T> out;
    out.reserve(v.size());
    for (const auto& e : v) {
      if (kObjects && !e.is_object()) {
        fail(key, "must be an array of objects");
        return false;
      }
      T item{};
      if (!read(key, e, item)) return false;
      out.push_back(std::move(item));
    }
    value = std::move(out);
    return true;
  }

  const json& j_;
  std::string what_;
  Status status_;
};

class JsonWriter {
 public:
  static constexpr bool kReading = false;

  template <typename T>
  void field(const char* key, const T& value) {
    out_[key] = write(value);
  }
  template <typename T, typename Check>
  void field(const char* key, const T& value, Check) {
    field(key, value);
  }
  template <typename T, typename... Check>
  void required(const char* key, const T& value, Check...) {
    field(key, value);
  }
  template <typename T>
  void nullable(const char* key, const T& value) {
    json j = write(value);
    out_[key] = (j.is_string() && j.get_ref<const std::string&>().empty()) ? json(nullptr) : j;
  }
  template <typename T>
  void aliases(std::initializer_list<const char*> keys, const T& value) {
    for (const char* key : keys) field(key, value);
  }
  void constant(const char* key, const json& value) { out_[key] = value; }
  template <typename Fn>
  void object(const char* key, Fn fn) {
    JsonWriter sub;
    fn(sub);
    out_[key] = std::move(sub.out_);
  }
  void check(bool, const std::string&, const std::string&) {}

  json take() { return std::move(out_); }

 private:
  template <typename T>
  static json write(const T& value) {
    if constexpr (Described<T>) {
      JsonWriter sub;
      describe(sub, const_cast<T&>(value));  // the writer only reads
      return sub.take();
    } else {
      return writeValue(value);
    }
  }
  template <typename T>
  static json write(const std::vector<T>& values) {
    json a = json::array();
    for (const auto& v : values) a.push_back(write(v));
    return a;
  }

  json out_ = json::object();
};

}  // namespace alcor::controller
