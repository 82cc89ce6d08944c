#include "controller/controller_app.h"

#include "controller/grpc/grpc_pusher.h"
#include "controller/store/sqlite_store.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"

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
  std::unique_ptr<ControllerApp> app(new ControllerApp());
  ASSIGN_OR_RETURN(app->security_, ControllerSecurity::start(c.security));
  ASSIGN_OR_RETURN(app->store_, SqliteStore::open(c.db));
  if (pusher) {
    app->pusher_ = std::move(pusher);
  } else {
    GrpcPusherOptions o;
    o.timeout = std::chrono::milliseconds(c.push_timeout_ms);
    o.credentials = app->security_->channelCredentials();
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
  ASSIGN_OR_RETURN(app->services_, ControllerServices::create(*app->store_, *app->scheduler_, svc));
  ControllerServices* services = app->services_.get();
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
  if (app->policy_) {
    app->rest_->setExtraMetrics([policy = app->policy_.get()] { return policy->metrics(); });
  }
  RETURN_IF_ERROR(app->rest_->start(rest_addr.first, rest_addr.second));

  if (!c.grpc_listen.empty()) {
    app->ondemand_ = std::make_unique<OnDemandService>(*services, *app->scheduler_,
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

ControllerApp::~ControllerApp() { stop(); }

void ControllerApp::stop() {
  if (rest_) rest_->stop();
  if (policy_) policy_->stop();
  if (grpc_server_)
    grpc_server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  if (pusher_) pusher_->cancelAll();
  if (scheduler_) scheduler_->stop();
  if (security_) security_->stop();
}

}  // namespace alcor::controller
