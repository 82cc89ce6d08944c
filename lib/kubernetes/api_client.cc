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

StatusOr<nlohmann::json> ApiClient::call(const std::string& method, const std::string& path,
                                         const nlohmann::json* body) const {
  if (options_.server.empty())
    return failedPreconditionError("no Kubernetes API server configured");
  std::unique_ptr<httplib::Client> client;
  try {
    client = std::make_unique<httplib::Client>(options_.server);
  } catch (const std::exception&) {
    client.reset();
  }
  if (!client || !client->is_valid()) {
    return invalidArgumentError("bad Kubernetes API server URL " + options_.server);
  }
  const auto ms = options_.timeout.count();
  client->set_connection_timeout(ms / 1000, (ms % 1000) * 1000);
  client->set_read_timeout(ms / 1000, (ms % 1000) * 1000);
  client->set_write_timeout(ms / 1000, (ms % 1000) * 1000);
  if (startsWith(options_.server, "https://")) {
    client->enable_server_certificate_verification(true);
    if (!options_.ca_file.empty()) client->set_ca_cert_path(options_.ca_file.c_str());
  }
  httplib::Headers headers = {{"Accept", "application/json"}};
  if (!options_.token_file.empty()) {
    std::string token = readToken(options_.token_file);
    if (token.empty()) {
      return failedPreconditionError("Kubernetes token file " + options_.token_file +
                                     " is empty or unreadable");
    }
    headers.emplace("Authorization", "Bearer " + token);
  }
  const std::string what = "Kubernetes API " + method + " " + path;
  httplib::Result res = method == "GET" ? client->Get(path, headers)
                        : method == "POST"
                            ? client->Post(path, headers, body->dump(), "application/json")
                            : client->Put(path, headers, body->dump(), "application/json");
  if (!res) {
    return unavailableError(what + ": unreachable (" + httplib::to_string(res.error()) + ")");
  }
  if (res->status < 200 || res->status >= 300) return statusOf(what, res->status, res->body);
  auto doc = parseJson(res->body, what);
  if (!doc.ok() || !doc->is_object()) return internalError(what + ": reply is not a JSON object");
  return *doc;
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
