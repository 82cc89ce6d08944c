#pragma once

// The controller's NetworkPolicy component (docs/design/network-policy.md): reflectors list and
// watch NetworkPolicies, Pods and Namespaces on the kube-apiserver; a worker reconciles after
// each burst of changes (and periodically, to repair drift) once all three lists are in; the
// status of every policy goes to the log, the metrics and Kubernetes Events.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/netpol/policy_reconciler.h"
#include "controller/netpol/policy_status.h"
#include "lib/kubernetes/reflector.h"

namespace alcor::controller::netpol {

struct PolicyControllerOptions {
  std::string project = "default";          // where the groups are created
  std::chrono::milliseconds settle{5};      // wait this long after a change for more of them
  std::chrono::milliseconds resync{60000};  // reconcile at least this often
  std::chrono::milliseconds retry{1000};    // after a failed reconciliation
  bool post_events = true;
  std::string component = "alcor-controller";  // Events' source
};

class PolicyController {
 public:
  static StatusOr<std::unique_ptr<PolicyController>> start(const kubernetes::ApiOptions& api,
                                                           SecurityPolicyWriter& writer,
                                                           PolicyControllerOptions options);
  ~PolicyController();
  void stop();

  // Prometheus text for GET /metrics.
  std::string metrics() const;
  // Tests and benchmarks: true once every change seen so far is enforced (false on timeout).
  bool waitApplied(std::chrono::milliseconds timeout);
  ReconcileStats stats() const { return reconciler_.stats(); }

 private:
  PolicyController(SecurityPolicyWriter& writer, PolicyControllerOptions options,
                   std::unique_ptr<kubernetes::ApiClient> events_api);
  void run();
  bool synced() const;
  void wake();

  class KindHandler;
  PolicyControllerOptions options_;
  SecurityPolicyWriter& writer_;
  PolicyStatusReporter status_;
  PolicyReconciler reconciler_;
  std::vector<std::unique_ptr<KindHandler>> handlers_;
  std::vector<std::unique_ptr<kubernetes::Reflector>> reflectors_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable applied_cv_;
  bool dirty_ = true;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace alcor::controller::netpol
