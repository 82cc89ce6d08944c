#pragma once

// KubernetesClient fake: namespace and pod annotations from maps the test fills; node warnings
// recorded in a list.

#include <map>
#include <string>
#include <vector>

#include "node-agent/kubernetes/kubernetes_client.h"

namespace alcor::agent {

class FakeKubernetesClient : public KubernetesClient {
 public:
  StatusOr<Annotations> podAnnotations(const std::string& ns, const std::string& name) override {
    auto it = pods.find(ns + "/" + name);
    if (it == pods.end()) return notFoundError("pod " + ns + "/" + name);
    return it->second;
  }
  StatusOr<Annotations> namespaceAnnotations(const std::string& ns) override {
    auto it = namespaces.find(ns);
    if (it == namespaces.end()) return notFoundError("namespace " + ns);
    return it->second;
  }
  StatusOr<std::string> nodeInternalIp(const std::string& node) override {
    auto it = node_ips.find(node);
    if (it == node_ips.end()) return notFoundError("node " + node);
    return it->second;
  }
  Status recordNodeWarning(const std::string& node, const std::string& reason,
                           const std::string& message) override {
    node_warnings.push_back(node + " " + reason + ": " + message);
    return okStatus();
  }

  std::map<std::string, Annotations> namespaces;  // by name
  std::map<std::string, Annotations> pods;        // by "namespace/name"
  std::map<std::string, std::string> node_ips;
  std::vector<std::string> node_warnings;  // "<node> <reason>: <message>"
};

}  // namespace alcor::agent
