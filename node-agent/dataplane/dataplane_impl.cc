#include "node-agent/dataplane/dataplane_impl.h"

#include "lib/base/logging.h"
#include "lib/openflow/codec.h"
#include "lib/openflow/wire.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::agent {

using openflow::Flow;
using openflow::FlowMod;

std::string flowKey(const Flow& flow) {
  // The match's OXM encoding: as unique as its text, several times cheaper to build.
  std::vector<uint8_t> bytes;
  bytes.reserve(96);
  openflow::wire::Writer w(bytes);
  w.u8(flow.table);
  w.u16(flow.priority);
  openflow::codec::encodeMatch(w, flow.match);
  return std::string(bytes.begin(), bytes.end());
}

bool isAgentCookie(uint64_t cookie) {
  const uint64_t category = cookie >> 56;
  return category >= static_cast<uint64_t>(pipeline::CookieCategory::kStatic) &&
         category <= static_cast<uint64_t>(pipeline::CookieCategory::kHostGateway);
}

DataplaneImpl::DataplaneImpl(openflow::Connection& openflow, DataplaneOptions options)
    : openflow_(openflow), options_(std::move(options)), segments_(options_.segments_path) {}

Status DataplaneImpl::start() {
  std::lock_guard lock(mu_);
  if (Status s = segments_.load(); !s.ok()) {
    // A corrupt file must not stop the agent: segments are reassigned (flows change once).
    ALOG(Warn, Pipeline) << "ignoring segment file: " << s.message();
  }
  RETURN_IF_ERROR(readInstalledLocked());
  for (const auto& [key, flow] : installed_) unclaimed_.insert(key);
  ALOG(Info, Pipeline) << "found " << installed_.size() << " installed flow(s) of the agent";
  return programLocked();
}

void DataplaneImpl::finishRestore() {
  std::lock_guard lock(mu_);
  if (!restoring_) return;
  restoring_ = false;
  if (!unclaimed_.empty()) {
    ALOG(Info, Pipeline) << unclaimed_.size() << " flow(s) from before the restart were not "
                         << "relearned; removing them";
  }
  unclaimed_.clear();
  Status s = programLocked();
  ALOG(Info, Pipeline) << "restore finished; stale flows removed"
                       << (s.ok() ? "" : ": " + s.message());
}

Status DataplaneImpl::resync() {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(readInstalledLocked());
  return programLocked();
}

Status DataplaneImpl::readInstalledLocked() {
  ASSIGN_OR_RETURN(auto flows, openflow_.dumpFlows());
  installed_.clear();
  groups_unknown_ = true;
  for (auto& f : flows) {
    if (!isAgentCookie(f.cookie)) continue;
    // Zeta direct paths live by their idle timeout, outside the desired state
    // (zeta/direct_paths.h).
    if (pipeline::cookieCategory(f.cookie) == pipeline::CookieCategory::kDirectPath) continue;
    // Counters and timeouts are not part of the desired state.
    f.idle_timeout = f.hard_timeout = 0;
    installed_[flowKey(f)] = std::move(f);
  }
  return okStatus();
}

Status DataplaneImpl::update(const Mutation& mutation) {
  std::lock_guard lock(mu_);
  ChangeSet changes;
  mutation(state_, changes);
  return programLocked();
}

Status DataplaneImpl::programLocked() {
  if (Status s = segments_.sync(state_.localVnis()); !s.ok()) {
    ALOG(Error, Pipeline) << "segments: " << s.message();
  }
  pipeline::DesiredFlows desired = pipeline::buildFlows(state_, segments_, options_.pipeline);
  std::map<std::string, Flow> wanted;
  for (auto& f : desired.flows) wanted.emplace(flowKey(f), std::move(f));
  // With tens of thousands of flows every copy counts: free the moved-from shells now, and move
  // (not copy) changed flows into the bundle; they move back into installed_ once it is in.
  std::vector<Flow>().swap(desired.flows);

  std::map<uint32_t, openflow::GroupMod> wanted_groups;
  for (auto& g : desired.groups) wanted_groups.emplace(g.group_id, std::move(g));
  RETURN_IF_ERROR(installGroupsLocked(wanted_groups));

  std::vector<FlowMod> mods;
  std::vector<std::string> added;  // keys of mods[0 .. added.size())
  for (auto& [key, flow] : wanted) {
    auto it = installed_.find(key);
    if (it != installed_.end() && it->second == flow) continue;
    mods.push_back(FlowMod::add(std::move(flow)));
    added.push_back(key);
  }
  std::vector<std::string> removed;
  for (const auto& [key, flow] : installed_) {
    if (wanted.count(key)) continue;
    // While restoring, flows from before the restart stay until their object is relearned.
    if (restoring_ && unclaimed_.count(key)) continue;
    mods.push_back(FlowMod::deleteStrict(flow));
    removed.push_back(key);
  }
  if (!mods.empty()) {
    Status s = openflow_.bundle(mods);
    if (!s.ok()) {
      ++stats_.failures;
      dirty_ = true;
      ALOG(Error, Pipeline) << "bundle of " << mods.size()
                            << " flow mod(s) failed: " << s.message();
      return s;
    }
    ++stats_.bundles;
    stats_.flow_mods += mods.size();
    ALOG(Debug, Pipeline) << "installed bundle of " << mods.size() << " flow mod(s)";
  }
  for (const auto& key : removed) installed_.erase(key);
  for (const auto& [key, flow] : wanted) unclaimed_.erase(key);
  for (size_t i = 0; i < added.size(); ++i) installed_[added[i]] = std::move(mods[i].flow);
  stats_.installed_flows = installed_.size();
  programmed_ports_ = std::move(desired.programmed_ports);
  dirty_ = false;
  // After the bundle: OVS deletes flows still pointing at a deleted group.
  removeGroupsLocked(wanted_groups);
  programmed_cv_.notify_all();
  return okStatus();
}

Status DataplaneImpl::installGroupsLocked(const std::map<uint32_t, openflow::GroupMod>& wanted) {
  for (const auto& [id, group] : wanted) {
    auto it = installed_groups_.find(id);
    if (!groups_unknown_ && it != installed_groups_.end() && it->second == group) continue;
    // Modify a group that may exist, add one that may not; the other command is the fallback.
    openflow::GroupMod first = group, second = group;
    const bool may_exist = groups_unknown_ || it != installed_groups_.end();
    first.command = may_exist ? openflow::GroupMod::kModify : openflow::GroupMod::kAdd;
    second.command = may_exist ? openflow::GroupMod::kAdd : openflow::GroupMod::kModify;
    Status s = openflow_.groupMod(first);
    if (!s.ok()) s = openflow_.groupMod(second);
    if (!s.ok()) {
      ++stats_.failures;
      dirty_ = true;
      ALOG(Error, Pipeline) << "group " << id << ": " << s.message();
      return s;
    }
    ++stats_.group_mods;
    installed_groups_[id] = group;
  }
  groups_unknown_ = false;
  return okStatus();
}

void DataplaneImpl::removeGroupsLocked(const std::map<uint32_t, openflow::GroupMod>& wanted) {
  for (auto it = installed_groups_.begin(); it != installed_groups_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    openflow::GroupMod del;
    del.command = openflow::GroupMod::kDelete;
    del.group_id = it->first;
    if (Status s = openflow_.groupMod(del); !s.ok()) {
      dirty_ = true;  // retried on the next update or resync
      ALOG(Error, Pipeline) << "deleting group " << it->first << ": " << s.message();
      ++it;
      continue;
    }
    ++stats_.group_mods;
    it = installed_groups_.erase(it);
  }
  stats_.installed_groups = installed_groups_.size();
}

void DataplaneImpl::read(const std::function<void(const NetworkState&)>& reader) const {
  std::lock_guard lock(mu_);
  reader(state_);
}

std::set<std::string> DataplaneImpl::waitForPorts(const std::set<std::string>& port_ids,
                                                  std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(mu_);
  auto ready = [&] {
    std::set<std::string> out;
    for (const auto& id : port_ids) {
      if (programmed_ports_.count(id)) out.insert(id);
    }
    return out;
  };
  programmed_cv_.wait_until(lock, deadline, [&] { return ready().size() == port_ids.size(); });
  return ready();
}

DataplaneStats DataplaneImpl::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool DataplaneImpl::needsResync() const {
  std::lock_guard lock(mu_);
  return dirty_;
}

}  // namespace alcor::agent
