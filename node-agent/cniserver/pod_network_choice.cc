#include "node-agent/cniserver/pod_network_choice.h"

#include <algorithm>
#include <optional>

#include "lib/base/logging.h"
#include "lib/base/net_types.h"
#include "lib/base/strings.h"

namespace alcor::agent {
namespace {

using cni::CniResultOr;
using cni::ErrorCode;

struct Level {
  std::string project, vpc, subnet;
  std::vector<std::string> sgs;
};

Level fromAnnotations(const Annotations& a) {
  Level l;
  auto get = [&](const char* key) {
    auto it = a.find(key);
    return it == a.end() ? std::string() : std::string(trimSpace(it->second));
  };
  l.project = get(kAnnotationProject);
  l.vpc = get(kAnnotationVpc);
  l.subnet = get(kAnnotationSubnet);
  const std::string sgs = get(kAnnotationSecurityGroups);  // the views below point into it
  for (auto sg : splitString(sgs, ',')) {
    if (auto t = trimSpace(sg); !t.empty()) l.sgs.emplace_back(t);
  }
  return l;
}

std::vector<std::string> commaList(const Annotations& a, const char* key) {
  std::vector<std::string> out;
  auto it = a.find(key);
  if (it == a.end()) return out;
  for (auto item : splitString(it->second, ',')) {
    if (auto t = trimSpace(item); !t.empty()) out.emplace_back(t);
  }
  return out;
}

// The pod's own choice must be one of the admin's choices for its namespace or on its allowed
// list; otherwise the reason.
std::optional<std::string> notAllowed(const std::string& what, const char* annotation,
                                      const std::string& chosen,
                                      const std::vector<std::string>& admin_choices,
                                      const Annotations& ns_ann, const char* allowed_key,
                                      const std::string& ns) {
  std::vector<std::string> allowed = commaList(ns_ann, allowed_key);
  for (const auto& a : allowed) {
    if (a == "*" || a == chosen) return std::nullopt;
  }
  if (std::find(admin_choices.begin(), admin_choices.end(), chosen) != admin_choices.end()) {
    return std::nullopt;
  }
  allowed.insert(allowed.begin(), admin_choices.begin(), admin_choices.end());
  return "pod annotation " + std::string(annotation) + " chooses " + what + " \"" + chosen +
         "\", which namespace " + ns + " may not use (allowed: " +
         (allowed.empty() ? std::string("none") : joinStrings(allowed, ",")) +
         "; the cluster admin lists more in the namespace annotation " + allowed_key + ")";
}

// Tenancy: what the pod annotation asks for against what the admin's levels allow.
std::optional<std::string> checkPodChoice(const Level& pod, const std::vector<Level>& admin,
                                          const Annotations& ns_ann, const std::string& ns) {
  std::string project, vpc;
  std::vector<std::string> sgs;
  for (const auto& l : admin) {
    if (project.empty()) project = l.project;
    if (vpc.empty()) vpc = l.vpc;
    if (sgs.empty()) sgs = l.sgs;
  }
  if (!pod.project.empty()) {
    if (auto e = notAllowed("project", kAnnotationProject, pod.project, {project}, ns_ann,
                            kAnnotationAllowedProjects, ns)) {
      return e;
    }
  }
  if (!pod.vpc.empty()) {
    if (auto e =
            notAllowed("VPC", kAnnotationVpc, pod.vpc, {vpc}, ns_ann, kAnnotationAllowedVpcs, ns)) {
      return e;
    }
  }
  for (const auto& sg : pod.sgs) {
    if (auto e = notAllowed("security group", kAnnotationSecurityGroups, sg, sgs, ns_ann,
                            kAnnotationAllowedSecurityGroups, ns)) {
      return e;
    }
  }
  return std::nullopt;
}

CniResultOr<PodNetworkChoice> apiError(const Status& st, const std::string& what) {
  ErrorCode code = st.code() == StatusCode::kUnavailable ? ErrorCode::kTryAgainLater
                                                         : ErrorCode::kInvalidNetworkConfig;
  return CniResultOr<PodNetworkChoice>::fail(
      code, "cannot read " + what + " from the Kubernetes API", st.message());
}

}  // namespace

CniResultOr<PodNetworkChoice> choosePodNetwork(const cni::NetworkConfig& config,
                                               const cni::PodArgs& pod,
                                               const PodNetworkDefaults& defaults,
                                               KubernetesClient* kube) {
  Annotations pod_ann, ns_ann;
  // The runtime's copy of the pod's annotations spares the API server a GET per ADD.
  if (config.runtime_pod_annotations) pod_ann = *config.runtime_pod_annotations;
  if (kube && !pod.pod_namespace.empty()) {
    auto ns = kube->namespaceAnnotations(pod.pod_namespace);
    if (!ns.ok() && ns.status().code() != StatusCode::kNotFound) {
      return apiError(ns.status(), "namespace " + pod.pod_namespace);
    }
    if (ns.ok()) ns_ann = *ns;
    if (!pod.pod_name.empty() && !config.runtime_pod_annotations) {
      auto p = kube->podAnnotations(pod.pod_namespace, pod.pod_name);
      if (!p.ok() && p.status().code() != StatusCode::kNotFound) {
        return apiError(p.status(), "pod " + pod.pod_namespace + "/" + pod.pod_name);
      }
      if (p.ok()) pod_ann = *p;
    }
  }
  // Highest precedence first.
  std::vector<Level> levels = {fromAnnotations(pod_ann),
                               fromAnnotations(ns_ann),
                               {config.project, config.vpc, config.subnet, config.security_groups},
                               {defaults.project, defaults.vpc, defaults.subnet, {}}};
  if (auto refused = checkPodChoice(levels[0], {levels.begin() + 1, levels.end()}, ns_ann,
                                    pod.pod_namespace)) {
    ALOG(Warn, CniServer) << "pod " << pod.pod_namespace << "/" << pod.pod_name
                          << " refused: " << *refused;
    return CniResultOr<PodNetworkChoice>::fail(ErrorCode::kInvalidNetworkConfig, *refused);
  }
  PodNetworkChoice c;
  for (const auto& l : levels) {
    if (c.project.empty()) c.project = l.project;
    if (c.security_groups.empty()) c.security_groups = l.sgs;
  }
  for (const auto& l : levels) {
    if (c.subnet.empty()) c.subnet = l.subnet;
    if (!l.vpc.empty()) {
      c.vpc = l.vpc;
      break;
    }
  }
  if (c.vpc.empty()) {
    return CniResultOr<PodNetworkChoice>::fail(
        ErrorCode::kInvalidNetworkConfig,
        "no VPC: annotate the pod or namespace with alcor.io/vpc, set \"vpc\" in the network "
        "configuration, or start the agent with --default-vpc");
  }

  auto pod_value = [&](const char* key) {
    auto it = pod_ann.find(key);
    return it == pod_ann.end() ? std::string() : std::string(trimSpace(it->second));
  };
  std::string ip =
      !config.runtime_ips.empty() ? config.runtime_ips.front() : pod_value(kAnnotationIp);
  if (!ip.empty()) {
    ip = ip.substr(0, ip.find('/'));
    if (!Ipv4Address::parse(ip).ok()) {
      return CniResultOr<PodNetworkChoice>::fail(ErrorCode::kInvalidNetworkConfig,
                                                 "requested pod IP \"" + ip + "\" is not IPv4");
    }
    c.ip = ip;
  }
  std::string mac = !config.runtime_mac.empty() ? config.runtime_mac : pod_value(kAnnotationMac);
  if (!mac.empty()) {
    auto m = MacAddress::parse(mac);
    if (!m.ok() || m->isMulticast() || m->isZero()) {
      return CniResultOr<PodNetworkChoice>::fail(
          ErrorCode::kInvalidNetworkConfig, "requested pod MAC \"" + mac + "\" is not unicast");
    }
    c.mac = m->toString();
  }
  return CniResultOr<PodNetworkChoice>::of(std::move(c));
}

}  // namespace alcor::agent
