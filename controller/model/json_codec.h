#pragma once

// JSON <-> resources, with Alcor's (Neutron-style) field names. Parsing validates untrusted REST
// bodies: a known field of the wrong type, a bad CIDR, IP or MAC is an INVALID_ARGUMENT naming
// the field. Unknown fields are ignored (Alcor clients send many we do not use). References to
// other resources are checked by NetworkService, not here.

#include "controller/model/resources.h"
#include "lib/base/status.h"
#include "nlohmann/json.hpp"

namespace alcor::controller {

using nlohmann::json;

StatusOr<Node> nodeFromJson(const json& j);
json toJson(const Node& n);

StatusOr<Vpc> vpcFromJson(const json& j);
json toJson(const Vpc& v);

StatusOr<Subnet> subnetFromJson(const json& j);
json toJson(const Subnet& s);

StatusOr<Port> portFromJson(const json& j);
json toJson(const Port& p);

StatusOr<SecurityGroupRule> ruleFromJson(const json& j);
json toJson(const SecurityGroupRule& r);

StatusOr<SecurityGroup> securityGroupFromJson(const json& j);
json toJson(const SecurityGroup& g);

StatusOr<Router> routerFromJson(const json& j);
json toJson(const Router& r);

StatusOr<Gateway> gatewayFromJson(const json& j);
json toJson(const Gateway& g);

// For PUT: the stored resource with the body's fields laid over it, re-validated as a whole.
template <typename T, typename Parse>
StatusOr<T> mergeJson(const T& existing, const json& patch, Parse parse) {
  if (!patch.is_object()) return invalidArgumentError("update body must be a JSON object");
  json merged = toJson(existing);
  for (const auto& [key, value] : patch.items()) merged[key] = value;
  return parse(merged);
}

}  // namespace alcor::controller
