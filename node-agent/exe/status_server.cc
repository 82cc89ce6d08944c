#include "node-agent/exe/status_server.h"

#include <httplib.h>

#include <sstream>

#include "lib/base/logging.h"
#include "lib/base/strings.h"
#include "nlohmann/json.hpp"

namespace alcor::agent {

std::string statusJson(const AgentStatus& s) {
  nlohmann::json access = nlohmann::json::array();
  for (const auto& h : s.host_access) {
    nlohmann::json cidrs = nlohmann::json::array();
    for (const auto& c : h.cidrs) cidrs.push_back(c.toString());
    nlohmann::json entry = {
        {"vpc", h.vpc_id}, {"state", h.active ? "active" : "refused"}, {"cidrs", cidrs}};
    if (h.active) {
      entry["interface"] = h.ovs_port;
      entry["address"] = h.address;
      entry["port"] = h.port_id;
    } else {
      entry["overlaps"] = h.overlaps;
      entry["reason"] = h.reason;
    }
    access.push_back(entry);
  }
  nlohmann::json doc = {{"node", s.node_name},
                        {"ready", s.ready},
                        {"hostAccess", access},
                        {"hostAccessRefusals", s.host_access_refusals},
                        {"dataplane",
                         {{"installedFlows", s.dataplane.installed_flows},
                          {"bundles", s.dataplane.bundles},
                          {"flowMods", s.dataplane.flow_mods},
                          {"failures", s.dataplane.failures}}}};
  return doc.dump(2) + "\n";
}

std::string statusMetrics(const AgentStatus& s) {
  std::ostringstream out;
  size_t active = 0;
  for (const auto& h : s.host_access) active += h.active ? 1 : 0;
  out << "# HELP alcor_agent_ready Whether the agent reports ready.\n"
      << "# TYPE alcor_agent_ready gauge\n"
      << "alcor_agent_ready " << (s.ready ? 1 : 0) << "\n"
      << "# HELP alcor_agent_host_access_vpcs VPCs by host access state on this node.\n"
      << "# TYPE alcor_agent_host_access_vpcs gauge\n"
      << "alcor_agent_host_access_vpcs{state=\"active\"} " << active << "\n"
      << "alcor_agent_host_access_vpcs{state=\"refused\"} " << s.host_access.size() - active << "\n"
      << "# HELP alcor_agent_host_access_refusals_total VPCs refused host access (overlap).\n"
      << "# TYPE alcor_agent_host_access_refusals_total counter\n"
      << "alcor_agent_host_access_refusals_total " << s.host_access_refusals << "\n"
      << "# HELP alcor_agent_installed_flows Flows the agent has installed on br-int.\n"
      << "# TYPE alcor_agent_installed_flows gauge\n"
      << "alcor_agent_installed_flows " << s.dataplane.installed_flows << "\n"
      << "# HELP alcor_agent_programming_failures_total Failed flow bundles.\n"
      << "# TYPE alcor_agent_programming_failures_total counter\n"
      << "alcor_agent_programming_failures_total " << s.dataplane.failures << "\n";
  return out.str();
}

StatusServer::StatusServer(std::function<AgentStatus()> source)
    : source_(std::move(source)), server_(std::make_unique<httplib::Server>()) {}

StatusServer::~StatusServer() { stop(); }

Status StatusServer::start(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) {
    return invalidArgumentError("--status-listen " + listen + " is not host:port");
  }
  const std::string host = listen.substr(0, colon);
  auto port = parseInt<int>(listen.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return invalidArgumentError("--status-listen " + listen + " has no valid port");
  }
  server_->Get("/status", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(statusJson(source_()), "application/json");
  });
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(statusMetrics(source_()), "text/plain; version=0.0.4");
  });
  port_ = *port == 0 ? server_->bind_to_any_port(host)
                     : (server_->bind_to_port(host, *port) ? *port : -1);
  if (port_ <= 0) return unavailableError("status endpoint: cannot listen on " + listen);
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  ALOG(Info, Main) << "status endpoint on " << host << ":" << port_;
  return okStatus();
}

void StatusServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace alcor::agent
