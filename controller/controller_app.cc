#include "controller/controller_app.h"

#include "controller/grpc/grpc_pusher.h"
#include "controller/mq/nats_pusher.h"
#include "controller/store/sqlite_store.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"
#include "lib/base/uuid.h"
#include "lib/nats/nats_connection.h"

namespace alcor::controller {

void addControllerFlags(FlagSet& f, ControllerConfig* c) {
  f.addString("listen", &c->listen, "REST API address ADDR:PORT (port 0: any free port)");
  f.addString("grpc-listen", &c->grpc_listen,
              "on-demand RequestGoalStates gRPC address ADDR:PORT (empty: off)");
  f.addString("db", &c->db, "SQLite database file (\":memory:\" for a throw-away one)");
  f.addInt("agent-port", &c->agent_port,
           "agents' GoalState gRPC port, for nodes registered without server_port");
  f.addInt("goalstate-version", &c->goalstate_version,
           "2: GoalStateV2 over PushGoalStatesStream; 1: GoalState over PushNetworkResourceStates");
  f.addInt("push-workers", &c->push_workers, "threads pushing GoalStates to hosts");
  f.addInt("push-timeout-ms", &c->push_timeout_ms, "deadline of one push to an agent");
  f.addInt("max-neighbors-per-message", &c->max_neighbors_per_message,
           "split neighbor sets into GoalState messages of at most this many");
  f.addString("southbound", &c->southbound,
              "path of GoalStates to agents: grpc, mq (NATS: per-host request/reply and "
              "per-subnet multicast), or auto (per VPC: unicast on gRPC, its subnets multicast "
              "on NATS while it is large, see --mq-auto-up/--mq-auto-down)");
  f.addString("nats-servers", &c->nats_servers,
              "NATS servers, comma-separated nats:// or tls:// URLs");
  f.addString("nats-user", &c->nats_user, "the controller's NATS user");
  f.addString("nats-password-file", &c->nats_password_file, "file holding the NATS password");
  f.addString("nats-ca", &c->nats_ca,
              "CA bundle of the NATS servers' certificates (set: TLS is required)");
  f.addInt("mq-multicast-min", &c->mq_multicast_min,
           "a neighbor state goes to a subnet subject when at least this many hosts take it there");
  f.addInt("mq-auto-up", &c->mq_auto_up,
           "--southbound=auto: a VPC with more placed ports than this goes to NATS multicast");
  f.addInt("mq-auto-down", &c->mq_auto_down,
           "--southbound=auto: a VPC on NATS with fewer placed ports than this goes back to gRPC");
  addControllerSecurityFlags(f, &c->security);
  f.addString("bootstrap-project", &c->bootstrap_project, "project of the bootstrap VPC/subnet");
  f.addString("bootstrap-vpc", &c->bootstrap_vpc, "create this VPC at start if absent: ID:CIDR");
  f.addString("bootstrap-subnet", &c->bootstrap_subnet,
              "create this subnet of the bootstrap VPC at start if absent: ID:CIDR");
  f.addBool("network-policy", &c->network_policy,
            "enforce Kubernetes NetworkPolicy: watch policies, pods and namespaces on the "
            "Kubernetes API (--kube-api-server, else in-cluster) and translate them into "
            "security groups");
  f.addString("network-policy-project", &c->network_policy_project,
              "project of the security groups NetworkPolicies become");
  f.addString("log-level", &c->log_level, "log level, e.g. info or debug,dpm=trace");
  f.enableConfigFile();
}

StatusOr<std::pair<std::string, int>> splitHostPort(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) return invalidArgumentError("\"" + text + "\" is not ADDR:PORT");
  auto port = parseInt<int>(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535) {
    return invalidArgumentError("\"" + text + "\" has no valid port");
  }
  return std::pair{text.substr(0, colon), *port};
}

StatusOr<std::unique_ptr<ControllerApp>> ControllerApp::start(const ControllerConfig& c,
                                                              GoalStatePusherPtr pusher) {
  if (c.goalstate_version != 1 && c.goalstate_version != 2) {
    return invalidArgumentError("--goalstate-version must be 1 or 2");
  }
  if (c.agent_port <= 0 || c.agent_port > 65535) {
    return invalidArgumentError("--agent-port must be a TCP port");
  }
  const bool auto_path = c.southbound == "auto";
  const AutoThresholds thresholds{static_cast<uint64_t>(std::max<int64_t>(0, c.mq_auto_up)),
                                  static_cast<uint64_t>(std::max<int64_t>(0, c.mq_auto_down))};
  if (c.southbound != "grpc" && c.southbound != "mq" && !auto_path) {
    return invalidArgumentError("--southbound must be grpc, mq or auto");
  }
  if (auto_path) RETURN_IF_ERROR(validateThresholds(thresholds));
  std::unique_ptr<ControllerApp> app(new ControllerApp());
  ASSIGN_OR_RETURN(app->security_, ControllerSecurity::start(c.security));
  ASSIGN_OR_RETURN(app->store_, SqliteStore::open(c.db));
  if (c.southbound != "grpc") RETURN_IF_ERROR(app->startNats(c));
  if (app->pusher_) {
    // --southbound=mq: the NATS pusher.
  } else if (pusher) {
    app->pusher_ = std::move(pusher);
  } else {
    GrpcPusherOptions o;
    o.timeout = std::chrono::milliseconds(c.push_timeout_ms);
    o.credentials = app->security_->channelCredentials();
    o.epoch = app->epoch_;  // auto: agents compare it with the NATS messages'
    if (app->security_->tls()) {
      // Which node an agent address belongs to; the service exists before the first push.
      o.peer_name = [app = app.get()](const std::string& address) {
        return app->services_ ? app->services_->nodes().nodeNameAtAddress(address) : std::string();
      };
    }
    app->pusher_ = std::make_unique<GrpcGoalStatePusher>(o);
  }
  PushSchedulerOptions so;
  so.workers = static_cast<int>(c.push_workers);
  so.goalstate_version = static_cast<int>(c.goalstate_version);
  so.max_neighbors_per_message = static_cast<size_t>(c.max_neighbors_per_message);
  app->scheduler_ = std::make_unique<PushScheduler>(*app->pusher_, so);
  ServiceOptions svc;
  svc.agent_port = static_cast<int>(c.agent_port);
  if (app->bus_) {
    NatsSinkOptions no;
    no.epoch = app->epoch_;
    no.multicast_min = static_cast<size_t>(std::max<int64_t>(1, c.mq_multicast_min));
    no.max_neighbors_per_message = so.max_neighbors_per_message;
    if (auto_path) no.auto_path = thresholds;
    app->nats_sink_ = std::make_unique<NatsGoalStateSink>(*app->bus_, *app->scheduler_, no);
  }
  ASSIGN_OR_RETURN(app->services_, ControllerServices::create(*app->store_, app->sink(), svc));
  ControllerServices* services = app->services_.get();
  if (app->nats_sink_) {
    app->nats_sink_->setMembershipCheck(
        [services](const std::string& host, const std::string& subnet) {
          return services->hostInSubnetLocked(host, subnet);
        });
    RETURN_IF_ERROR(app->nats_sink_->start());
  }
  app->scheduler_->setAckCallback(
      [services](const std::string& host, const std::vector<std::string>& ports) {
        services->ports().markActive(host, ports);
      });
  app->scheduler_->setFullStateProvider(
      [services](const std::string& host) { return services->fullState(host); });
  RETURN_IF_ERROR(services->bootstrap(c.bootstrap_project, c.bootstrap_vpc, c.bootstrap_subnet));
  app->scheduler_->start();

  if (c.network_policy) {
    kubernetes::ApiOptions api = kubernetes::inClusterApiOptions();
    if (!c.security.kube_api_server.empty()) {
      api = {c.security.kube_api_server, c.security.kube_token_file, c.security.kube_ca_file};
    }
    if (api.server.empty()) {
      return invalidArgumentError("--network-policy needs --kube-api-server outside a cluster");
    }
    app->policy_writer_ = netpol::servicesWriter(*services);
    netpol::PolicyControllerOptions po;
    po.project = c.network_policy_project;
    ASSIGN_OR_RETURN(app->policy_, netpol::PolicyController::start(api, *app->policy_writer_, po));
  }

  ASSIGN_OR_RETURN(auto rest_addr, splitHostPort(c.listen));
  app->rest_ =
      std::make_unique<RestServer>(*services, *app->scheduler_, app->security_->restSecurity());
  app->rest_->setExtraMetrics([sink = app->nats_sink_.get(), policy = app->policy_.get()] {
    std::string text;
    if (sink) text += renderMulticastMetrics(sink->stats());
    if (policy) text += policy->metrics();
    return text;
  });
  RETURN_IF_ERROR(app->rest_->start(rest_addr.first, rest_addr.second));

  if (!c.grpc_listen.empty()) {
    app->ondemand_ = std::make_unique<OnDemandService>(*services, app->sink(),
                                                       std::chrono::milliseconds(c.push_timeout_ms),
                                                       app->security_->name());
    grpc::ServerBuilder builder;
    builder.AddListeningPort(c.grpc_listen, app->security_->serverCredentials(), &app->grpc_port_);
    security::limitConnectionAge(builder);
    builder.SetMaxReceiveMessageSize(-1);
    builder.RegisterService(app->ondemand_.get());
    app->grpc_server_ = builder.BuildAndStart();
    if (!app->grpc_server_ || app->grpc_port_ == 0) {
      return unavailableError("gRPC: cannot listen on " + c.grpc_listen);
    }
    ALOG(Info, Grpc) << "RequestGoalStates on " << c.grpc_listen << " (port " << app->grpc_port_
                     << ")";
  }
  return app;
}

Status ControllerApp::startNats(const ControllerConfig& c) {
  if (c.goalstate_version != 2)
    return invalidArgumentError("--southbound=" + c.southbound + " needs --goalstate-version=2");
  ASSIGN_OR_RETURN(
      nats::NatsOptions o,
      nats::natsOptionsFromFlags(c.nats_servers, c.nats_user, c.nats_password_file, c.nats_ca));
  o.name = "alcor-controller";
  ASSIGN_OR_RETURN(bus_, nats::NatsConnection::connect(o));
  epoch_ = newUuid().substr(0, 8);
  if (c.southbound == "auto") {
    // Unicast stays on the gRPC pusher; the sink multicasts the large VPCs.
    ALOG(Info, Main) << "southbound: auto (gRPC; VPCs above " << c.mq_auto_up
                     << " ports multicast over NATS " << c.nats_servers << " until below "
                     << c.mq_auto_down << "), epoch " << epoch_;
    return okStatus();
  }
  pusher_ = std::make_unique<NatsGoalStatePusher>(*bus_, epoch_,
                                                  std::chrono::milliseconds(c.push_timeout_ms));
  ALOG(Info, Main) << "southbound: NATS (" << c.nats_servers << "), epoch " << epoch_;
  return okStatus();
}

GoalStateSink& ControllerApp::sink() {
  if (nats_sink_) return *nats_sink_;
  return *scheduler_;
}

ControllerApp::~ControllerApp() { stop(); }

void ControllerApp::stop() {
  if (rest_) rest_->stop();
  if (policy_) policy_->stop();
  if (grpc_server_)
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  if (pusher_) pusher_->cancelAll();
  if (nats_sink_) nats_sink_->stop();
  if (bus_) bus_->close();  // pushes waiting for an agent's reply fail now
  if (scheduler_) scheduler_->stop();
  if (security_) security_->stop();
}

}  // namespace alcor::controller
