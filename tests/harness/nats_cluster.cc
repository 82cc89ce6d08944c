#include "tests/harness/nats_cluster.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace alcor::testing {

namespace {

// A TCP port nobody listens on here now (in the current namespace), from a random start so
// that concurrent tests rarely collide.
int freePort() {
  static std::mt19937 rng(std::random_device{}());
  for (int attempt = 0; attempt < 200; ++attempt) {
    int port = 20000 + static_cast<int>(rng() % 30000);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return 0;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool free = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (free) return port;
  }
  return 0;
}

std::string quoted(const std::string& s) { return nlohmann::json(s).dump(); }

std::string list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + quoted(items[i]);
  return out + "]";
}

}  // namespace

std::string natsServerConfig(const NatsClusterOptions& o, size_t index,
                             const std::vector<int>& client_ports,
                             const std::vector<int>& route_ports) {
  std::ostringstream c;
  c << "server_name: " << quoted("alcor-nats-" + std::to_string(index)) << "\n";
  c << "listen: " << quoted(o.address + ":" + std::to_string(client_ports[index])) << "\n";
  // A host's first GoalState message holds all its non-neighbor states (unbounded; neighbors
  // come in chunks): more room than the 1 MB default.
  c << "max_payload: 8388608\n";
  if (!o.tls_cert.empty()) {
    c << "tls {\n  cert_file: " << quoted(o.tls_cert) << "\n  key_file: " << quoted(o.tls_key)
      << "\n  ca_file: " << quoted(o.tls_ca) << "\n  timeout: 2\n}\n";
  }
  if (!o.users.empty()) {
    c << "authorization {\n  users: [\n";
    for (const auto& u : o.users) {
      c << "    {user: " << quoted(u.user) << ", password: " << quoted(u.password);
      std::vector<std::string> parts;
      if (!u.publish.empty()) parts.push_back("publish: {allow: " + list(u.publish) + "}");
      if (!u.subscribe.empty()) parts.push_back("subscribe: {allow: " + list(u.subscribe) + "}");
      if (u.allow_responses) parts.push_back("allow_responses: true");
      if (!parts.empty()) {
        c << ", permissions: {";
        for (size_t i = 0; i < parts.size(); ++i) c << (i ? ", " : "") << parts[i];
        c << "}";
      }
      c << "}\n";
    }
    c << "  ]\n}\n";
  }
  c << "cluster {\n  name: alcor\n  listen: "
    << quoted(o.address + ":" + std::to_string(route_ports[index])) << "\n  routes: [\n";
  for (size_t j = 0; j < route_ports.size(); ++j) {
    if (j != index) {
      c << "    " << quoted("nats-route://" + o.address + ":" + std::to_string(route_ports[j]))
        << "\n";
    }
  }
  c << "  ]\n}\n";
  return c.str();
}

StatusOr<std::unique_ptr<NatsCluster>> NatsCluster::start(const NatsClusterOptions& options) {
  if (options.nodes < 1) return invalidArgumentError("a NATS cluster needs at least one node");
  std::unique_ptr<NatsCluster> cluster(new NatsCluster(options));
  cluster->dir_ = std::make_unique<TempDir>("alcor-nats");
  cluster->nodes_.resize(static_cast<size_t>(options.nodes));
  std::vector<int> client_ports, route_ports;
  for (auto& n : cluster->nodes_) {
    n.client_port = freePort();
    n.route_port = freePort();
    n.monitor_port = freePort();
    if (!n.client_port || !n.route_port || !n.monitor_port) {
      return unavailableError("no free TCP port for nats-server");
    }
    client_ports.push_back(n.client_port);
    route_ports.push_back(n.route_port);
  }
  for (size_t i = 0; i < cluster->nodes_.size(); ++i) {
    Node& n = cluster->nodes_[i];
    n.config = cluster->dir_->path() + "/node" + std::to_string(i) + ".conf";
    n.log = cluster->dir_->path() + "/node" + std::to_string(i) + ".log";
    std::ofstream(n.config) << natsServerConfig(options, i, client_ports, route_ports);
    RETURN_IF_ERROR(cluster->startNode(i));
  }
  for (size_t i = 0; i < cluster->nodes_.size(); ++i) {
    if (!waitFor([&] { return cluster->routed(i); }, std::chrono::seconds(10))) {
      std::ifstream log(cluster->nodes_[i].log);
      std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      if (text.size() > 2000) text = text.substr(text.size() - 2000);
      return unavailableError("nats-server " + std::to_string(i) +
                              " did not join the cluster; its log:\n" + text);
    }
  }
  return cluster;
}

NatsCluster::~NatsCluster() {
  for (auto& n : nodes_) {
    if (n.daemon.pid() > 0) n.daemon.stop(std::chrono::milliseconds(2000));
  }
}

Status NatsCluster::startNode(size_t i) {
  Node& n = nodes_[i];
  RunOptions ro;
  ro.netns = options_.netns;
  ASSIGN_OR_RETURN(
      n.daemon, Daemon::start({"nats-server", "-c", n.config, "-m", std::to_string(n.monitor_port)},
                              n.log, ro));
  return okStatus();
}

bool NatsCluster::routed(size_t i) const {
  RunOptions ro;
  ro.netns = options_.netns;
  ro.timeout = std::chrono::milliseconds(2000);
  auto r =
      run({"curl", "-sf",
           "http://" + options_.address + ":" + std::to_string(nodes_[i].monitor_port) + "/routez"},
          ro);
  if (!r.ok()) return false;
  auto j = nlohmann::json::parse(r.out, nullptr, false);
  if (!j.is_object()) return false;
  std::set<std::string> peers;
  for (const auto& route : j.value("routes", nlohmann::json::array())) {
    peers.insert(route.value("remote_id", ""));
  }
  return peers.size() + 1 >= nodes_.size();
}

std::string NatsCluster::url(size_t i) const {
  return std::string(options_.tls_cert.empty() ? "nats://" : "tls://") + options_.address + ":" +
         std::to_string(nodes_[i].client_port);
}

std::vector<std::string> NatsCluster::urls() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < nodes_.size(); ++i) out.push_back(url(i));
  return out;
}

void NatsCluster::kill(size_t i) {
  if (nodes_[i].daemon.pid() > 0) nodes_[i].daemon.kill();
}

Status NatsCluster::restart(size_t i) {
  if (nodes_[i].daemon.pid() > 0) return okStatus();
  RETURN_IF_ERROR(startNode(i));
  if (!waitFor([&] { return routed(i); }, std::chrono::seconds(10))) {
    return unavailableError("nats-server " + std::to_string(i) + " did not rejoin the cluster");
  }
  return okStatus();
}

}  // namespace alcor::testing
