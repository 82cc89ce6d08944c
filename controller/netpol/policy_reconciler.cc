#include "controller/netpol/policy_reconciler.h"

#include <chrono>
#include <set>

#include "lib/base/logging.h"

namespace alcor::controller::netpol {
namespace {

bool sameRule(const SecurityGroupRule& a, const SecurityGroupRule& b) {
  return a.id == b.id && a.direction == b.direction && a.ethertype == b.ethertype &&
         a.protocol == b.protocol && a.port_range_min == b.port_range_min &&
         a.port_range_max == b.port_range_max && a.remote_ip_prefix == b.remote_ip_prefix &&
         a.remote_group_id == b.remote_group_id && a.description == b.description &&
         a.project_id == b.project_id;
}

bool sameGroup(const SecurityGroup& a, const SecurityGroup& b) {
  if (a.id != b.id || a.project_id != b.project_id || a.name != b.name ||
      a.description != b.description || a.rules.size() != b.rules.size()) {
    return false;
  }
  for (size_t i = 0; i < a.rules.size(); ++i) {
    if (!sameRule(a.rules[i], b.rules[i])) return false;
  }
  return true;
}

const char* kindName(ObjectKind k) {
  switch (k) {
    case ObjectKind::kPod:
      return "Pod";
    case ObjectKind::kNamespace:
      return "Namespace";
    case ObjectKind::kPolicy:
      return "NetworkPolicy";
  }
  return "?";
}

}  // namespace

PolicyReconciler::PolicyReconciler(SecurityPolicyWriter& writer, std::string project,
                                   PolicyStatusSink* status)
    : writer_(writer), project_(std::move(project)), status_(status) {}

void PolicyReconciler::changed() {
  ++changes_;
  if (on_change_) on_change_();
}

void PolicyReconciler::replaceAll(ObjectKind kind, const std::vector<nlohmann::json>& items) {
  {
    std::lock_guard lock(world_mu_);
    switch (kind) {
      case ObjectKind::kPod:
        world_.pods.clear();
        break;
      case ObjectKind::kNamespace:
        world_.namespaces.clear();
        break;
      case ObjectKind::kPolicy:
        world_.policies.clear();
        break;
    }
  }
  for (const auto& item : items) applyToWorld(kind, "ADDED", item);
  changed();
}

void PolicyReconciler::applyEvent(ObjectKind kind, const std::string& type,
                                  const nlohmann::json& object) {
  applyToWorld(kind, type, object);
  ALOG(Trace, NetworkPolicy) << type << " " << kindName(kind);
  changed();
}

void PolicyReconciler::applyToWorld(ObjectKind kind, const std::string& type,
                                    const nlohmann::json& object) {
  const bool deleted = type == "DELETED";
  {
    std::lock_guard lock(world_mu_);
    switch (kind) {
      case ObjectKind::kPod: {
        auto pod = parsePod(object);
        if (!pod.ok()) break;
        if (deleted) {
          world_.pods.erase(pod->uid);
        } else {
          world_.pods[pod->uid] = std::move(*pod);
        }
        break;
      }
      case ObjectKind::kNamespace: {
        auto ns = parseNamespace(object);
        if (!ns.ok()) break;
        if (deleted) {
          world_.namespaces.erase(ns->name);
        } else {
          world_.namespaces[ns->name] = std::move(*ns);
        }
        break;
      }
      case ObjectKind::kPolicy: {
        auto policy = parseNetworkPolicy(object);
        if (!policy.ok()) {
          ALOG(Warn, NetworkPolicy)
              << "ignoring a NetworkPolicy event: " << policy.status().message();
          break;
        }
        if (deleted) {
          world_.policies.erase(policy->key());
        } else {
          world_.policies[policy->key()] = std::move(*policy);
        }
        break;
      }
    }
  }
}

Status PolicyReconciler::reconcile() {
  const auto start = std::chrono::steady_clock::now();
  World world;
  uint64_t seen = 0;
  {
    std::lock_guard lock(world_mu_);
    world = world_;
    seen = changes_.load();
  }
  Translation t = translate(world, project_);

  SecurityPolicyChange change;
  std::set<std::string> current_ids;
  for (const auto& g : writer_.listGroups(kGroupIdPrefix)) {
    current_ids.insert(g.id.str());
    auto want = t.groups.find(g.id.str());
    if (want == t.groups.end()) {
      change.remove.push_back(g.id.str());
    } else if (!sameGroup(g, want->second)) {
      change.put.push_back(want->second);
    }
  }
  for (const auto& [id, g] : t.groups) {
    if (!current_ids.count(id)) change.put.push_back(g);
  }
  size_t filtered = 0;
  for (const auto& port : writer_.listPodPorts()) {
    PortPolicyGroups want;
    if (auto it = t.pods.find(port.device_id); it != t.pods.end()) {
      want.filter = filterGroupsOf(it->second, port.has_own_groups);
      want.address = it->second.address_groups;
    }
    filtered += !want.filter.empty();
    if (want != port.groups) change.ports[port.port_id] = std::move(want);
  }
  Status st = change.empty() ? okStatus() : writer_.apply(change);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  {
    std::lock_guard lock(applied_mu_);
    ++stats_.reconciles;
    stats_.last_seconds = seconds;
    stats_.total_seconds += seconds;
    if (!st.ok()) {
      ++stats_.failures;
      stats_.last_error = st.message();
    } else {
      applied_pods_ = t.pods;
      stats_.groups = t.groups.size();
      stats_.filtered_ports = filtered;
    }
  }
  if (!st.ok()) {
    ALOG(Error, NetworkPolicy) << "cannot apply the NetworkPolicy state: " << st.message();
    return st;
  }
  applied_changes_ = seen;
  if (!change.empty()) {
    ALOG(Debug, NetworkPolicy) << "reconciled in " << seconds * 1000 << " ms: " << change.put.size()
                               << " group(s) put, " << change.ports.size() << " port(s), "
                               << change.remove.size() << " removed";
  }
  if (status_) {
    std::vector<PolicyState> states;
    for (const auto& [key, p] : world.policies) {
      const PolicyResult& r = t.policies[key];
      PolicyState s{p.ns, p.name, p.uid, Realization::kRealized, r.problems, r.groups};
      if (!p.pod_selector_valid) {
        s.realization = Realization::kFailed;
      } else if (!r.problems.empty()) {
        s.realization = Realization::kPartial;
      }
      states.push_back(std::move(s));
    }
    status_->report(states);
  }
  return okStatus();
}

std::optional<PortPolicyGroups> PolicyReconciler::groupsForNewPort(const std::string& pod_uid,
                                                                   bool has_own_groups) const {
  std::lock_guard lock(applied_mu_);
  auto it = applied_pods_.find(pod_uid);
  if (it == applied_pods_.end()) return std::nullopt;
  return PortPolicyGroups{filterGroupsOf(it->second, has_own_groups), it->second.address_groups};
}

ReconcileStats PolicyReconciler::stats() const {
  std::lock_guard lock(applied_mu_);
  return stats_;
}

}  // namespace alcor::controller::netpol
