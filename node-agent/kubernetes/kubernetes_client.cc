#include "node-agent/kubernetes/kubernetes_client.h"

#include <ctime>

#include "lib/kubernetes/api_client.h"

namespace alcor::agent {
namespace {

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
  explicit KubernetesClientImpl(KubernetesClientOptions o)
      : options_(std::move(o)),
        api_(kubernetes::ApiOptions{options_.server, options_.token_file, options_.ca_file,
                                    options_.timeout}) {}

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
    auto posted = api_.post("/api/v1/namespaces/default/events", event);
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

  StatusOr<nlohmann::json> get(const std::string& path) { return api_.get(path); }

  KubernetesClientOptions options_;
  kubernetes::ApiClient api_;
  std::mutex mu_;
  std::map<std::string, std::pair<std::chrono::steady_clock::time_point, Annotations>> ns_cache_;
};

}  // namespace

KubernetesClientOptions inClusterOptions() {
  kubernetes::ApiOptions api = kubernetes::inClusterApiOptions();
  KubernetesClientOptions o;
  o.server = api.server;
  o.token_file = api.token_file;
  o.ca_file = api.ca_file;
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
