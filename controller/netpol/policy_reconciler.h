#pragma once

// Keeps the enforced state equal to the policies: holds the Kubernetes objects it is told about
// (from the reflectors, or tests), translates them (translator.h) and applies the difference
// between that and what the writer holds — groups put and removed, ports' policy groups set.
// Pods are matched to ports by the port's device_id (the pod UID, set by alcor-agent).

#include <atomic>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/netpol/policy_status.h"
#include "controller/netpol/policy_writer.h"
#include "controller/netpol/translator.h"
#include "nlohmann/json.hpp"

namespace alcor::controller::netpol {

enum class ObjectKind { kPod, kNamespace, kPolicy };

struct ReconcileStats {
  uint64_t reconciles = 0;
  uint64_t failures = 0;
  size_t groups = 0;          // owned groups after the last reconciliation
  size_t filtered_ports = 0;  // ports with policy groups
  double last_seconds = 0;
  double total_seconds = 0;
  std::string last_error;
};

class PolicyReconciler {
 public:
  // `status` may be null. `project`: where the groups are created.
  PolicyReconciler(SecurityPolicyWriter& writer, std::string project, PolicyStatusSink* status);

  // Object updates (any thread). Each calls the change callback.
  void replaceAll(ObjectKind kind, const std::vector<nlohmann::json>& items);
  void applyEvent(ObjectKind kind, const std::string& type, const nlohmann::json& object);
  // A pod port was created, changed or deleted.
  void portsChanged() { changed(); }
  void setChangeCallback(std::function<void()> cb) { on_change_ = std::move(cb); }

  // One pass: translate what is known and apply the difference. Not concurrent with itself.
  Status reconcile();
  // The groups a new port of that pod should start with (from the last applied pass).
  std::optional<PortPolicyGroups> groupsForNewPort(const std::string& pod_uid,
                                                   bool has_own_groups) const;
  // Counts every object update; reconcile() records the count it saw.
  uint64_t changesSeen() const { return changes_.load(); }
  uint64_t changesApplied() const { return applied_changes_.load(); }
  ReconcileStats stats() const;

 private:
  void changed();
  void applyToWorld(ObjectKind kind, const std::string& type, const nlohmann::json& object);

  SecurityPolicyWriter& writer_;
  const std::string project_;
  PolicyStatusSink* status_;
  std::function<void()> on_change_;

  mutable std::mutex world_mu_;
  World world_;
  std::atomic<uint64_t> changes_{0};
  std::atomic<uint64_t> applied_changes_{0};

  mutable std::mutex applied_mu_;  // never held while calling the writer
  std::map<std::string, PodPolicy> applied_pods_;
  ReconcileStats stats_;
};

}  // namespace alcor::controller::netpol
