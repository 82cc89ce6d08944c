#include "node-agent/dataplane/flow_table.h"

#include <algorithm>
#include <deque>
#include <string_view>
#include <unordered_set>

namespace alcor::agent {

using openflow::FlowMod;
using openflow::GroupMod;
using openflow::PackedFlow;
using openflow::PackedFlowMod;
using pipeline::OwnerKey;

// One identity a pass touches, and the claims it will have.
struct FlowTable::Staged {
  struct NewClaim {
    const OwnerKey* owner;
    int old_index;     // >= 0: the slot's claim kept as it is
    PackedFlow* flow;  // else: the flow of a recomputed owner,
    size_t dirty;      // that owner's index in `dirty`
  };
  struct Entry {
    std::string_view key;
    const Slot* slot = nullptr;  // the key's slot, if slots_ has it
    std::vector<NewClaim> claims;
    bool deleted = false;                    // a strict delete is sent
    const std::string* table_key = nullptr;  // set by commit
  };
  std::vector<Entry> entries;
  std::unordered_map<std::string_view, size_t> index;
  std::deque<OwnerUpdate> lost;  // full passes: known owners the updates do not name
  std::vector<OwnerUpdate*> dirty;
  std::vector<const Owner*> known;  // per dirty owner: what the table has of it, or null
  std::vector<std::vector<size_t>> flow_entries;  // per dirty owner, per flow: its entry
  std::map<uint32_t, std::vector<std::pair<const OwnerKey*, const GroupMod*>>> groups;
  bool full = false;
};

FlowTable::FlowTable() = default;
FlowTable::~FlowTable() = default;

const std::string* FlowTable::installedValue(const Slot& slot) {
  switch (slot.installed) {
    case Slot::kNone:
      return nullptr;
    case Slot::kFirst:
      return &slot.claims.front().value;
    case Slot::kOwn:
      return &slot.own;
  }
  return nullptr;
}

FlowTable::Plan FlowTable::stage(Updates& updates, bool full, bool keep_restored) const {
  Plan plan;
  plan.staged = std::make_shared<Staged>();
  Staged& st = *plan.staged;
  st.full = full;
  // Dirty owners the table knows, by their key's address in owners_ (what claims point at).
  std::unordered_set<const OwnerKey*> dirty;
  for (auto& u : updates) {
    st.dirty.push_back(&u);
    auto known = owners_.find(u.owner);
    st.known.push_back(known == owners_.end() ? nullptr : &known->second);
    if (known != owners_.end()) dirty.insert(&known->first);
  }
  if (full) {
    for (const auto& [owner, entry] : owners_) {
      if (!dirty.insert(&owner).second) continue;
      st.dirty.push_back(&st.lost.emplace_back(OwnerUpdate{owner}));
      st.known.push_back(&entry);
    }
  }
  auto touch = [&](std::string_view key) -> size_t {
    auto [it, fresh] = st.index.try_emplace(key, st.entries.size());
    if (!fresh) return it->second;
    Staged::Entry& e = st.entries.emplace_back();
    auto slot = slots_.find(key);
    if (slot != slots_.end()) {
      e.key = slot->first;
      e.slot = &slot->second;
      const auto& claims = slot->second.claims;
      for (size_t i = 0; i < claims.size(); ++i) {
        if (!dirty.count(claims[i].owner)) {
          e.claims.push_back({claims[i].owner, static_cast<int>(i), nullptr, 0});
        }
      }
    } else {
      e.key = key;
    }
    return it->second;
  };
  if (full) {
    for (const auto& [key, slot] : slots_) touch(key);
  }
  for (const Owner* known : st.known) {
    if (known) {
      for (const std::string* key : known->keys) touch(*key);
    }
  }
  st.flow_entries.resize(st.dirty.size());
  for (size_t d = 0; d < st.dirty.size(); ++d) {
    OwnerUpdate* u = st.dirty[d];
    for (auto& flow : u->flows) {
      size_t e = touch(flow.key);
      st.entries[e].claims.push_back({&u->owner, -1, &flow, d});
      st.flow_entries[d].push_back(e);
    }
  }

  for (auto& e : st.entries) {
    std::stable_sort(e.claims.begin(), e.claims.end(),
                     [](const auto& a, const auto& b) { return *a.owner < *b.owner; });
    const Slot* slot = e.slot;
    const std::string* have = slot ? installedValue(*slot) : nullptr;
    if (!e.claims.empty()) {
      const auto& first = e.claims.front();
      std::string_view want =
          first.flow ? std::string_view(first.flow->value) : slot->claims[first.old_index].value;
      if (!have || *have != want) plan.mods.push_back({FlowMod::kAdd, e.key, want});
    } else if (have && !(keep_restored && slot->restored)) {
      e.deleted = true;
    }
  }
  for (const auto& e : st.entries) {
    if (e.deleted) plan.mods.push_back({FlowMod::kDeleteStrict, e.key, *installedValue(*e.slot)});
  }

  // Groups: the first owner (in owner order) that wants a group id is the one installed.
  std::set<uint32_t> touched_groups;
  for (size_t d = 0; d < st.dirty.size(); ++d) {
    if (st.known[d]) {
      for (const auto& g : st.known[d]->groups) touched_groups.insert(g.group_id);
    }
    for (const auto& g : st.dirty[d]->groups) touched_groups.insert(g.group_id);
  }
  if (full) {
    for (const auto& [id, g] : installed_groups_) touched_groups.insert(id);
  }
  for (uint32_t id : touched_groups) {
    auto& claims = st.groups[id];
    for (const auto& [owner, entry] : owners_) {
      if (dirty.count(&owner)) continue;
      for (const auto& g : entry.groups) {
        if (g.group_id == id) claims.emplace_back(&owner, &g);
      }
    }
    for (OwnerUpdate* u : st.dirty) {
      for (const auto& g : u->groups) {
        if (g.group_id == id) claims.emplace_back(&u->owner, &g);
      }
    }
    std::stable_sort(claims.begin(), claims.end(),
                     [](const auto& a, const auto& b) { return *a.first < *b.first; });
    auto installed = installed_groups_.find(id);
    if (!claims.empty()) {
      const GroupMod& want = *claims.front().second;
      if (groups_unknown_ || installed == installed_groups_.end() || !(installed->second == want)) {
        GroupMod write = want;
        write.command = groupMayExist(id) ? GroupMod::kModify : GroupMod::kAdd;
        plan.group_writes.push_back(std::move(write));
      }
    } else if (installed != installed_groups_.end()) {
      plan.group_deletes.push_back(id);
    }
  }
  return plan;
}

void FlowTable::commit(Plan& plan, Updates& updates) {
  (void)updates;  // the staged views point into it
  Staged& st = *plan.staged;
  // Owners first, so that claims can point at their keys. Dirty owners come in owner order
  // (those a full pass found lost, after them, also in order): each insertion hints the next.
  std::vector<std::map<OwnerKey, Owner>::iterator> owner_at(st.dirty.size(), owners_.end());
  auto hint = owners_.begin();
  for (size_t d = 0; d < st.dirty.size(); ++d) {
    OwnerUpdate* u = st.dirty[d];
    if (u->flows.empty() && u->groups.empty()) continue;
    owner_at[d] = owners_.try_emplace(hint, u->owner);
    hint = std::next(owner_at[d]);
  }

  for (auto& e : st.entries) {
    auto it = e.slot ? slots_.find(e.key) : slots_.end();
    std::vector<Claim> claims;
    claims.reserve(e.claims.size());
    for (auto& c : e.claims) {
      if (c.flow) {
        claims.push_back({&owner_at[c.dirty]->first, std::move(c.flow->value)});
      } else {
        claims.push_back({c.owner, std::move(it->second.claims[c.old_index].value)});
      }
    }
    if (it == slots_.end()) {
      if (claims.empty()) continue;
      // The key is moved out of the first new claim's flow: its view in the plan is spent.
      auto first_new = std::find_if(e.claims.begin(), e.claims.end(),
                                    [](const auto& c) { return c.flow != nullptr; });
      it = slots_.try_emplace(std::move(first_new->flow->key)).first;
    }
    Slot& slot = it->second;
    const bool was_installed = slot.installed != Slot::kNone;
    slot.claims = std::move(claims);
    if (!slot.claims.empty()) {
      slot.installed = Slot::kFirst;
      slot.restored = false;
      std::string().swap(slot.own);
    } else if (e.deleted || slot.installed == Slot::kNone) {
      installed_flows_ -= was_installed;
      slots_.erase(it);
      continue;
    }
    installed_flows_ += !was_installed;
    e.table_key = &it->first;
  }

  for (size_t d = 0; d < st.dirty.size(); ++d) {
    OwnerUpdate* u = st.dirty[d];
    if (owner_at[d] == owners_.end()) {
      if (st.known[d]) owners_.erase(u->owner);
      continue;
    }
    Owner& owner = owner_at[d]->second;
    owner.keys.clear();
    for (size_t e : st.flow_entries[d]) owner.keys.push_back(st.entries[e].table_key);
    owner.groups = std::move(u->groups);
  }
  // A full pass wrote every wanted group.
  if (st.full) groups_unknown_ = false;
}

void FlowTable::setInstalled(std::vector<PackedFlow> flows, bool restored) {
  for (auto it = slots_.begin(); it != slots_.end();) {
    Slot& slot = it->second;
    std::string().swap(slot.own);
    slot.installed = Slot::kNone;
    if (slot.claims.empty() && !slot.restored) {
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
  installed_flows_ = 0;
  for (auto& f : flows) {
    auto [it, fresh] = slots_.try_emplace(std::move(f.key));
    Slot& slot = it->second;
    if (fresh) slot.restored = restored;
    if (slot.installed == Slot::kNone) ++installed_flows_;
    if (!slot.claims.empty() && slot.claims.front().value == f.value) {
      slot.installed = Slot::kFirst;
    } else {
      slot.installed = Slot::kOwn;
      slot.own = std::move(f.value);
    }
  }
  for (auto it = slots_.begin(); it != slots_.end();) {
    if (it->second.claims.empty() && it->second.installed == Slot::kNone) {
      it = slots_.erase(it);
    } else {
      ++it;
    }
  }
  groups_unknown_ = true;
}

void FlowTable::groupWritten(const GroupMod& group) {
  GroupMod g = group;
  g.command = GroupMod::kAdd;
  installed_groups_[g.group_id] = std::move(g);
}

void FlowTable::groupDeleted(uint32_t group_id) { installed_groups_.erase(group_id); }

bool FlowTable::groupMayExist(uint32_t group_id) const {
  return groups_unknown_ || installed_groups_.count(group_id) > 0;
}

}  // namespace alcor::agent
