#pragma once

// The real Dataplane: NetworkState → desired flows (pipeline::buildFlows) → the difference with
// what is installed, sent as one OpenFlow bundle (adds and replacements as OFPFC_ADD, removals as
// strict deletes). After an agent restart the installed flows are read back from the switch, so
// flows that carry traffic are never touched unless they change; flows of objects the agent has
// not yet relearned are kept until finishRestore().

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "lib/openflow/connection.h"
#include "node-agent/dataplane/dataplane.h"
#include "node-agent/pipeline/flow_builder.h"
#include "node-agent/pipeline/segment_allocator.h"

namespace alcor::agent {

struct DataplaneOptions {
  pipeline::PipelineConfig pipeline;
  std::string segments_path;  // empty: segments kept in memory only
};

struct DataplaneStats {
  uint64_t bundles = 0;
  uint64_t flow_mods = 0;
  uint64_t failures = 0;
  size_t installed_flows = 0;
  uint64_t group_mods = 0;
  size_t installed_groups = 0;
};

class DataplaneImpl : public Dataplane {
 public:
  DataplaneImpl(openflow::Connection& openflow, DataplaneOptions options);

  // Loads the segment allocation, reads the installed flows and installs the pipeline's static
  // flows. Until finishRestore(), no installed flow is deleted.
  Status start();
  void finishRestore();
  // Re-reads the installed flows and reprograms the difference (after a reconnect or a failure).
  Status resync();

  Status update(const Mutation& mutation) override;
  void read(const std::function<void(const NetworkState&)>& reader) const override;
  std::set<std::string> waitForPorts(const std::set<std::string>& port_ids,
                                     std::chrono::steady_clock::time_point deadline) override;

  DataplaneStats stats() const;
  bool needsResync() const;

 private:
  Status programLocked();
  Status readInstalledLocked();
  // Groups are added/changed before the flow bundle (flows reference them) and deleted after it.
  Status installGroupsLocked(const std::map<uint32_t, openflow::GroupMod>& wanted);
  void removeGroupsLocked(const std::map<uint32_t, openflow::GroupMod>& wanted);

  openflow::Connection& openflow_;
  const DataplaneOptions options_;
  mutable std::mutex mu_;
  std::condition_variable programmed_cv_;
  NetworkState state_;
  pipeline::SegmentAllocator segments_;
  std::map<std::string, openflow::Flow> installed_;  // by flowKey()
  // Flows found on the switch at start that no object has claimed yet: kept while restoring.
  std::set<std::string> unclaimed_;
  std::set<std::string> programmed_ports_;
  std::map<uint32_t, openflow::GroupMod> installed_groups_;  // by group id
  // Set at start and on resync: OVS may or may not hold our groups (no group dump here), so each
  // wanted group is written with modify-or-add once.
  bool groups_unknown_ = true;
  bool restoring_ = true;
  bool dirty_ = false;  // the last programming failed
  DataplaneStats stats_;
};

// Identity of a flow in a table: table, priority and match (what OFPFC_ADD replaces).
std::string flowKey(const openflow::Flow& flow);
// Flows the agent owns carry a cookie category it defines; anything else is left alone.
bool isAgentCookie(uint64_t cookie);

}  // namespace alcor::agent
