#pragma once

// Where the DPM sends what it computes: per-host queues of encoded states. The PushScheduler is
// the implementation (per-host order, coalescing, chunking, backoff, acknowledgement);
// tests/fakes/fake_goalstate_sink.h records instead. Calls never block on the network.

#include <future>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/dpm/encoded_state.h"
#include "lib/base/status.h"

namespace alcor::controller {

// Host IP -> states for it, in order. The same StatePtr may be queued for many hosts.
using HostStates = std::unordered_map<std::string, std::vector<StatePtr>>;

class GoalStateSink {
 public:
  virtual ~GoalStateSink() = default;

  // Where the agent of `host_ip` listens ("ip:port"). States for a host without one are held.
  virtual void setAddress(const std::string& host_ip, const std::string& address) = 0;
  // Drops everything queued for the host (its node was deleted).
  virtual void forget(const std::string& host_ip) = 0;
  // Queues each host's states after what it already has queued; a later state of a resource
  // replaces an earlier one not yet sent.
  virtual void enqueue(HostStates states) = 0;
  // Replaces whatever is queued for the host by its full state (node (re-)registered).
  virtual void requestResync(const std::string& host_ip) = 0;
  // Queues `states` for the host and serves it ahead of the other hosts; the future is OK once
  // the host answered a message carrying them, or the error of the attempt (the states stay
  // queued and are retried like any other).
  virtual std::future<Status> enqueueNow(const std::string& host_ip,
                                         std::vector<StatePtr> states) = 0;
  // The VPC has `ports` placed ports now (the DPM says so after each change of its ports,
  // before it queues the change's states, and once per VPC at start). A sink that picks the
  // path per VPC (--southbound=auto) decides here; the others ignore it.
  virtual void vpcPortsChanged(const std::string& /*vpc_id*/, size_t /*ports*/) {}
};

}  // namespace alcor::controller
