#pragma once

// alcor-agent's composition root: builds every component from the configuration, brings the
// node up (OVS bridges, flows restored, attachments reconciled), serves the CNI socket and the
// GoalState gRPC service, registers the node and keeps the dataplane in sync until stopped.

#include <atomic>
#include <memory>
#include <thread>

#include "lib/base/status.h"
#include "node-agent/config/agent_config.h"

namespace alcor::agent {

struct AgentStatus;

class Agent {
 public:
  explicit Agent(AgentConfig config);
  ~Agent();

  // Sets the node up and starts the servers; returns once the CNI socket accepts calls.
  Status start();
  // --cleanup: removes what the agent set up on the node outside br-int's flows (host gateway
  // ports and their controller ports, the NAT table), then returns.
  Status cleanup();
  // Blocks until stop() is called (from a signal thread), then shuts down.
  void run();
  void stop();

 private:
  struct Parts;
  void registrationLoop();
  void maintenanceLoop();
  // The REST client to the controller, with TLS and the token unless --insecure.
  void connectController();
  void createHostGateways();
  // The userspace datapath's underlay (node_setup.h): the node IP back on the NIC while OVS is
  // away, onto the underlay bridge again (with the host gateways' addresses) once it is back.
  // The ...Locked ones need Parts::underlay_mu held.
  void releaseUnderlay(const char* why);
  // Whether --cleanup ran on this node since the start (its marker in the state directory).
  bool removalUnderway();
  bool restoreUnderlay();
  // Maintenance: the bridge's device gone while OVS runs, or a failed restore: retried.
  void checkUnderlay();
  void releaseUnderlayLocked(const char* why);
  bool restoreUnderlayLocked();
  Status startNats();
  AgentStatus currentStatus() const;

  AgentConfig config_;
  std::unique_ptr<Parts> parts_;
  std::atomic<bool> stopping_{false};
  bool removal_logged_ = false;  // maintenance thread only
  std::thread registration_;
  std::thread maintenance_;
};

// --probe=live|ready for Kubernetes exec probes: live = the CNI socket answers; ready = the
// agent reports STATUS success. Returns the process exit code.
int runProbe(const std::string& which, const std::string& cni_socket);

}  // namespace alcor::agent
