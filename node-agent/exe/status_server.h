#pragma once

// The agent's status endpoint (--status-listen, loopback by default): GET /status is a JSON
// document of what the operator needs to see on this node (host access per VPC: active or
// refused, and why; data plane counters), GET /metrics the same as Prometheus text.

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/status.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/host/host_gateways.h"

namespace httplib {
class Server;
}

namespace alcor::agent {

struct AgentStatus {
  std::string node_name;
  bool ready = false;
  std::vector<HostAccessInfo> host_access;
  uint64_t host_access_refusals = 0;
  DataplaneStats dataplane;
};

std::string statusJson(const AgentStatus& status);
std::string statusMetrics(const AgentStatus& status);

class StatusServer {
 public:
  explicit StatusServer(std::function<AgentStatus()> source);
  ~StatusServer();
  // "host:port"; port 0 picks a free one (see port()).
  Status start(const std::string& listen);
  void stop();
  int port() const { return port_; }

 private:
  std::function<AgentStatus()> source_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace alcor::agent
