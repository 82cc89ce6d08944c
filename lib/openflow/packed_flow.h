#pragma once

// A flow kept as OpenFlow 1.5 wire bytes, for callers that hold many flows (the agent's installed
// table): a few hundred bytes less than a Flow object each, compared with memcmp, and sent to the
// switch without being decoded again.
//   key:   table(1) priority(2) ofp_match (padded): what OFPFC_ADD replaces and a strict
//          delete names, so it identifies the flow in the switch.
//   value: cookie(8) idle_timeout(2) hard_timeout(2) instructions: everything else.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"
#include "lib/openflow/messages.h"

namespace alcor::openflow {

struct PackedFlow {
  std::string key;
  std::string value;
  bool operator==(const PackedFlow&) const = default;
};

PackedFlow pack(const Flow& flow);
// pack(flow).key alone; or built from its parts.
std::string packedKey(const Flow& flow);
std::string packedKey(uint8_t table, uint16_t priority, const Match& match);
// Fails on bytes pack() did not produce (truncated, unknown fields).
StatusOr<Flow> unpack(std::string_view key, std::string_view value);

// A flow mod over a packed flow: kAdd (adds or replaces) or kDeleteStrict. The views must
// outlive the call that sends it.
struct PackedFlowMod {
  FlowMod::Command command = FlowMod::kAdd;
  std::string_view key;
  std::string_view value;
};

// Appends OFPT_BUNDLE_ADD_MESSAGE carrying the flow mod: the same bytes as encoding
// Message{xid, BundleAdd{bundle_id, flags, <the unpacked FlowMod>}}.
void encodeBundleAddTo(uint32_t xid, uint32_t bundle_id, uint16_t flags, const PackedFlowMod& mod,
                       std::vector<uint8_t>& out);

StatusOr<FlowMod> unpackFlowMod(const PackedFlowMod& mod);

}  // namespace alcor::openflow
