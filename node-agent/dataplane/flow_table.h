#pragma once

// The agent's flows on br-int, per owner (pipeline/owner.h), packed (openflow/packed_flow.h):
// for each flow identity (table, priority, match) the owners that want it, in owner order, and
// what the switch holds. The first owner that wants an identity is the one whose flow is
// installed, as in the full recompute. A programming pass stages the flows of the owners it
// recomputed (the flow and group mods that bring the switch there, the table unchanged), sends
// them, and commits the staged state only once the switch took them, so a failed pass leaves
// the table describing the switch.

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lib/openflow/messages.h"
#include "lib/openflow/packed_flow.h"
#include "node-agent/pipeline/owner.h"

namespace alcor::agent {

class FlowTable {
 public:
  // The flows an owner has now (recomputed in this pass).
  struct OwnerUpdate {
    pipeline::OwnerKey owner;
    std::vector<openflow::PackedFlow> flows;  // identities unique (the first of each kept)
    std::vector<openflow::GroupMod> groups;
    std::string programmed_port;  // OwnerFlows::programmed_port
  };
  using Updates = std::vector<OwnerUpdate>;

  struct Staged;
  // What a pass sends; the views point into the table and the updates, which must not change
  // until commit() or until the Staged is dropped.
  struct Plan {
    std::vector<openflow::PackedFlowMod> mods;     // adds and replacements first, then deletes
    std::vector<openflow::GroupMod> group_writes;  // before the bundle; command kAdd or kModify
    std::vector<uint32_t> group_deletes;           // after the bundle
    std::shared_ptr<Staged> staged;
  };

  FlowTable();
  ~FlowTable();

  // `full`: owners the table knows and `updates` does not name lost their flows, and every
  // installed flow nobody wants is deleted. `keep_restored`: flows read back at start that no
  // owner has wanted since stay (the agent is still relearning its state).
  Plan stage(Updates& updates, bool full, bool keep_restored) const;
  void commit(Plan& plan, Updates& updates);

  // What the switch holds, read back from it: replaces the installed side of the table. With
  // `restored`, flows no owner wants are marked as from before the start (see stage()). Groups
  // cannot be read back: every wanted group is then written once with modify-or-add.
  void setInstalled(std::vector<openflow::PackedFlow> flows, bool restored);
  void groupWritten(const openflow::GroupMod& group);
  void groupDeleted(uint32_t group_id);
  // Whether a group may exist on the switch: true for groups it holds, and for every group
  // while they are unknown (after setInstalled).
  bool groupMayExist(uint32_t group_id) const;

  size_t installedFlows() const { return installed_flows_; }
  size_t installedGroups() const { return installed_groups_.size(); }
  size_t owners() const { return owners_.size(); }

 private:
  struct Claim {
    const pipeline::OwnerKey* owner;
    std::string value;
  };
  struct Slot {
    std::vector<Claim> claims;  // owner order; the first is what the switch should hold
    // What the switch holds: nothing, the first claim's value, or `own` (read back, or kept
    // from before the start).
    enum Installed : uint8_t { kNone, kFirst, kOwn } installed = kNone;
    bool restored = false;
    std::string own;
  };
  struct Owner {
    std::vector<const std::string*> keys;  // its flows' identities (keys of slots_)
    std::vector<openflow::GroupMod> groups;
  };

  // Finds slots by a view of their key, without building a string.
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>{}(key);
    }
  };

  static const std::string* installedValue(const Slot& slot);

  std::unordered_map<std::string, Slot, KeyHash, std::equal_to<>> slots_;
  std::map<pipeline::OwnerKey, Owner> owners_;
  std::map<uint32_t, openflow::GroupMod> installed_groups_;
  bool groups_unknown_ = true;
  size_t installed_flows_ = 0;
};

}  // namespace alcor::agent
