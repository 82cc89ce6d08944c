#include "controller/model/json_fields.h"

#include <limits>

namespace alcor::controller {
namespace {

// Reads a string holding a parsed type; "" leaves `out` as it is (absent).
template <typename T, typename Parse>
std::string readText(const json& j, T& out, Parse parse, const char* what) {
  if (!j.is_string()) return "must be a string";
  const auto& text = j.get_ref<const std::string&>();
  if (text.empty()) return "";
  auto value = parse(text);
  if (!value.ok()) return "\"" + text.substr(0, 80) + "\" is not " + what;
  out = *value;
  return "";
}

std::string readInteger(const json& j, int64_t& out, int64_t min, int64_t max) {
  if (!j.is_number_integer()) return "must be an integer";
  if (j.is_number_unsigned() && j.get<uint64_t>() > static_cast<uint64_t>(max)) {
    return "is out of range";
  }
  out = j.get<int64_t>();
  if (out < min || out > max) return "is out of range";
  return "";
}

}  // namespace

std::string readValue(const json& j, std::string& out) {
  if (!j.is_string()) return "must be a string";
  out = j.get<std::string>();
  return "";
}

std::string readValue(const json& j, bool& out) {
  if (!j.is_boolean()) return "must be a boolean";
  out = j.get<bool>();
  return "";
}

std::string readValue(const json& j, int& out) {
  int64_t v = 0;
  std::string error =
      readInteger(j, v, std::numeric_limits<int>::min(), std::numeric_limits<int>::max());
  if (error.empty()) out = static_cast<int>(v);
  return error;
}

std::string readValue(const json& j, uint32_t& out) {
  int64_t v = 0;
  std::string error = readInteger(j, v, 0, std::numeric_limits<uint32_t>::max());
  if (error.empty()) out = static_cast<uint32_t>(v);
  return error;
}

std::string readValue(const json& j, ResourceId& out) {
  if (!j.is_string()) return "must be a string";
  const auto& text = j.get_ref<const std::string&>();
  if (text.empty()) return "";
  auto id = ResourceId::parse(text);
  if (!id.ok()) return std::string(id.status().message());
  out = *id;
  return "";
}

std::string readValue(const json& j, Ipv4Address& out) {
  return readText(
      j, out, [](const std::string& t) { return Ipv4Address::parse(t); }, "an IPv4 address");
}

std::string readValue(const json& j, Ipv4Prefix& out) {
  return readText(
      j, out, [](const std::string& t) { return Ipv4Prefix::parse(t, /*strict=*/true); },
      "an IPv4 CIDR with zero host bits");
}

std::string readValue(const json& j, MacAddress& out) {
  return readText(
      j, out, [](const std::string& t) { return MacAddress::parse(t); }, "a MAC address");
}

std::string readValue(const json& j, AddressOrPrefix& out) {
  return readText(
      j, out, [](const std::string& t) { return AddressOrPrefix::parse(t); },
      "an IPv4 address or CIDR");
}

std::string readValue(const json& j, PortStatus& out) {
  if (!j.is_string()) return "must be a string";
  out = j.get_ref<const std::string&>() == "ACTIVE" ? PortStatus::kActive : PortStatus::kDown;
  return "";
}

std::string readValue(const json& j, RuleProtocol& out) {
  if (j.is_string() && j.get_ref<const std::string&>().empty()) {
    out = RuleProtocol::kAny;
    return "";
  }
  std::string error = readValue<RuleProtocol>(j, out);
  return error.empty() ? "" : "must be tcp, udp, icmp or empty";
}

json writeValue(const std::string& v) { return v; }
json writeValue(bool v) { return v; }
json writeValue(int v) { return v; }
json writeValue(uint32_t v) { return v; }
json writeValue(const ResourceId& v) { return v.str(); }
json writeValue(const Ipv4Address& v) { return v.toString(); }
json writeValue(const Ipv4Prefix& v) { return v.toString(); }
json writeValue(const MacAddress& v) { return v.toString(); }
json writeValue(const AddressOrPrefix& v) { return v.toString(); }

}  // namespace alcor::controller
