#pragma once

// The agent's single point of change for its network state: every writer (GoalState handler,
// CNI server, packet handlers) mutates NetworkState through update(), which then installs the
// flows that changed as one OpenFlow bundle. Readers use read().

#include <chrono>
#include <functional>
#include <set>
#include <string>

#include "lib/base/status.h"
#include "node-agent/state/network_state.h"

namespace alcor::agent {

// What a mutation touched; the pipeline recomputes flows for these (and what depends on them).
struct ChangeSet {
  std::set<std::string> vpcs, subnets, ports, neighbors, dhcp, routers, gateways, security_groups,
      interfaces, host_gateways;
  bool empty() const;
  void merge(const ChangeSet& other);
};

class Dataplane {
 public:
  virtual ~Dataplane() = default;
  using Mutation = std::function<void(NetworkState&, ChangeSet&)>;

  // Runs `mutation` under the dataplane lock, then programs what changed in one bundle. The state
  // change stands even when programming fails (the error is returned and the flows are retried
  // on the next update or resync).
  virtual Status update(const Mutation& mutation) = 0;
  virtual void read(const std::function<void(const NetworkState&)>& reader) const = 0;

  // Waits until each port has its GoalState, an attached interface and installed flows, or the
  // deadline passes. Returns the ports that are programmed.
  virtual std::set<std::string> waitForPorts(const std::set<std::string>& port_ids,
                                             std::chrono::steady_clock::time_point deadline) = 0;
};

}  // namespace alcor::agent
