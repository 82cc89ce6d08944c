#pragma once

// The agent's single point of change for its network state: every writer (GoalState handler,
// CNI server, packet handlers) mutates NetworkState through update() and names what it changed
// in the ChangeSet; the flows of the owners that change makes dirty are then installed as one
// OpenFlow bundle. Readers use read().

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "lib/base/status.h"
#include "node-agent/state/change_set.h"
#include "node-agent/state/network_state.h"

namespace alcor::agent {

class Dataplane {
 public:
  virtual ~Dataplane() = default;
  using Mutation = std::function<void(NetworkState&, ChangeSet&)>;

  // Runs `mutation` under the state lock, then programs what changed in one bundle, after the
  // bundles of earlier updates and without holding the lock. Returns once the switch took it.
  // The state change stands even when programming fails (the error is returned and the flows
  // are retried on the next update or resync).
  virtual Status update(const Mutation& mutation) = 0;
  virtual void read(const std::function<void(const NetworkState&)>& reader) const = 0;

  // Waits until each port has its GoalState, an attached interface and installed flows, or the
  // deadline passes. Returns the ports that are programmed.
  virtual std::set<std::string> waitForPorts(const std::set<std::string>& port_ids,
                                             std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace alcor::agent
