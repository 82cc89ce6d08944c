#include "lib/kubernetes/api_client.h"

#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "lib/base/json_util.h"
#include "lib/base/strings.h"

namespace alcor::kubernetes {
namespace {

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string readToken(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return std::string(trimSpace(s.str()));
}

Status statusOf(const std::string& what, int code, const std::string& body) {
  std::string msg = what + ": HTTP " + std::to_string(code);
  auto doc = parseJson(body);
  if (doc.ok() && doc->is_object() && (*doc)["message"].is_string()) {
    msg += ": " + (*doc)["message"].get<std::string>();
  }
  if (code == 404) return notFoundError(msg);
  if (code == 401 || code == 403) return permissionDeniedError(msg + " (check the token and RBAC)");
  if (code == 409) return alreadyExistsError(msg);
  if (code == 410) return outOfRangeError(msg);
  if (code >= 500 || code == 429) return unavailableError(msg);
  return invalidArgumentError(msg);
}

}  // namespace

ApiOptions inClusterApiOptions() {
  ApiOptions o;
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (!host || !*host) return o;
  std::string h = host;
  if (h.find(':') != std::string::npos) h = "[" + h + "]";  // IPv6 service address
  o.server = "https://" + h + ":" + (port && *port ? port : "443");
  o.token_file = std::string(kServiceAccountDir) + "/token";
  o.ca_file = std::string(kServiceAccountDir) + "/ca.crt";
  return o;
}

StatusOr<nlohmann::json> ApiClient::get(const std::string& path) const {
  return call("GET", path, nullptr);
}
StatusOr<nlohmann::json> ApiClient::post(const std::string& path,
                                         const nlohmann::json& body) const {
  return call("POST", path, &body);
}
StatusOr<nlohmann::json> ApiClient::put(const std::string& path, const nlohmann::json& body) const {
  return call("PUT", path, &body);
}

StatusOr<nlohmann::json> ApiClient::del(const std::string& path) const {
  return call("DELETE", path, nullptr);
}

namespace {

// A client for `options` with its timeouts and TLS verification, and the request headers.
struct Connection {
  std::unique_ptr<httplib::Client> client;
  httplib::Headers headers;
};

StatusOr<Connection> connect(const ApiOptions& options, bool read_timeout) {
  if (options.server.empty()) return failedPreconditionError("no Kubernetes API server configured");
  Connection c;
  try {
    c.client = std::make_unique<httplib::Client>(options.server);
  } catch (const std::exception&) {
    c.client.reset();
  }
  if (!c.client || !c.client->is_valid()) {
    return invalidArgumentError("bad Kubernetes API server URL " + options.server);
  }
  const auto ms = options.timeout.count();
  c.client->set_connection_timeout(ms / 1000, (ms % 1000) * 1000);
  c.client->set_write_timeout(ms / 1000, (ms % 1000) * 1000);
  if (read_timeout) {
    c.client->set_read_timeout(ms / 1000, (ms % 1000) * 1000);
  } else {
    c.client->set_read_timeout(24 * 3600, 0);
  }
  if (startsWith(options.server, "https://")) {
    c.client->enable_server_certificate_verification(true);
    if (!options.ca_file.empty()) c.client->set_ca_cert_path(options.ca_file.c_str());
  }
  c.headers = {{"Accept", "application/json"}};
  if (!options.token_file.empty()) {
    std::string token = readToken(options.token_file);
    if (token.empty()) {
      return failedPreconditionError("Kubernetes token file " + options.token_file +
                                     " is empty or unreadable");
    }
    c.headers.emplace("Authorization", "Bearer " + token);
  }
  return c;
}

}  // namespace

StatusOr<nlohmann::json> ApiClient::call(const std::string& method, const std::string& path,
                                         const nlohmann::json* body) const {
  ASSIGN_OR_RETURN(Connection c, connect(options_, /*read_timeout=*/true));
  const std::string what = "Kubernetes API " + method + " " + path;
  httplib::Result res = method == "GET"      ? c.client->Get(path, c.headers)
                        : method == "DELETE" ? c.client->Delete(path, c.headers)
                        : method == "POST"
                            ? c.client->Post(path, c.headers, body->dump(), "application/json")
                            : c.client->Put(path, c.headers, body->dump(), "application/json");
  if (!res) {
    return unavailableError(what + ": unreachable (" + httplib::to_string(res.error()) + ")");
  }
  if (res->status < 200 || res->status >= 300) return statusOf(what, res->status, res->body);
  auto doc = parseJson(res->body, what);
  if (!doc.ok() || !doc->is_object()) return internalError(what + ": reply is not a JSON object");
  return *doc;
}

void WatchCanceller::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (stop_active_) stop_active_();
}

Status ApiClient::watch(const std::string& path,
                        const std::function<bool(const WatchEvent&)>& on_event,
                        WatchCanceller* canceller) const {
  ASSIGN_OR_RETURN(Connection c, connect(options_, /*read_timeout=*/false));
  const std::string what = "Kubernetes API watch " + path;
  if (canceller) {
    std::lock_guard lock(canceller->mu_);
    if (canceller->cancelled_) return cancelledError(what + ": cancelled");
    canceller->stop_active_ = [client = c.client.get()] { client->stop(); };
  }
  int status = 0;
  std::string error_body;  // the body of a refused watch
  std::string line;        // the event being received (one JSON document per line)
  bool stopped_by_handler = false;
  Status bad_event = okStatus();
  auto on_response = [&](const httplib::Response& r) {
    status = r.status;
    return true;
  };
  auto on_data = [&](const char* data, size_t n) {
    if (status < 200 || status >= 300) {
      if (error_body.size() < 65536) error_body.append(data, n);
      return true;
    }
    for (size_t i = 0; i < n; ++i) {
      if (data[i] != '\n') {
        line.push_back(data[i]);
        continue;
      }
      auto doc = parseJson(line, what);
      line.clear();
      if (!doc.ok() || !doc->is_object() || !(*doc)["type"].is_string()) {
        bad_event = internalError(what + ": an event is not a JSON object with a type");
        return false;
      }
      WatchEvent ev{(*doc)["type"].get<std::string>(), std::move((*doc)["object"])};
      if (!on_event(ev)) {
        stopped_by_handler = true;
        return false;
      }
    }
    return true;
  };
  httplib::Result res = c.client->Get(path, c.headers, on_response, on_data);
  if (canceller) {
    std::lock_guard lock(canceller->mu_);
    canceller->stop_active_ = nullptr;
    if (canceller->cancelled_) return cancelledError(what + ": cancelled");
  }
  if (stopped_by_handler) return okStatus();
  if (!bad_event.ok()) return bad_event;
  if (status != 0 && (status < 200 || status >= 300)) return statusOf(what, status, error_body);
  if (!res) {
    return unavailableError(what + ": connection lost (" + httplib::to_string(res.error()) + ")");
  }
  return okStatus();
}

StatusOr<std::string> readConfigMapKey(const ApiClient& api, const std::string& ns,
                                       const std::string& name, const std::string& key) {
  ASSIGN_OR_RETURN(nlohmann::json cm, api.get("/api/v1/namespaces/" + ns + "/configmaps/" + name));
  auto data = cm.find("data");
  if (data == cm.end() || !data->is_object() || !(*data)[key].is_string()) {
    return notFoundError("ConfigMap " + ns + "/" + name + " has no key " + key);
  }
  return (*data)[key].get<std::string>();
}

Status writeConfigMap(const ApiClient& api, const std::string& ns, const std::string& name,
                      const std::map<std::string, std::string>& data) {
  nlohmann::json cm = {{"apiVersion", "v1"},
                       {"kind", "ConfigMap"},
                       {"metadata",
                        {{"name", name},
                         {"namespace", ns},
                         {"labels", {{"app.kubernetes.io/part-of", "alcor-cni"}}}}},
                       {"data", data}};
  const std::string collection = "/api/v1/namespaces/" + ns + "/configmaps";
  auto existing = api.get(collection + "/" + name);
  if (existing.ok()) {
    // Replace with the version read, so a concurrent writer makes this fail instead of losing.
    cm["metadata"]["resourceVersion"] = (*existing)["metadata"].value("resourceVersion", "");
    return api.put(collection + "/" + name, cm).status();
  }
  if (existing.status().code() != StatusCode::kNotFound) return existing.status();
  return api.post(collection, cm).status();
}

}  // namespace alcor::kubernetes
