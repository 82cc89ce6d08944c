#pragma once

// The CNI verbs on the agent side. ADD: controller port -> veth + OVS port -> wait for the
// port's GoalState and flows -> the node's path to the VPC (host access) -> addresses in the
// pod -> result; any failure undoes all of it,
// the controller port included. DEL: idempotent, flows first, then OVS port and veth, then the
// controller port (recorded for later when the controller is down). CHECK compares prevResult
// with the live interface, OVS port and flows. GC removes attachments not listed as valid.
// STATUS reports whether agent, OVS and controller are usable.

#include <chrono>
#include <string>

#include "lib/cni/types.h"
#include "node-agent/cniserver/container_lock.h"
#include "node-agent/cniserver/host_access.h"
#include "node-agent/cniserver/interface_plumber.h"
#include "node-agent/cniserver/pending_releases.h"
#include "node-agent/cniserver/pod_network_choice.h"
#include "node-agent/cniserver/readiness.h"
#include "node-agent/controller_client/controller_client.h"
#include "node-agent/dataplane/dataplane.h"

namespace alcor::agent {

struct PodManagerOptions {
  std::string node_name;
  std::string default_project = "default";
  std::string default_vpc;
  std::string default_subnet;
  int pod_mtu = 1450;
  std::chrono::milliseconds ready_timeout{30000};
  std::chrono::milliseconds port_ready_timeout{30000};
};

struct CniRequest {
  cni::Command command;
  cni::Environment env;
  std::string config;  // stdin bytes
};

struct CniResponse {
  std::string result;  // JSON (ADD); empty otherwise
  cni::CniError error;
  bool ok() const { return error.code == cni::ErrorCode::kOk; }
};

class PodManager {
 public:
  // `kube` and `host_access` may be null (no Kubernetes API; no host access).
  PodManager(PodManagerOptions options, ControllerClient& controller, InterfacePlumber& plumber,
             Dataplane& dataplane, Readiness& readiness, PendingReleases& pending,
             KubernetesClient* kube = nullptr, HostAccess* host_access = nullptr);

  CniResponse handle(const CniRequest& request);

  // Startup: rebuild attachments from OVSDB external_ids and remove broken ones (no ofport, or
  // their namespace is gone). Runs before the CNI server accepts calls.
  Status reconcile();
  // Retries controller deletes that failed while the controller was down.
  void releasePending();
  // Deletes the controller's CNI ports bound to this node that have no local attachment: ports
  // created for an ADD that was cut short (the agent or the controller died mid-way) before the
  // agent could record them. Runs with every CNI operation paused, so none is in flight.
  void releaseOrphans();

 private:
  CniResponse add(const CniRequest& r, const cni::NetworkConfig& config);
  CniResponse del(const CniRequest& r, const cni::NetworkConfig& config);
  CniResponse check(const CniRequest& r, const cni::NetworkConfig& config);
  CniResponse gc(const cni::NetworkConfig& config);
  CniResponse status();

  // Removes one attachment everywhere (flows, OVS port, veth, controller port).
  Status detach(const LocalInterface& iface, const std::string& project);
  std::optional<LocalInterface> findAttachment(const std::string& container_id,
                                               const std::string& ifname) const;
  void releasePort(const std::string& project, const std::string& port_id);
  void removeStrayVeths(const std::vector<Attachment>& attachments);

  PodManagerOptions options_;
  ControllerClient& controller_;
  InterfacePlumber& plumber_;
  Dataplane& dataplane_;
  Readiness& readiness_;
  PendingReleases& pending_;
  KubernetesClient* kube_;   // may be null
  HostAccess* host_access_;  // may be null
  ContainerLockArbiter locks_;
};

}  // namespace alcor::agent
