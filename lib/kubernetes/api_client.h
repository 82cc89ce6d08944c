#pragma once

// A small Kubernetes API client for what the controller and the agent need beyond the agent's
// pod-annotation reader: JSON GET/POST/PUT/DELETE and watch streams with the service account
// token (re-read on every request, as projected tokens rotate) over HTTPS verified with the
// cluster CA. Plain http:// servers are for tests. Each call has its own connection; nothing is
// cached here (lib/kubernetes/reflector.h keeps lists current).

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
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

// One event of a watch stream: ADDED, MODIFIED, DELETED, BOOKMARK or ERROR (whose object is a
// Status, e.g. code 410 when the resourceVersion is too old).
struct WatchEvent {
  std::string type;
  nlohmann::json object;
};

// Ends a watch from another thread (the stream otherwise blocks until the server closes it).
class WatchCanceller {
 public:
  void cancel();
  bool cancelled() const { return cancelled_.load(); }

 private:
  friend class ApiClient;
  std::atomic<bool> cancelled_{false};
  std::mutex mu_;
  std::function<void()> stop_active_;
};

// Errors: kNotFound (404), kPermissionDenied (401/403: token or RBAC), kAlreadyExists (409),
// kOutOfRange (410 Gone: a resourceVersion or continue token too old to serve),
// kUnavailable (unreachable, 5xx, 429), kInvalidArgument (other 4xx), kInternal (not JSON).
class ApiClient {
 public:
  explicit ApiClient(ApiOptions options) : options_(std::move(options)) {}
  StatusOr<nlohmann::json> get(const std::string& path) const;
  StatusOr<nlohmann::json> post(const std::string& path, const nlohmann::json& body) const;
  StatusOr<nlohmann::json> put(const std::string& path, const nlohmann::json& body) const;
  StatusOr<nlohmann::json> del(const std::string& path) const;
  // Streams the events of `path` (a collection with watch=1 in its query) to `on_event` until
  // the server ends the stream (OK), `on_event` returns false (OK), `canceller` fires
  // (kCancelled) or the connection fails. The read timeout does not apply to a watch: the
  // server bounds it (timeoutSeconds).
  Status watch(const std::string& path, const std::function<bool(const WatchEvent&)>& on_event,
               WatchCanceller* canceller = nullptr) const;
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
