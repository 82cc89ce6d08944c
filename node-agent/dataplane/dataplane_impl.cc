#include "node-agent/dataplane/dataplane_impl.h"

#include <algorithm>
#include <unordered_set>

#include "lib/base/logging.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::agent {

using openflow::GroupMod;
using pipeline::OwnerKey;

bool isAgentCookie(uint64_t cookie) {
  const uint64_t category = cookie >> 56;
  return category >= static_cast<uint64_t>(pipeline::CookieCategory::kStatic) &&
         category <= static_cast<uint64_t>(pipeline::CookieCategory::kHostGateway);
}

DataplaneImpl::DataplaneImpl(openflow::Connection& openflow, DataplaneOptions options)
    : openflow_(openflow), options_(std::move(options)), segments_(options_.segments_path) {}

Status DataplaneImpl::start() {
  Pass pass;
  {
    std::lock_guard lock(state_mu_);
    if (Status s = segments_.load(); !s.ok()) {
      // A corrupt file must not stop the agent: segments are reassigned (flows change once).
      ALOG(Warn, Pipeline) << "ignoring segment file: " << s.message();
    }
    pass = prepareLocked(ChangeSet{}, PassKind::kFullRestoring);
  }
  return program(pass);
}

void DataplaneImpl::finishRestore() {
  Pass pass;
  {
    std::lock_guard lock(state_mu_);
    pass = prepareLocked(ChangeSet{}, PassKind::kFinishRestore);
  }
  Status s = program(pass);
  ALOG(Info, Pipeline) << "restore finished; stale flows removed"
                       << (s.ok() ? "" : ": " + s.message());
}

Status DataplaneImpl::resync() {
  Pass pass;
  {
    std::lock_guard lock(state_mu_);
    pass = prepareLocked(ChangeSet{}, PassKind::kFullReadBack);
  }
  return program(pass);
}

Status DataplaneImpl::update(const Mutation& mutation) {
  const auto started = std::chrono::steady_clock::now();
  Pass pass;
  {
    std::lock_guard lock(state_mu_);
    ChangeSet changes;
    mutation(state_, changes);
    pass = prepareLocked(changes, PassKind::kIncremental);
  }
  pass.started = started;
  return program(pass);
}

DataplaneImpl::Pass DataplaneImpl::prepareLocked(const ChangeSet& changes, PassKind kind) {
  const auto begin = std::chrono::steady_clock::now();
  const std::map<uint32_t, uint16_t> segments_before = segments_.all();
  if (Status s = segments_.sync(state_.localVnis()); !s.ok()) {
    ALOG(Error, Pipeline) << "segments: " << s.message();
  }
  pipeline::FlowBuilder builder(state_, segments_, options_.pipeline);
  Pass pass;
  pass.kind = kind;
  std::set<OwnerKey> owners;
  if (kind == PassKind::kIncremental) {
    pipeline::DirtyOwners dirty = dependencies_.dirtyOwners(
        changes, state_, segments_, segments_before, options_.pipeline, builder);
    if (dirty.all) pass.kind = PassKind::kFull;
    owners = std::move(dirty.owners);
    owners.insert(retry_.begin(), retry_.end());
  } else {
    dependencies_.reset(state_, segments_, options_.pipeline, builder);
  }
  retry_.clear();
  if (pass.kind != PassKind::kIncremental) {
    for (auto& owner : builder.owners()) owners.insert(std::move(owner));
  }
  pass.updates.reserve(owners.size());
  for (const OwnerKey& owner : owners) {
    pipeline::OwnerFlows flows = builder.flowsOf(owner);
    FlowTable::OwnerUpdate& u = pass.updates.emplace_back();
    u.owner = owner;
    u.groups = std::move(flows.groups);
    u.programmed_port = std::move(flows.programmed_port);
    // Within an owner the first flow of an identity wins, as between owners: most owners have a
    // few flows, looked through; a large one (security-group rules) uses a set of their keys.
    // Reserved: the views in `keys` point into u.flows, which must not reallocate.
    u.flows.reserve(flows.flows.size());
    std::unordered_set<std::string_view> keys;
    const bool large = flows.flows.size() > 16;
    for (const auto& f : flows.flows) {
      u.flows.push_back(openflow::pack(f));
      const std::string& key = u.flows.back().key;
      const bool seen = large ? !keys.insert(key).second
                              : std::any_of(u.flows.begin(), u.flows.end() - 1,
                                            [&](const auto& p) { return p.key == key; });
      if (seen) u.flows.pop_back();
    }
  }
  pass.ticket = next_ticket_++;
  pass.started = begin;
  pass.computed = std::chrono::steady_clock::now();
  return pass;
}

Status DataplaneImpl::program(Pass& pass) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  {
    std::unique_lock lock(turn_mu_);
    turn_cv_.wait(lock, [&] { return serving_ == pass.ticket; });
  }
  const auto turn = std::chrono::steady_clock::now();
  Status s = programInTurn(pass);
  ALOG(Debug, Pipeline)
      << "pass of " << pass.updates.size() << " owner(s), " << pass.mods
      << " flow mod(s): changed and computed in "
      << duration_cast<microseconds>(pass.computed - pass.started).count() << " us, waited "
      << duration_cast<microseconds>(turn - pass.computed).count()
      << " us for its turn, programmed in "
      << duration_cast<microseconds>(std::chrono::steady_clock::now() - turn).count() << " us";
  {
    std::lock_guard lock(turn_mu_);
    ++stats_.passes;
    stats_.owners_recomputed += pass.updates.size();
    if (s.ok()) {
      if (pass.kind != PassKind::kIncremental) {
        // Owners a full pass did not recompute have no flows.
        programmed_by_.clear();
        programmed_ports_.clear();
      }
      for (const auto& u : pass.updates) {
        auto before = programmed_by_.find(u.owner);
        if (before != programmed_by_.end()) {
          if (--programmed_ports_[before->second] == 0) programmed_ports_.erase(before->second);
          programmed_by_.erase(before);
        }
        if (u.programmed_port.empty()) continue;
        programmed_by_[u.owner] = u.programmed_port;
        ++programmed_ports_[u.programmed_port];
      }
      dirty_ = false;
    } else {
      ++stats_.failures;
      dirty_ = true;
    }
    stats_.installed_flows = table_.installedFlows();
    stats_.installed_groups = table_.installedGroups();
    ++serving_;
  }
  turn_cv_.notify_all();
  if (!s.ok() && pass.kind == PassKind::kIncremental) {
    std::lock_guard lock(state_mu_);
    for (const auto& u : pass.updates) retry_.insert(u.owner);
  }
  return s;
}

Status DataplaneImpl::programInTurn(Pass& pass) {
  const bool read_back =
      pass.kind == PassKind::kFullReadBack || pass.kind == PassKind::kFullRestoring;
  if (pass.kind == PassKind::kFinishRestore) restoring_ = false;
  if (read_back) RETURN_IF_ERROR(readInstalled(pass.kind == PassKind::kFullRestoring));
  const bool full = pass.kind != PassKind::kIncremental;
  FlowTable::Plan plan = table_.stage(pass.updates, full, restoring_);
  RETURN_IF_ERROR(writeGroups(plan.group_writes));
  if (!plan.mods.empty()) {
    Status s = openflow_.bundlePacked(plan.mods);
    if (!s.ok()) {
      ALOG(Error, Pipeline) << "bundle of " << plan.mods.size()
                            << " flow mod(s) failed: " << s.message();
      return s;
    }
    std::lock_guard lock(turn_mu_);
    ++stats_.bundles;
    stats_.flow_mods += plan.mods.size();
  }
  pass.mods = plan.mods.size();
  table_.commit(plan, pass.updates);
  // After the bundle: OVS deletes flows still pointing at a deleted group.
  deleteGroups(plan.group_deletes);
  return okStatus();
}

Status DataplaneImpl::readInstalled(bool restored) {
  ASSIGN_OR_RETURN(auto flows, openflow_.dumpFlows());
  std::vector<openflow::PackedFlow> ours;
  for (auto& f : flows) {
    if (!isAgentCookie(f.cookie)) continue;
    // Zeta direct paths live by their idle timeout, outside the desired state
    // (zeta/direct_paths.h).
    if (pipeline::cookieCategory(f.cookie) == pipeline::CookieCategory::kDirectPath) continue;
    // Counters and timeouts are not part of the desired state.
    f.idle_timeout = f.hard_timeout = 0;
    ours.push_back(openflow::pack(f));
  }
  std::vector<openflow::Flow>().swap(flows);
  if (restored) {
    ALOG(Info, Pipeline) << "found " << ours.size() << " installed flow(s) of the agent";
  }
  table_.setInstalled(std::move(ours), restored);
  return okStatus();
}

Status DataplaneImpl::writeGroups(const std::vector<GroupMod>& groups) {
  for (const GroupMod& group : groups) {
    // Modify a group that may exist, add one that may not; the other command is the fallback.
    GroupMod second = group;
    second.command = group.command == GroupMod::kAdd ? GroupMod::kModify : GroupMod::kAdd;
    Status s = openflow_.groupMod(group);
    if (!s.ok()) s = openflow_.groupMod(second);
    if (!s.ok()) {
      ALOG(Error, Pipeline) << "group " << group.group_id << ": " << s.message();
      return s;
    }
    table_.groupWritten(group);
    std::lock_guard lock(turn_mu_);
    ++stats_.group_mods;
  }
  return okStatus();
}

void DataplaneImpl::deleteGroups(const std::vector<uint32_t>& group_ids) {
  for (uint32_t id : group_ids) {
    GroupMod del;
    del.command = GroupMod::kDelete;
    del.group_id = id;
    if (Status s = openflow_.groupMod(del); !s.ok()) {
      std::lock_guard lock(turn_mu_);
      dirty_ = true;  // retried on the next resync
      ALOG(Error, Pipeline) << "deleting group " << id << ": " << s.message();
      continue;
    }
    table_.groupDeleted(id);
    std::lock_guard lock(turn_mu_);
    ++stats_.group_mods;
  }
}

void DataplaneImpl::read(const std::function<void(const NetworkState&)>& reader) const {
  std::lock_guard lock(state_mu_);
  reader(state_);
}

std::set<std::string> DataplaneImpl::waitForPorts(const std::set<std::string>& port_ids,
                                                  std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(turn_mu_);
  auto ready = [&] {
    std::set<std::string> out;
    for (const auto& id : port_ids) {
      if (programmed_ports_.count(id)) out.insert(id);
    }
    return out;
  };
  turn_cv_.wait_until(lock, deadline, [&] { return ready().size() == port_ids.size(); });
  return ready();
}

DataplaneStats DataplaneImpl::stats() const {
  std::lock_guard lock(turn_mu_);
  return stats_;
}

bool DataplaneImpl::needsResync() const {
  std::lock_guard lock(turn_mu_);
  return dirty_;
}

}  // namespace alcor::agent
