#include "node-agent/kubernetes/kubernetes_client.h"

#include <httplib.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <sstream>

#include "lib/base/json_util.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"

namespace alcor::agent {
namespace {

constexpr const char* kServiceAccountDir = "/var/run/secrets/kubernetes.io/serviceaccount";

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return std::string(trimSpace(s.str()));
}

Annotations annotationsOf(const nlohmann::json& object) {
  Annotations out;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return out;
  auto ann = meta->find("annotations");
  if (ann == meta->end() || !ann->is_object()) return out;
  for (auto& [k, v] : ann->items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

class KubernetesClientImpl : public KubernetesClient {
 public:
  explicit KubernetesClientImpl(KubernetesClientOptions o) : options_(std::move(o)) {}

  StatusOr<Annotations> podAnnotations(const std::string& ns, const std::string& name) override {
    ASSIGN_OR_RETURN(nlohmann::json pod, get("/api/v1/namespaces/" + ns + "/pods/" + name));
    return annotationsOf(pod);
  }

  StatusOr<Annotations> namespaceAnnotations(const std::string& ns) override {
    auto now = std::chrono::steady_clock::now();
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = ns_cache_.find(ns);
      if (it != ns_cache_.end() && now - it->second.first < options_.namespace_cache_ttl) {
        return it->second.second;
      }
    }
    ASSIGN_OR_RETURN(nlohmann::json object, get("/api/v1/namespaces/" + ns));
    Annotations a = annotationsOf(object);
    std::lock_guard<std::mutex> lock(mu_);
    ns_cache_[ns] = {now, a};
    return a;
  }

  Status recordNodeWarning(const std::string& node, const std::string& reason,
                           const std::string& message) override {
    const std::string now = utcNow();
    nlohmann::json event = {
        {"apiVersion", "v1"},
        {"kind", "Event"},
        {"metadata", {{"generateName", node + ".alcor-"}, {"namespace", "default"}}},
        {"involvedObject", {{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node}}},
        {"reason", reason},
        {"message", message},
        {"type", "Warning"},
        {"source", {{"component", "alcor-agent"}, {"host", node}}},
        {"reportingComponent", "alcor-agent"},
        {"reportingInstance", node},
        {"firstTimestamp", now},
        {"lastTimestamp", now},
        {"count", 1}};
    auto posted = request("POST", "/api/v1/namespaces/default/events", event.dump());
    return posted.ok() ? okStatus() : posted.status();
  }

  StatusOr<std::string> nodeInternalIp(const std::string& node) override {
    ASSIGN_OR_RETURN(nlohmann::json object, get("/api/v1/nodes/" + node));
    auto status = object.find("status");
    if (status != object.end() && status->contains("addresses")) {
      for (const auto& a : (*status)["addresses"]) {
        if (a.value("type", "") == "InternalIP") return a.value("address", "");
      }
    }
    return notFoundError("node " + node + " has no InternalIP");
  }

 private:
  static std::string utcNow() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
  }

  StatusOr<nlohmann::json> get(const std::string& path) { return request("GET", path, ""); }

  StatusOr<nlohmann::json> request(const std::string& method, const std::string& path,
                                   const std::string& body) {
    std::unique_ptr<httplib::Client> client;
    try {
      client = std::make_unique<httplib::Client>(options_.server);
    } catch (const std::exception& e) {
      return invalidArgumentError("bad Kubernetes API server URL " + options_.server);
    }
    if (!client->is_valid()) {
      return invalidArgumentError("bad Kubernetes API server URL " + options_.server);
    }
    auto secs = options_.timeout.count() / 1000, usecs = (options_.timeout.count() % 1000) * 1000;
    client->set_connection_timeout(secs, usecs);
    client->set_read_timeout(secs, usecs);
    if (startsWith(options_.server, "https://")) {
      client->enable_server_certificate_verification(true);
      if (!options_.ca_file.empty()) client->set_ca_cert_path(options_.ca_file.c_str());
    }
    httplib::Headers headers = {{"Accept", "application/json"}};
    if (!options_.token_file.empty()) {
      std::string token = readFile(options_.token_file);
      if (token.empty()) {
        return failedPreconditionError("Kubernetes token file " + options_.token_file +
                                       " is empty or unreadable");
      }
      headers.emplace("Authorization", "Bearer " + token);
    }
    auto res = method == "POST" ? client->Post(path, headers, body, "application/json")
                                : client->Get(path, headers);
    if (!res) {
      return unavailableError("Kubernetes API " + options_.server + " unreachable (" +
                              httplib::to_string(res.error()) + ")");
    }
    if (res->status == 404) return notFoundError("Kubernetes API: " + path + " not found");
    if (res->status == 401 || res->status == 403) {
      return failedPreconditionError("Kubernetes API refused " + path + " (HTTP " +
                                     std::to_string(res->status) + "): check RBAC and the token");
    }
    if (res->status != 200 && res->status != 201) {
      return unavailableError("Kubernetes API " + path + ": HTTP " + std::to_string(res->status));
    }
    auto doc = parseJson(res->body, "Kubernetes API reply");
    if (!doc.ok() || !doc->is_object())
      return internalError("Kubernetes API " + path + ": bad JSON");
    return *doc;
  }

  KubernetesClientOptions options_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, Annotations>> ns_cache_;
};

}  // namespace

KubernetesClientOptions inClusterOptions() {
  KubernetesClientOptions o;
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

KubernetesClientOptions chooseKubernetesOptions(const std::string& server,
                                                const std::string& token_file,
                                                const std::string& ca_file) {
  if (server.empty()) return inClusterOptions();
  KubernetesClientOptions o;
  o.server = server;
  o.token_file = token_file;
  o.ca_file = ca_file;
  return o;
}

std::unique_ptr<KubernetesClient> makeKubernetesClient(KubernetesClientOptions options) {
  return std::make_unique<KubernetesClientImpl>(std::move(options));
}

}  // namespace alcor::agent
