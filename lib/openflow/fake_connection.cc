#include "lib/openflow/fake_connection.h"

#include <algorithm>

#include "lib/openflow/codec.h"

namespace alcor::openflow {
namespace {

uint64_t fullMask(Field f) {
  int bits = fieldInfo(f).width * 8;
  return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
}

// OpenFlow "loose" matching: every field constrained by `filter` is constrained at least as
// tightly, and to the same value, in `flow`.
bool looseMatches(const Match& filter, const Match& flow) {
  auto flow_fields = codec::matchFields(flow);
  for (const auto& want : codec::matchFields(filter)) {
    uint64_t want_mask = want.mask.value_or(fullMask(want.field));
    auto it = std::find_if(flow_fields.begin(), flow_fields.end(),
                           [&](const auto& f) { return f.field == want.field; });
    if (it == flow_fields.end()) return false;
    uint64_t have_mask = it->mask.value_or(fullMask(it->field));
    if ((have_mask & want_mask) != want_mask) return false;
    if ((it->value & want_mask) != (want.value & want_mask)) return false;
  }
  return true;
}

}  // namespace

Status FakeConnection::takeFailure() {
  if (!connected_) return unavailableError("fake connection is disconnected");
  if (fail_next_) {
    Status s = *fail_next_;
    fail_next_.reset();
    return s;
  }
  return okStatus();
}

Status FakeConnection::apply(const FlowMod& mod, std::vector<Flow>& table) {
  const Flow& f = mod.flow;
  const uint8_t t = mod.effectiveTable();
  if (mod.command == FlowMod::kAdd) {
    if (t == kTableAll) return invalidArgumentError("OFPFMFC_BAD_TABLE_ID: add to table 255");
    if (f.goto_table && *f.goto_table <= t) {
      return invalidArgumentError("OFPBIC_BAD_TABLE_ID: goto_table must go forward");
    }
    Flow added = f;
    added.table = t;
    for (auto& existing : table) {
      if (existing.table == t && existing.priority == f.priority && existing.match == f.match) {
        existing = added;
        return okStatus();
      }
    }
    table.push_back(added);
    return okStatus();
  }
  const bool strict =
      mod.command == FlowMod::kModifyStrict || mod.command == FlowMod::kDeleteStrict;
  auto selected = [&](const Flow& existing) {
    if (t != kTableAll && existing.table != t) return false;
    if ((existing.cookie & mod.cookie_mask) != (f.cookie & mod.cookie_mask)) return false;
    if (strict) return existing.priority == f.priority && existing.match == f.match;
    return looseMatches(f.match, existing.match);
  };
  if (mod.command == FlowMod::kDelete || mod.command == FlowMod::kDeleteStrict) {
    std::erase_if(table, selected);
    return okStatus();
  }
  for (auto& existing : table) {
    if (!selected(existing)) continue;
    existing.actions = f.actions;
    existing.goto_table = f.goto_table;
  }
  return okStatus();
}

Status FakeConnection::bundle(const std::vector<FlowMod>& mods) {
  std::function<void()> hook;
  {
    std::lock_guard<std::mutex> lock(mu_);
    hook = bundle_hook_;
  }
  if (hook) hook();
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(takeFailure());
  std::vector<Flow> next = flows_;
  for (const auto& m : mods) RETURN_IF_ERROR(apply(m, next));
  flows_ = std::move(next);
  applied_mods_.insert(applied_mods_.end(), mods.begin(), mods.end());
  ++bundles_;
  return okStatus();
}

Status FakeConnection::bundlePacked(std::span<const PackedFlowMod> mods) {
  std::vector<FlowMod> unpacked;
  unpacked.reserve(mods.size());
  for (const auto& m : mods) {
    ASSIGN_OR_RETURN(FlowMod mod, unpackFlowMod(m));
    unpacked.push_back(std::move(mod));
  }
  return bundle(unpacked);
}

Status FakeConnection::send(const std::vector<FlowMod>& mods) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(takeFailure());
  for (const auto& m : mods) {
    RETURN_IF_ERROR(apply(m, flows_));
    applied_mods_.push_back(m);
  }
  return okStatus();
}

Status FakeConnection::barrier() {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_ ? okStatus() : unavailableError("fake connection is disconnected");
}

StatusOr<std::vector<Flow>> FakeConnection::dumpFlows(uint8_t table, uint64_t cookie,
                                                      uint64_t cookie_mask) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!connected_) return unavailableError("fake connection is disconnected");
  std::vector<Flow> out;
  for (const auto& f : flows_) {
    if (table != kTableAll && f.table != table) continue;
    if ((f.cookie & cookie_mask) != (cookie & cookie_mask)) continue;
    out.push_back(f);
  }
  return out;
}

Status FakeConnection::groupMod(const GroupMod& mod) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(takeFailure());
  auto it = std::find_if(groups_.begin(), groups_.end(),
                         [&](const GroupMod& g) { return g.group_id == mod.group_id; });
  switch (mod.command) {
    case GroupMod::kAdd:
      if (it != groups_.end()) return alreadyExistsError("OFPGMFC_GROUP_EXISTS");
      groups_.push_back(mod);
      break;
    case GroupMod::kModify:
      if (it == groups_.end()) return notFoundError("OFPGMFC_UNKNOWN_GROUP");
      *it = mod;
      break;
    case GroupMod::kDelete:
      if (mod.group_id == kGroupAll) {
        groups_.clear();
      } else if (it != groups_.end()) {
        groups_.erase(it);
      }
      break;
  }
  return okStatus();
}

Status FakeConnection::packetOut(const PacketOut& packet) {
  std::lock_guard<std::mutex> lock(mu_);
  RETURN_IF_ERROR(takeFailure());
  packet_outs_.push_back(packet);
  return okStatus();
}

void FakeConnection::setPacketInHandler(std::function<void(const PacketIn&)> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  packet_in_handler_ = std::move(handler);
}

void FakeConnection::setReconnectHandler(std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  reconnect_handler_ = std::move(handler);
}

void FakeConnection::setDisconnectHandler(std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(mu_);
  disconnect_handler_ = std::move(handler);
}

bool FakeConnection::connected() const {
  std::lock_guard<std::mutex> lock(mu_);
  return connected_;
}

std::vector<Flow> FakeConnection::flows() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Flow> out = flows_;
  std::stable_sort(out.begin(), out.end(), [](const Flow& a, const Flow& b) {
    return a.table != b.table ? a.table < b.table : a.priority > b.priority;
  });
  return out;
}

std::vector<GroupMod> FakeConnection::groups() const {
  std::lock_guard<std::mutex> lock(mu_);
  return groups_;
}

std::vector<PacketOut> FakeConnection::packetOuts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return packet_outs_;
}

std::vector<FlowMod> FakeConnection::appliedMods() const {
  std::lock_guard<std::mutex> lock(mu_);
  return applied_mods_;
}

void FakeConnection::setBundleHook(std::function<void()> hook) {
  std::lock_guard<std::mutex> lock(mu_);
  bundle_hook_ = std::move(hook);
}

size_t FakeConnection::bundleCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bundles_;
}

void FakeConnection::failNext(Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_ = std::move(status);
}

void FakeConnection::setConnected(bool connected) {
  std::lock_guard<std::mutex> lock(mu_);
  connected_ = connected;
}

void FakeConnection::injectPacketIn(const PacketIn& packet_in) {
  std::function<void(const PacketIn&)> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    handler = packet_in_handler_;
  }
  if (handler) handler(packet_in);
}

void FakeConnection::simulateReconnect() {
  std::function<void()> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    flows_.clear();
    groups_.clear();
    connected_ = true;
    handler = reconnect_handler_;
  }
  if (handler) handler();
}

void FakeConnection::simulateDisconnect() {
  std::function<void()> handler;
  {
    std::lock_guard<std::mutex> lock(mu_);
    connected_ = false;
    handler = disconnect_handler_;
  }
  if (handler) handler();
}

}  // namespace alcor::openflow
