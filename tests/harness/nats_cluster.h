#pragma once

// A NATS cluster of Debian's `nats-server` for tests and benchmarks: N nodes on loopback (or
// on a given address), full mesh of routes, optional TLS on the client port and per-user
// permissions. Each node is a child process of the test, stopped by its PID; a node can be
// killed (failover tests) and started again on the same ports.

#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "tests/harness/process.h"

namespace alcor::testing {

struct NatsUser {
  std::string user;
  std::string password;
  // Subjects the user may publish to / subscribe to; empty: everything.
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
  bool allow_responses = false;  // may answer requests it received
};

struct NatsClusterOptions {
  int nodes = 3;
  std::string address = "127.0.0.1";  // where clients and routes listen
  std::string netns;                  // run the servers in this namespace (empty: current)
  std::vector<NatsUser> users;        // empty: no authentication
  // TLS on the client port (PEM files): clients must use tls:// and trust the CA.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
};

// nats-server's configuration for node `index` of a cluster whose client ports are
// `client_ports` and route ports `route_ports` (every other node is a route).
std::string natsServerConfig(const NatsClusterOptions& options, size_t index,
                             const std::vector<int>& client_ports,
                             const std::vector<int>& route_ports);

class NatsCluster {
 public:
  // Starts every node and waits until each accepts clients and sees all its routes.
  static StatusOr<std::unique_ptr<NatsCluster>> start(const NatsClusterOptions& options);
  ~NatsCluster();  // stops every node still running

  size_t size() const { return nodes_.size(); }
  // "nats://127.0.0.1:port" (tls:// with TLS) of node i; urls(): all of them.
  std::string url(size_t i) const;
  std::vector<std::string> urls() const;
  // SIGKILL (a crash); the node's clients fail over to the others.
  void kill(size_t i);
  // Starts a killed node again with the same configuration and waits until it is routed.
  Status restart(size_t i);
  bool running(size_t i) const { return nodes_[i].daemon.pid() > 0; }
  pid_t pid(size_t i) const { return nodes_[i].daemon.pid(); }
  const std::string& logPath(size_t i) const { return nodes_[i].log; }

 private:
  struct Node {
    int client_port = 0;
    int route_port = 0;
    int monitor_port = 0;
    std::string config;
    std::string log;
    Daemon daemon;
  };
  NatsCluster(NatsClusterOptions options) : options_(std::move(options)) {}
  Status startNode(size_t i);
  bool routed(size_t i) const;

  NatsClusterOptions options_;
  std::unique_ptr<TempDir> dir_;
  std::vector<Node> nodes_;
};

}  // namespace alcor::testing
