#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/openflow/action.h"
#include "lib/openflow/match.h"

namespace alcor::openflow {

inline constexpr uint8_t kTableAll = 0xff;  // OFPTT_ALL
inline constexpr uint16_t kDefaultPriority = 0x8000;

struct Flow {
  uint8_t table = 0;
  uint16_t priority = kDefaultPriority;
  uint64_t cookie = 0;
  Match match;
  std::vector<Action> actions;  // apply-actions; empty with no goto = drop
  std::optional<uint8_t> goto_table;
  uint16_t idle_timeout = 0;
  uint16_t hard_timeout = 0;
  bool operator==(const Flow&) const = default;
};

// OFPFF_* flow-mod flags.
inline constexpr uint16_t kFlowSendFlowRemoved = 1 << 0;
inline constexpr uint16_t kFlowCheckOverlap = 1 << 1;
inline constexpr uint16_t kFlowResetCounts = 1 << 2;
inline constexpr uint16_t kFlowNoPacketCounts = 1 << 3;
inline constexpr uint16_t kFlowNoByteCounts = 1 << 4;

struct FlowMod {
  enum Command : uint8_t {
    kAdd = 0,
    kModify = 1,
    kModifyStrict = 2,
    kDelete = 3,
    kDeleteStrict = 4
  };
  Command command = kAdd;
  Flow flow;
  uint64_t cookie_mask = 0;  // modify/delete: only flows whose cookie matches under this mask
  // Table the command applies to; nullopt = flow.table (delete may use kTableAll).
  std::optional<uint8_t> table;
  uint16_t flags = 0;
  uint32_t out_port = 0xffffffff;   // delete filter (OFPP_ANY)
  uint32_t out_group = 0xffffffff;  // delete filter (OFPG_ANY)
  bool operator==(const FlowMod&) const = default;

  uint8_t effectiveTable() const { return table.value_or(flow.table); }
  static FlowMod add(Flow flow) { return FlowMod{kAdd, std::move(flow)}; }
  static FlowMod deleteStrict(Flow flow) { return FlowMod{kDeleteStrict, std::move(flow)}; }
};

// The flow as `ovs-ofctl -O OpenFlow15 --no-stats dump-flows` prints it, e.g.
// "cookie=0x5, table=1, priority=100,ip,nw_src=10.0.0.1 actions=output:2" (cookie and table are
// omitted when zero, as OVS does).
std::string formatFlow(const Flow& flow);

}  // namespace alcor::openflow
