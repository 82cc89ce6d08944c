#pragma once

// Wires the controller together: store -> ControllerServices (+DPM) -> PushScheduler (the
// GoalStateSink) -> pusher, REST server and the on-demand gRPC server, secured by
// ControllerSecurity. Used by main.cc and
// by in-process tests/benchmarks.

#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "controller/auth/controller_security.h"
#include "controller/dpm/push_scheduler.h"
#include "controller/grpc/ondemand_service.h"
#include "controller/mq/nats_sink.h"
#include "controller/netpol/policy_controller.h"
#include "controller/netpol/policy_writer.h"
#include "controller/rest/rest_server.h"
#include "controller/service/controller_services.h"
#include "controller/store/store.h"
#include "lib/base/flags.h"
#include "lib/nats/nats_connection.h"

namespace alcor::controller {

struct ControllerConfig {
  std::string listen = "127.0.0.1:9009";       // REST
  std::string grpc_listen = "127.0.0.1:9090";  // RequestGoalStates; empty = off
  std::string db = "/var/lib/alcor/controller.db";
  int64_t agent_port = 50001;
  int64_t goalstate_version = 2;
  int64_t push_workers = 4;
  int64_t push_timeout_ms = 30000;
  int64_t max_neighbors_per_message = 1000;
  // Southbound path (docs/controller.md, "Southbound over NATS"): grpc, mq or auto.
  std::string southbound = "grpc";
  std::string nats_servers;  // comma-separated nats:// or tls:// URLs
  std::string nats_user;
  std::string nats_password_file;  // the password, in a file
  std::string nats_ca;             // CA of the NATS servers' certificates (set: TLS)
  int64_t mq_multicast_min = 2;
  int64_t mq_auto_up = 1000;          // auto: a VPC above this many ports goes to NATS
  int64_t mq_auto_down = 100;         // ... and back to gRPC below this many
  ControllerSecurityConfig security;  // TLS, certificates, REST tokens (docs/security.md)
  std::string bootstrap_project = "default";
  std::string bootstrap_vpc;     // ID:CIDR
  std::string bootstrap_subnet;  // ID:CIDR
  bool network_policy = false;   // enforce Kubernetes NetworkPolicy (docs/design/network-policy.md)
  std::string network_policy_project = "default";
  std::string log_level = "info";
};

void addControllerFlags(FlagSet& flags, ControllerConfig* config);

class ControllerApp {
 public:
  // `pusher` null: the gRPC pusher configured by `config`.
  static StatusOr<std::unique_ptr<ControllerApp>> start(const ControllerConfig& config,
                                                        GoalStatePusherPtr pusher = nullptr);
  ~ControllerApp();
  void stop();

  int restPort() const { return rest_ ? rest_->port() : 0; }
  int grpcPort() const { return grpc_port_; }
  ControllerServices& services() { return *services_; }
  PushScheduler& scheduler() { return *scheduler_; }
  // The GoalStateSink the services write to: the scheduler, or the NATS sink in front of it.
  GoalStateSink& sink();
  NatsGoalStateSink* natsSink() { return nats_sink_.get(); }
  // Null without --network-policy.
  netpol::PolicyController* networkPolicy() { return policy_.get(); }

 private:
  ControllerApp() = default;
  Status startNats(const ControllerConfig& config);

  std::unique_ptr<ControllerSecurity> security_;
  StorePtr store_;
  GoalStatePusherPtr pusher_;
  std::unique_ptr<PushScheduler> scheduler_;
  std::unique_ptr<nats::NatsConnection> bus_;  // --southbound=mq or auto
  std::unique_ptr<NatsGoalStateSink> nats_sink_;
  std::string epoch_;  // the NATS messages' Alcor-Epoch
  std::unique_ptr<ControllerServices> services_;
  std::unique_ptr<netpol::SecurityPolicyWriter> policy_writer_;
  std::unique_ptr<netpol::PolicyController> policy_;
  std::unique_ptr<RestServer> rest_;
  std::unique_ptr<OnDemandService> ondemand_;
  std::unique_ptr<grpc::Server> grpc_server_;
  int grpc_port_ = 0;
};

// "10.0.0.1:9009" -> ("10.0.0.1", 9009).
StatusOr<std::pair<std::string, int>> splitHostPort(const std::string& text);

}  // namespace alcor::controller
