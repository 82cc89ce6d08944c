#pragma once

// The REST API (cpp-httplib): Alcor's paths and JSON (docs/controller.md), plus /healthz and
// /metrics. Handlers only translate HTTP <-> service calls; nothing here waits on agents.
// HTTPS and bearer-token authentication per RestSecurity (docs/security.md).

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "controller/dpm/push_scheduler.h"
#include "controller/metrics/metrics.h"
#include "controller/rest/rest_auth.h"
#include "controller/service/controller_services.h"
#include "lib/base/status.h"
#include "lib/security/ssl_reload.h"

namespace httplib {
class Server;
}

namespace alcor::controller {

class RestServer {
 public:
  RestServer(ControllerServices& services, PushScheduler& scheduler, RestSecurity security = {});
  ~RestServer();
  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;

  // Binds (port 0 = ephemeral) and serves on a background thread.
  Status start(const std::string& host, int port);
  void stop();
  int port() const { return port_; }
  // More Prometheus text for GET /metrics (e.g. NetworkPolicy's); set before start().
  void setExtraMetrics(std::function<std::string()> extra) { extra_metrics_ = std::move(extra); }

 private:
  ControllerServices& services_;
  PushScheduler& scheduler_;
  RestMetrics metrics_;
  RestSecurity security_;
  std::unique_ptr<security::ReloadingCertificate> certificate_;  // HTTPS only
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
  std::function<std::string()> extra_metrics_;
};

}  // namespace alcor::controller
