#pragma once

// Internal: the pieces of the message codec that several message families share (OXM matches,
// action lists, instructions).

#include <optional>
#include <vector>

#include "lib/base/status.h"
#include "lib/openflow/action.h"
#include "lib/openflow/flow.h"
#include "lib/openflow/match.h"
#include "lib/openflow/wire.h"

namespace alcor::openflow::codec {

// One match field as a right-aligned integer (mask nullopt = exact).
struct FieldValue {
  Field field;
  uint64_t value;
  std::optional<uint64_t> mask;
};
// The fields set in `match`, in prerequisite order (eth_type before ip_proto before ports).
std::vector<FieldValue> matchFields(const Match& match);
Status setMatchField(Match& match, const FieldValue& fv);

// A single OXM TLV (header + value [+ mask]).
void encodeOxm(wire::Writer& w, Field field, uint64_t value, std::optional<uint64_t> mask);
// Reads one OXM TLV; unknown fields are an error.
StatusOr<FieldValue> decodeOxm(wire::Reader& r);
// Like decodeOxm, but also accepts OVS's 64-bit packet registers (xregN), which carry two
// 32-bit regs at once.
StatusOr<std::vector<FieldValue>> decodeOxmFields(wire::Reader& r);
uint32_t oxmHeader(Field field, bool has_mask = false);
std::optional<Field> fieldFromHeader(uint32_t header);

// struct ofp_match (type OXM), padded to 8 bytes.
void encodeMatch(wire::Writer& w, const Match& match);
StatusOr<Match> decodeMatch(wire::Reader& r);
// Bare OXM TLVs until the reader is exhausted (packet-in metadata).
Status decodeOxmList(wire::Reader r, Match& match);

void encodeActions(wire::Writer& w, const std::vector<Action>& actions);
StatusOr<std::vector<Action>> decodeActions(wire::Reader r);

void encodeInstructions(wire::Writer& w, const std::vector<Action>& actions,
                        std::optional<uint8_t> goto_table);
Status decodeInstructions(wire::Reader r, std::vector<Action>& actions,
                          std::optional<uint8_t>& goto_table);

}  // namespace alcor::openflow::codec
