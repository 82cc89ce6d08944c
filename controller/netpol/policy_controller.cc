#include "controller/netpol/policy_controller.h"

#include <sstream>

#include "lib/base/logging.h"

namespace alcor::controller::netpol {

class PolicyController::KindHandler : public kubernetes::ReflectorHandler {
 public:
  KindHandler(PolicyReconciler& reconciler, ObjectKind kind)
      : reconciler_(reconciler), kind_(kind) {}
  void replaceAll(const std::vector<nlohmann::json>& items) override {
    reconciler_.replaceAll(kind_, items);
  }
  void applyEvent(const std::string& type, const nlohmann::json& object) override {
    reconciler_.applyEvent(kind_, type, object);
  }

 private:
  PolicyReconciler& reconciler_;
  ObjectKind kind_;
};

PolicyController::PolicyController(SecurityPolicyWriter& writer, PolicyControllerOptions options,
                                   std::unique_ptr<kubernetes::ApiClient> events_api)
    : options_(std::move(options)),
      writer_(writer),
      status_(std::move(events_api), options_.component),
      reconciler_(writer, options_.project, &status_) {}

StatusOr<std::unique_ptr<PolicyController>> PolicyController::start(
    const kubernetes::ApiOptions& api, SecurityPolicyWriter& writer,
    PolicyControllerOptions options) {
  if (api.server.empty()) {
    return failedPreconditionError("NetworkPolicy needs the Kubernetes API server");
  }
  auto events = options.post_events ? std::make_unique<kubernetes::ApiClient>(api) : nullptr;
  std::unique_ptr<PolicyController> c(
      new PolicyController(writer, std::move(options), std::move(events)));
  PolicyController* self = c.get();
  c->reconciler_.setChangeCallback([self] { self->wake(); });
  writer.setGroupsForNewPort([self](const std::string& device_id, bool has_own_groups) {
    return self->reconciler_.groupsForNewPort(device_id, has_own_groups);
  });
  writer.setPortObserver([self] { self->reconciler_.portsChanged(); });
  for (auto [collection, kind] :
       {std::pair{"/apis/networking.k8s.io/v1/networkpolicies", ObjectKind::kPolicy},
        std::pair{"/api/v1/namespaces", ObjectKind::kNamespace},
        std::pair{"/api/v1/pods", ObjectKind::kPod}}) {
    c->handlers_.push_back(std::make_unique<KindHandler>(c->reconciler_, kind));
    kubernetes::ReflectorOptions ro;
    ro.collection = collection;
    c->reflectors_.push_back(std::make_unique<kubernetes::Reflector>(kubernetes::ApiClient(api), ro,
                                                                     *c->handlers_.back()));
  }
  c->worker_ = std::thread([self] { self->run(); });
  for (auto& r : c->reflectors_) r->start();
  ALOG(Info, NetworkPolicy) << "watching NetworkPolicies, Pods and Namespaces on " << api.server
                            << "; groups in project " << c->options_.project;
  return c;
}

PolicyController::~PolicyController() { stop(); }

void PolicyController::stop() {
  for (auto& r : reflectors_) r->stop();
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  applied_cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  writer_.setPortObserver(nullptr);
  writer_.setGroupsForNewPort(nullptr);
}

void PolicyController::wake() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

bool PolicyController::synced() const {
  for (const auto& r : reflectors_) {
    if (!r->synced()) return false;
  }
  return true;
}

void PolicyController::run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, options_.resync, [this] { return stopping_ || dirty_; });
    if (stopping_) return;
    if (!synced()) {
      dirty_ = false;  // the last reflector's list wakes us again
      continue;
    }
    // Let a burst of events (a policy and the pods it moves) land in one pass.
    cv_.wait_for(lock, options_.settle, [this] { return stopping_; });
    dirty_ = false;
    lock.unlock();
    Status st = reconciler_.reconcile();
    lock.lock();
    applied_cv_.notify_all();
    if (!st.ok()) {
      dirty_ = true;
      cv_.wait_for(lock, options_.retry, [this] { return stopping_; });
    }
  }
}

bool PolicyController::waitApplied(std::chrono::milliseconds timeout) {
  const uint64_t target = reconciler_.changesSeen();
  std::unique_lock lock(mu_);
  return applied_cv_.wait_for(lock, timeout, [&] {
    return stopping_ || (synced() && reconciler_.changesApplied() >= target);
  });
}

std::string PolicyController::metrics() const {
  std::ostringstream out;
  const ReconcileStats s = reconciler_.stats();
  auto metric = [&](const char* name, const char* type, const char* help, auto value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
        << name << " " << value << "\n";
  };
  metric("alcor_controller_network_policy_reconciles_total", "counter",
         "NetworkPolicy reconciliations.", s.reconciles);
  metric("alcor_controller_network_policy_reconcile_failures_total", "counter",
         "NetworkPolicy reconciliations that could not be applied (retried).", s.failures);
  metric("alcor_controller_network_policy_reconcile_seconds_total", "counter",
         "Time spent reconciling NetworkPolicies.", s.total_seconds);
  metric("alcor_controller_network_policy_groups", "gauge",
         "Security groups the NetworkPolicy component owns.", s.groups);
  metric("alcor_controller_network_policy_filtered_ports", "gauge",
         "Pod ports NetworkPolicies filter.", s.filtered_ports);
  out << "# HELP alcor_controller_kubernetes_watch_failures_total Failed lists or watches of "
         "the Kubernetes API, by collection (retried with backoff).\n"
         "# TYPE alcor_controller_kubernetes_watch_failures_total counter\n";
  const char* names[] = {"networkpolicies", "namespaces", "pods"};
  for (size_t i = 0; i < reflectors_.size(); ++i) {
    out << "alcor_controller_kubernetes_watch_failures_total{collection=\"" << names[i] << "\"} "
        << reflectors_[i]->stats().failures << "\n";
  }
  out << "# HELP alcor_controller_kubernetes_relists_total Lists of a collection (the first, and "
         "after a 410 Gone).\n"
         "# TYPE alcor_controller_kubernetes_relists_total counter\n";
  for (size_t i = 0; i < reflectors_.size(); ++i) {
    out << "alcor_controller_kubernetes_relists_total{collection=\"" << names[i] << "\"} "
        << reflectors_[i]->stats().lists << "\n";
  }
  out << status_.metrics();
  return out.str();
}

}  // namespace alcor::controller::netpol
