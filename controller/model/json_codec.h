#pragma once

// JSON <-> resources, with Alcor's (Neutron-style) field names. Each resource's fields are listed
// once (describe() in json_codec.cc) and that list drives both directions (json_fields.h).
// Parsing validates untrusted REST bodies: a known field of the wrong type, a bad CIDR, IP, MAC
// or id is an INVALID_ARGUMENT naming the field. Unknown fields are ignored (Alcor clients send
// many we do not use). References to other resources are checked by the services, not here.

#include "controller/model/json_fields.h"
#include "controller/model/resources.h"
#include "lib/base/status.h"

namespace alcor::controller {

StatusOr<Node> nodeFromJson(const json& j);
StatusOr<Vpc> vpcFromJson(const json& j);
StatusOr<Subnet> subnetFromJson(const json& j);
StatusOr<Port> portFromJson(const json& j);
StatusOr<SecurityGroupRule> ruleFromJson(const json& j);
StatusOr<SecurityGroup> securityGroupFromJson(const json& j);
StatusOr<Router> routerFromJson(const json& j);
StatusOr<Gateway> gatewayFromJson(const json& j);

json toJson(const Node& n);
json toJson(const Vpc& v);
json toJson(const Subnet& s);
json toJson(const Port& p);
json toJson(const SecurityGroupRule& r);
json toJson(const SecurityGroup& g);
json toJson(const Router& r);
json toJson(const Gateway& g);

// The parser of each resource, for code generic over resources (REST, the store).
template <typename T>
StatusOr<T> fromJson(const json& j);
template <>
inline StatusOr<Node> fromJson<Node>(const json& j) {
  return nodeFromJson(j);
}
template <>
inline StatusOr<Vpc> fromJson<Vpc>(const json& j) {
  return vpcFromJson(j);
}
template <>
inline StatusOr<Subnet> fromJson<Subnet>(const json& j) {
  return subnetFromJson(j);
}
template <>
inline StatusOr<Port> fromJson<Port>(const json& j) {
  return portFromJson(j);
}
template <>
inline StatusOr<SecurityGroupRule> fromJson<SecurityGroupRule>(const json& j) {
  return ruleFromJson(j);
}
template <>
inline StatusOr<SecurityGroup> fromJson<SecurityGroup>(const json& j) {
  return securityGroupFromJson(j);
}
template <>
inline StatusOr<Router> fromJson<Router>(const json& j) {
  return routerFromJson(j);
}
template <>
inline StatusOr<Gateway> fromJson<Gateway>(const json& j) {
  return gatewayFromJson(j);
}

// For PUT: the stored resource with the body's fields laid over it, re-validated as a whole.
template <typename T, typename Parse>
StatusOr<T> mergeJson(const T& existing, const json& patch, Parse parse) {
  if (!patch.is_object()) return invalidArgumentError("update body must be a JSON object");
  json merged = toJson(existing);
  for (const auto& [key, value] : patch.items()) merged[key] = value;
  return parse(merged);
}

}  // namespace alcor::controller
