#pragma once

// The agent's access to the Kubernetes API: it reads pod and namespace annotations (which select
// the VPC, subnet, security groups and static addresses of a pod) and the node's InternalIP, and
// records Warning events on its Node (e.g. HostAccessRefused). In a cluster it uses the service
// account token and CA; tests point it at a fake API server.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "lib/base/status.h"

namespace alcor::agent {

using Annotations = std::map<std::string, std::string>;

class KubernetesClient {
 public:
  virtual ~KubernetesClient() = default;
  virtual StatusOr<Annotations> podAnnotations(const std::string& ns, const std::string& name) = 0;
  virtual StatusOr<Annotations> namespaceAnnotations(const std::string& ns) = 0;
  // The node's InternalIP address.
  virtual StatusOr<std::string> nodeInternalIp(const std::string& node) = 0;
  // A Warning event about Node `node` (namespace default, as the kubelet records them), shown by
  // `kubectl describe node` and `kubectl get events`.
  virtual Status recordNodeWarning(const std::string& node, const std::string& reason,
                                   const std::string& message) = 0;
};

struct KubernetesClientOptions {
  std::string server;      // https://10.96.0.1:443 (or http:// for tests)
  std::string token_file;  // bearer token, re-read when it changes (projected tokens rotate)
  std::string ca_file;     // CA bundle for https
  std::chrono::milliseconds timeout{5000};
  std::chrono::milliseconds namespace_cache_ttl{5000};
};

// In-cluster defaults: KUBERNETES_SERVICE_HOST/PORT and the service account files. Empty server
// when not running in a cluster.
KubernetesClientOptions inClusterOptions();
// An explicit server (with its token and CA files) when given, else inClusterOptions().
KubernetesClientOptions chooseKubernetesOptions(const std::string& server,
                                                const std::string& token_file,
                                                const std::string& ca_file);

std::unique_ptr<KubernetesClient> makeKubernetesClient(KubernetesClientOptions options);

}  // namespace alcor::agent
