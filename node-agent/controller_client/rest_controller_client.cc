#include <httplib.h>
#include <sys/stat.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "lib/base/json_util.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"
#include "node-agent/controller_client/controller_client.h"

namespace alcor::agent {
namespace {

using nlohmann::json;

// Controller errors carry {"message": ...} (ours) or Alcor's {"error": ...}; fall back to body.
std::string errorText(const httplib::Result& res) {
  auto doc = parseJson(res->body);
  if (doc.ok() && doc->is_object()) {
    for (const char* key : {"message", "error", "NeutronError"}) {
      auto it = doc->find(key);
      if (it != doc->end()) return it->is_string() ? it->get<std::string>() : it->dump();
    }
  }
  return res->body.substr(0, 300);
}

Status statusFromHttp(const std::string& what, const httplib::Result& res) {
  if (!res) {
    return unavailableError(what + ": controller unreachable (" + httplib::to_string(res.error()) +
                            ")");
  }
  int code = res->status;
  if (code >= 200 && code < 300) return okStatus();
  std::string msg = what + ": HTTP " + std::to_string(code) + ": " + errorText(res);
  switch (code) {
    case 400:
      return invalidArgumentError(msg);
    case 401:
      return unauthenticatedError(msg + " (check --controller-token-file)");
    case 403:
      return permissionDeniedError(msg);
    case 404:
      return notFoundError(msg);
    case 409:
      return alreadyExistsError(msg);
    case 503:
      return unavailableError(msg);
    default:
      if (code >= 500) return internalError(msg);
      return failedPreconditionError(msg);
  }
}

std::string str(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

PortRecord portFromJson(const json& p) {
  PortRecord r;
  r.id = str(p, "id");
  r.project_id = str(p, "project_id");
  r.network_id = str(p, "network_id");
  r.name = str(p, "name");
  r.mac_address = str(p, "mac_address");
  r.device_id = str(p, "device_id");
  r.device_owner = str(p, "device_owner");
  r.host_id = str(p, "binding:host_id");
  r.status = str(p, "status");
  if (auto it = p.find("fixed_ips"); it != p.end() && it->is_array()) {
    for (const auto& ip : *it) {
      if (ip.is_object()) r.fixed_ips.push_back({str(ip, "subnet_id"), str(ip, "ip_address")});
    }
  }
  return r;
}

// mtime, size and inode of a file, to notice a replaced CA bundle or token.
std::string fileStamp(const std::string& path) {
  struct stat st;
  if (path.empty() || stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_size);
}

std::string readToken(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return std::string(trimSpace(s.str()));
}

class RestControllerClient : public ControllerClient {
 public:
  explicit RestControllerClient(RestClientOptions o) : o_(std::move(o)) {}

  StatusOr<NodeRegistration> registerNode(const NodeRegistration& node) override {
    json info = {{"node_id", node.node_id},         {"node_name", node.node_name},
                 {"local_ip", node.local_ip},       {"mac_address", node.mac_address},
                 {"server_port", node.server_port}, {"host_dvr_mac", node.host_dvr_mac}};
    if (node.host_dvr_mac.empty()) info.erase("host_dvr_mac");
    json body = {{"host_info", info}};
    auto res = client().Post("/nodes", body.dump(), "application/json");
    Status st = statusFromHttp("register node " + node.node_name, res);
    if (st.code() == StatusCode::kAlreadyExists) {
      res = client().Put("/nodes/" + node.node_id, body.dump(), "application/json");
      st = statusFromHttp("update node " + node.node_name, res);
    }
    RETURN_IF_ERROR(st);
    NodeRegistration out = node;
    auto doc = parseJson(res->body, "node reply");
    if (doc.ok() && doc->is_object()) {
      const json& h = doc->contains("host_info") ? (*doc)["host_info"] : *doc;
      if (std::string dvr = str(h, "host_dvr_mac"); !dvr.empty()) out.host_dvr_mac = dvr;
    }
    return out;
  }

  StatusOr<PortRecord> createPort(const PortRequest& r) override {
    json fixed = json::object();
    if (!r.subnet_id.empty()) fixed["subnet_id"] = r.subnet_id;
    if (!r.ip_address.empty()) fixed["ip_address"] = r.ip_address;
    json port = {{"network_id", r.network_id},   {"name", r.name},
                 {"device_id", r.device_id},     {"device_owner", r.device_owner},
                 {"binding:host_id", r.host_id}, {"admin_state_up", true},
                 {"project_id", r.project}};
    if (!fixed.empty()) port["fixed_ips"] = json::array({fixed});
    if (!r.mac_address.empty()) port["mac_address"] = r.mac_address;
    if (!r.security_groups.empty()) port["security_groups"] = r.security_groups;
    json body = {{"port", port}};
    auto res = client().Post("/project/" + r.project + "/ports", body.dump(), "application/json");
    RETURN_IF_ERROR(statusFromHttp("create port for " + r.name, res));
    auto doc = parseJson(res->body, "port reply");
    if (!doc.ok() || !doc->is_object() || !doc->contains("port")) {
      return internalError("create port for " + r.name + ": controller reply has no \"port\"");
    }
    PortRecord rec = portFromJson((*doc)["port"]);
    if (rec.id.empty() || rec.mac_address.empty() || rec.fixed_ips.empty()) {
      return internalError("create port for " + r.name +
                           ": controller reply lacks id, MAC or fixed IP");
    }
    return rec;
  }

  Status deletePort(const std::string& project, const std::string& port_id) override {
    auto res = client().Delete("/project/" + project + "/ports/" + port_id);
    return statusFromHttp("delete port " + port_id, res);
  }

  StatusOr<std::vector<PortRecord>> listPorts(const std::string& project,
                                              const std::string& device_id,
                                              const std::string& host_id) override {
    httplib::Params params;
    if (!device_id.empty()) params.emplace("device_id", device_id);
    if (!host_id.empty()) params.emplace("binding:host_id", host_id);
    std::string path = "/project/" + project + "/ports";
    if (!params.empty()) path = httplib::append_query_params(path, params);
    auto res = client().Get(path);
    RETURN_IF_ERROR(statusFromHttp("list ports", res));
    auto doc = parseJson(res->body, "port list");
    if (!doc.ok() || !doc->is_object() || !(*doc)["ports"].is_array()) {
      return internalError("list ports: controller reply has no \"ports\" array");
    }
    std::vector<PortRecord> out;
    for (const auto& p : (*doc)["ports"]) {
      if (p.is_object()) out.push_back(portFromJson(p));
    }
    return out;
  }

  Status ping() override {
    auto res = client().Get("/nodes");
    return statusFromHttp("controller ping", res);
  }

  StatusOr<std::string> requestCertificate(const std::string& node_name,
                                           const std::string& csr_pem) override {
    json body = {{"node_name", node_name}, {"csr", csr_pem}};
    auto res = client().Post("/certificates", body.dump(), "application/json");
    RETURN_IF_ERROR(statusFromHttp("certificate for " + node_name, res));
    auto doc = parseJson(res->body, "certificate reply");
    if (!doc.ok() || !doc->is_object() || !(*doc)["certificate"].is_string()) {
      return internalError("certificate for " + node_name + ": reply has no \"certificate\"");
    }
    return (*doc)["certificate"].get<std::string>();
  }

 private:
  // httplib::Client is not safe for concurrent requests; one per thread keeps ADDs parallel.
  // It is rebuilt when the CA bundle changes (httplib reads it once per client).
  httplib::Client& client() {
    thread_local std::unique_ptr<httplib::Client> c;
    thread_local const RestControllerClient* owner = nullptr;
    thread_local std::string ca_stamp;
    std::string stamp = fileStamp(o_.ca_file);
    if (!c || owner != this || stamp != ca_stamp) {
      c = makeClient();
      owner = this;
      ca_stamp = stamp;
    }
    if (!o_.token_file.empty()) c->set_bearer_token_auth(readToken(o_.token_file));
    return *c;
  }

  std::unique_ptr<httplib::Client> makeClient() const {
    std::unique_ptr<httplib::Client> c;
    const bool https = startsWith(o_.base_url, "https://");
    if (https && !o_.server_name.empty()) {
      // Connect to the URL's host but verify the certificate against the expected name.
      std::string rest = o_.base_url.substr(8);
      rest = rest.substr(0, rest.find('/'));
      auto colon = rest.rfind(':');
      std::string host = colon == std::string::npos ? rest : rest.substr(0, colon);
      std::string port = colon == std::string::npos ? "443" : rest.substr(colon + 1);
      c = std::make_unique<httplib::Client>("https://" + o_.server_name + ":" + port);
      c->set_hostname_addr_map({{o_.server_name, host}});
    } else {
      c = std::make_unique<httplib::Client>(o_.base_url);
    }
    if (https) {
      c->enable_server_certificate_verification(true);
      if (!o_.ca_file.empty()) c->set_ca_cert_path(o_.ca_file.c_str());
    }
    const int connect = o_.connect_timeout_ms, request = o_.request_timeout_ms;
    c->set_connection_timeout(connect / 1000, (connect % 1000) * 1000);
    c->set_read_timeout(request / 1000, (request % 1000) * 1000);
    c->set_write_timeout(request / 1000, (request % 1000) * 1000);
    // No keep-alive: the controller closes idle connections, and reusing one it has just
    // closed fails the request mid-read ("controller unreachable (Read)") under load.
    c->set_keep_alive(false);
    return c;
  }

  const RestClientOptions o_;
};

}  // namespace

ControllerClientPtr makeRestControllerClient(RestClientOptions options) {
  return std::make_unique<RestControllerClient>(std::move(options));
}

ControllerClientPtr makeRestControllerClient(const std::string& base_url, int connect_timeout_ms,
                                             int request_timeout_ms) {
  RestClientOptions o;
  o.base_url = base_url;
  o.connect_timeout_ms = connect_timeout_ms;
  o.request_timeout_ms = request_timeout_ms;
  return makeRestControllerClient(std::move(o));
}

}  // namespace alcor::agent
