#pragma once

// The real Dataplane. A mutation names what it touched (ChangeSet); under the state lock the
// dependency function (pipeline/dependencies.h) expands that into dirty owners and the pipeline
// computes only their flows. The state lock is then released, and the pass waits for its turn:
// passes program the switch in the order their mutations ran, one OpenFlow bundle each (adds and
// replacements as OFPFC_ADD, removals as strict deletes), diffed against the flows installed for
// those owners (flow_table.h). Readers (CNI, DHCP, OAM, GoalState) never wait for the switch.
//
// Start-up, resync and finishRestore() are full passes: every owner is recomputed and every
// installed flow considered. After an agent restart the installed flows are read back from the
// switch, so flows that carry traffic are never touched unless they change; flows of objects
// the agent has not yet relearned are kept until finishRestore().

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "lib/openflow/connection.h"
#include "node-agent/dataplane/dataplane.h"
#include "node-agent/dataplane/flow_table.h"
#include "node-agent/pipeline/dependencies.h"
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
  uint64_t passes = 0;             // programming passes (one per update, plus full ones)
  uint64_t owners_recomputed = 0;  // over all passes
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
  enum class PassKind {
    kIncremental,
    kFull,           // every owner; the installed side as the table has it
    kFullReadBack,   // every owner, after reading the installed flows from the switch
    kFullRestoring,  // kFullReadBack at start: what was installed stays until finishRestore()
    kFinishRestore,  // kFull that also drops what was kept from before the start
  };
  struct Pass {
    PassKind kind = PassKind::kIncremental;
    uint64_t ticket = 0;
    FlowTable::Updates updates;
    std::chrono::steady_clock::time_point started;   // the mutation began
    std::chrono::steady_clock::time_point computed;  // its owners' flows were computed
    size_t mods = 0;
  };

  // Under state_mu_: the owners to recompute and their flows, and the pass's turn.
  Pass prepareLocked(const ChangeSet& changes, PassKind kind);
  // Waits for the pass's turn, programs the switch, commits; never holds state_mu_.
  Status program(Pass& pass);
  Status programInTurn(Pass& pass);
  Status readInstalled(bool restored);
  Status writeGroups(const std::vector<openflow::GroupMod>& groups);
  void deleteGroups(const std::vector<uint32_t>& group_ids);

  openflow::Connection& openflow_;
  const DataplaneOptions options_;

  // The state and what derives from it; held while a mutation runs and its flows are computed.
  mutable std::mutex state_mu_;
  NetworkState state_;
  pipeline::SegmentAllocator segments_;
  pipeline::DependencyTracker dependencies_;
  std::set<pipeline::OwnerKey> retry_;  // owners of failed passes: recomputed by the next one
  uint64_t next_ticket_ = 0;

  // The programming sequencer: passes take turns by ticket. Only the pass in turn touches
  // table_ and restoring_, so they need no lock of their own.
  mutable std::mutex turn_mu_;
  std::condition_variable turn_cv_;
  uint64_t serving_ = 0;
  // The ports whose forwarding flows are installed, and which owner programs each.
  std::map<pipeline::OwnerKey, std::string> programmed_by_;
  std::map<std::string, int> programmed_ports_;  // port id -> owners programming it
  bool dirty_ = false;                           // the last programming failed
  DataplaneStats stats_;

  FlowTable table_;
  bool restoring_ = true;
};

// Flows the agent owns carry a cookie category it defines; anything else is left alone.
bool isAgentCookie(uint64_t cookie);

}  // namespace alcor::agent
