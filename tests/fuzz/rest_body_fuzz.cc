// Fuzz target: REST request bodies of the controller (untrusted JSON from any API client). Every
// resource decoder must reject or accept without crashing, and what it accepts must survive a
// round trip through its own JSON encoding.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "controller/model/json_codec.h"

namespace {

template <class Parse, class Encode>
void roundTrip(const alcor::controller::json& body, Parse parse, Encode encode) {
  auto first = parse(body);
  if (!first.ok()) return;
  auto again = parse(encode(*first));
  if (!again.ok()) std::abort();  // we wrote something we cannot read back
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace alcor::controller;
  auto body = json::parse(std::string(reinterpret_cast<const char*>(data), size), nullptr,
                          /*allow_exceptions=*/false);
  if (body.is_discarded()) return 0;
  roundTrip(body, nodeFromJson, [](const Node& v) { return toJson(v); });
  roundTrip(body, vpcFromJson, [](const Vpc& v) { return toJson(v); });
  roundTrip(body, subnetFromJson, [](const Subnet& v) { return toJson(v); });
  roundTrip(body, portFromJson, [](const Port& v) { return toJson(v); });
  roundTrip(body, securityGroupFromJson, [](const SecurityGroup& v) { return toJson(v); });
  (void)ruleFromJson(body);
  (void)routerFromJson(body);
  (void)gatewayFromJson(body);
  return 0;
}
