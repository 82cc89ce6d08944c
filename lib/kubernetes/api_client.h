#pragma once

// A small Kubernetes API client for what the controller and the agent need beyond the agent's
// pod-annotation reader: JSON GET/POST/PUT with the service account token (re-read on every
// request, as projected tokens rotate) over HTTPS verified with the cluster CA. Plain http://
// servers are for tests. Each call has its own connection; nothing is cached here.

#include <chrono>
#include <map>
#include <string>

#include "lib/base/status.h"
#include "nlohmann/json.hpp"

namespace alcor::kubernetes {

struct ApiOptions {
  std::string server;      // "https://10.96.0.1:443"; empty: no Kubernetes API
  std::string token_file;  // bearer token; empty: none
  std::string ca_file;     // CA bundle of an https server; empty: the system's
  std::chrono::milliseconds timeout{5000};
};

// KUBERNETES_SERVICE_HOST/PORT and the pod's service account files; empty server outside a pod.
ApiOptions inClusterApiOptions();

// Errors: kNotFound (404), kPermissionDenied (401/403: token or RBAC), kAlreadyExists (409),
// kUnavailable (unreachable, 5xx), kInvalidArgument (other 4xx), kInternal (not JSON).
class ApiClient {
 public:
  explicit ApiClient(ApiOptions options) : options_(std::move(options)) {}
  StatusOr<nlohmann::json> get(const std::string& path) const;
  StatusOr<nlohmann::json> post(const std::string& path, const nlohmann::json& body) const;
  StatusOr<nlohmann::json> put(const std::string& path, const nlohmann::json& body) const;
  const ApiOptions& options() const { return options_; }

 private:
  StatusOr<nlohmann::json> call(const std::string& method, const std::string& path,
                                const nlohmann::json* body) const;
  ApiOptions options_;
};

// One key of a ConfigMap's data.
StatusOr<std::string> readConfigMapKey(const ApiClient& api, const std::string& ns,
                                       const std::string& name, const std::string& key);
// Creates the ConfigMap or replaces its data (other keys are dropped).
Status writeConfigMap(const ApiClient& api, const std::string& ns, const std::string& name,
                      const std::map<std::string, std::string>& data);

}  // namespace alcor::kubernetes
