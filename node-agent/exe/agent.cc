#include "node-agent/exe/agent.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <mutex>

#include "lib/base/backoff.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"
#include "lib/nats/nats_connection.h"
#include "lib/netfilter/nftables.h"
#include "lib/netlink/link_manager.h"
#include "lib/openflow/connection.h"
#include "lib/ovsdb/bridge_client.h"
#include "node-agent/cniserver/cni_service.h"
#include "node-agent/cniserver/pod_manager.h"
#include "node-agent/controller_client/controller_client.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/dhcp/dhcp_responder.h"
#include "node-agent/exe/status_server.h"
#include "node-agent/goalstate/goalstate_handler.h"
#include "node-agent/goalstate/goalstate_server.h"
#include "node-agent/goalstate/nats_subscriber.h"
#include "node-agent/host/host_gateways.h"
#include "node-agent/host/interface_plumber_impl.h"
#include "node-agent/host/node_setup.h"
#include "node-agent/kubernetes/kubernetes_client.h"
#include "node-agent/ondemand/ondemand_resolver.h"
#include "node-agent/pipeline/flow_builder.h"
#include "node-agent/security/agent_credentials.h"
#include "node-agent/security/socket_permissions.h"
#include "node-agent/zeta/oam_server.h"

namespace alcor::agent {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Agent::Parts {
  std::unique_ptr<ovsdb::BridgeClientImpl> bridges;
  NodeSetupOptions node_setup;
  netlink::LinkManagerImpl links;
  netfilter::NftablesImpl nftables;
  std::unique_ptr<NftablesNodeNat> node_nat;
  std::unique_ptr<HostGatewayManager> host_gateways;  // null without --host-gateway-vpc
  std::unique_ptr<StatusServer> status_server;
  std::atomic<bool> restored{false};           // the dataplane finished restoring after the start
  std::mutex underlay_mu;                      // releaseUnderlay and setUpNode after the start
  std::atomic<bool> underlay_released{false};  // the node IP is on the NIC until OVS is back
  std::unique_ptr<openflow::ConnectionImpl> openflow;
  std::unique_ptr<DataplaneImpl> dataplane;
  std::unique_ptr<DhcpResponder> dhcp;
  std::unique_ptr<zeta::DirectPathTable> direct_paths;
  std::unique_ptr<zeta::OamHandler> oam_handler;
  std::unique_ptr<zeta::OamServer> oam_server;  // stopped before the dataplane goes
  std::unique_ptr<OnDemandClient> ondemand_client;
  std::unique_ptr<OnDemandResolver> ondemand;  // null without --controller-grpc
  ControllerClientPtr controller;
  std::unique_ptr<AgentCredentials> credentials;  // null with --insecure
  std::unique_ptr<KubernetesClient> kube;
  std::unique_ptr<PendingReleases> pending;
  Readiness readiness;
  std::unique_ptr<InterfacePlumberImpl> plumber;
  std::unique_ptr<PodManager> pods;
  std::unique_ptr<GoalStateHandler> goalstates;
  // Destroyed after the servers below: the GoalState server's v2 messages go through it.
  std::unique_ptr<nats::MessageBus> nats;  // --nats-servers
  std::unique_ptr<NatsGoalStateSubscriber> nats_subscriber;
  std::unique_ptr<GoalStateService> goalstate_service;
  std::unique_ptr<CniService> cni_service;
  std::unique_ptr<grpc::Server> goalstate_server;
  std::unique_ptr<grpc::Server> cni_server;
  std::mutex mu;
  std::condition_variable stop_cv;
};

Agent::Agent(AgentConfig config) : config_(std::move(config)), parts_(std::make_unique<Parts>()) {}

Agent::~Agent() {
  stop();
  if (registration_.joinable()) registration_.join();
  if (maintenance_.joinable()) maintenance_.join();
}

namespace {

// OVS may start after the agent (same pod, separate container): retry until it answers.
template <class Fn>
auto retryUntil(const std::string& what, Clock::time_point deadline, Fn fn) -> decltype(fn()) {
  Backoff backoff(milliseconds(100), milliseconds(2000));
  while (true) {
    auto result = fn();
    if (result.ok() || Clock::now() > deadline) return result;
    ALOG(Info, Main) << what << " not available yet: " << result.status().message();
    std::this_thread::sleep_for(backoff.nextDelay());
  }
}

Status prepareSocketPath(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  std::filesystem::remove(path, ec);  // a stale socket of a previous run
  return okStatus();
}

// Written by --cleanup into the state directory it shares with the running agent: that agent
// stops setting host access up again (it would put back what the removal takes away) until it
// restarts.
std::string removalMarker(const AgentConfig& config) { return config.state_dir + "/removing"; }

void warnInsecure() {
  const char* line = "************************************************************************";
  ALOG(Warn, Main) << line;
  ALOG(Warn, Main) << "--insecure: GoalStates are accepted in PLAINTEXT from ANYONE who reaches "
                      "this node, and the controller is not authenticated";
  ALOG(Warn, Main) << "use this for local demos only (docs/security.md)";
  ALOG(Warn, Main) << line;
}

}  // namespace

Status Agent::start() {
  Parts& p = *parts_;
  const auto ovs_deadline = Clock::now() + std::chrono::seconds(60);
  std::error_code ec;
  std::filesystem::create_directories(config_.state_dir, ec);
  if (ec) return internalError("cannot create " + config_.state_dir + ": " + ec.message());
  // A removal that did not go through (the agent runs again): host access is wanted.
  if (std::filesystem::remove(removalMarker(config_), ec)) {
    ALOG(Info, Main) << "removed " << removalMarker(config_) << " of an earlier --cleanup";
  }

  // A restarted ovsdb-server is found within half a second: the node set-up after it waits on it.
  ovsdb::OvsdbClientOptions ovsdb_options;
  ovsdb_options.reconnect_initial = milliseconds(50);
  ovsdb_options.reconnect_max = milliseconds(500);
  ASSIGN_OR_RETURN(p.bridges, retryUntil("OVSDB " + config_.ovsdb, ovs_deadline, [&] {
                     return ovsdb::BridgeClientImpl::connect(config_.ovsdb, ovsdb_options);
                   }));
  // The underlay MTU is the interface's unless configured; a missing interface stops here.
  if (config_.underlay_mtu == 0 || !config_.underlay_interface.empty()) {
    ASSIGN_OR_RETURN(int mtu, underlayMtu(p.links, config_.underlay_interface, config_.node_ip));
    if (config_.underlay_mtu == 0) {
      config_.underlay_mtu = mtu;
      ALOG(Info, Main) << "underlay MTU " << mtu << " (from the interface), pod MTU "
                       << config_.podMtu();
    }
  }
  RETURN_IF_ERROR(checkMtus(config_));
  NodeSetupOptions& node = p.node_setup;
  node.integration_bridge = config_.integration_bridge;
  node.datapath_type = config_.datapath_type;
  node.tunnel_port = config_.tunnel_port;
  node.vxlan_udp_port = config_.vxlan_udp_port;
  node.underlay_bridge = config_.underlay_bridge;
  node.underlay_interface = config_.underlay_interface;
  node.node_ip = config_.node_ip;
  node.underlay_prefix_length = static_cast<int>(config_.underlay_prefix_length);
  node.underlay_mtu = static_cast<int>(config_.underlay_mtu);
  node.underlay_routes_file = config_.state_dir + "/underlay-routes";
  ASSIGN_OR_RETURN(NodeSetupResult setup, setUpNode(*p.bridges, p.links, node));

  const std::string of_target =
      "unix:" + config_.ovs_rundir + "/" + config_.integration_bridge + ".mgmt";
  // And a restarted ovs-vswitchd: its pods' traffic waits for our flows.
  openflow::ConnectionOptions of_options;
  of_options.reconnect_initial = ovsdb_options.reconnect_initial;
  of_options.reconnect_max = ovsdb_options.reconnect_max;
  ASSIGN_OR_RETURN(p.openflow, retryUntil("OpenFlow " + of_target, ovs_deadline, [&] {
                     return openflow::ConnectionImpl::connect(of_target, of_options);
                   }));

  DataplaneOptions dp;
  dp.pipeline.tunnel_ofport = setup.tunnel_ofport;
  dp.pipeline.node_ip = *Ipv4Address::parse(config_.node_ip);  // checked by the config
  dp.pipeline.service_cidrs = config_.service_cidrs;
  ASSIGN_OR_RETURN(dp.pipeline.control_ports, controlGuardPorts(config_));
  for (auto ns : splitString(config_.control_access_namespaces, ',')) {
    if (auto t = trimSpace(ns); !t.empty()) dp.pipeline.control_access_namespaces.emplace(t);
  }
  dp.segments_path = config_.state_dir + "/segments.json";
  p.dataplane = std::make_unique<DataplaneImpl>(*p.openflow, dp);
  RETURN_IF_ERROR(p.dataplane->start());
  // Our tables are installed: let a restarted ovs-vswitchd program its datapath again.
  if (Status s = p.bridges->setFlowRestoreWait(false); !s.ok()) {
    ALOG(Warn, Main) << "clearing flow-restore-wait: " << s.message();
  }

  p.dhcp = std::make_unique<DhcpResponder>(*p.dataplane, *p.openflow,
                                           DhcpOptions{86400, static_cast<int>(config_.podMtu())});
  // Zeta OAM: a UDP socket on the node IP per OAM port in use (docs/design/zeta.md).
  p.direct_paths = std::make_unique<zeta::DirectPathTable>(*p.openflow, setup.tunnel_ofport);
  p.oam_handler = std::make_unique<zeta::OamHandler>(*p.dataplane, *p.direct_paths);
  p.oam_server =
      std::make_unique<zeta::OamServer>(*p.oam_handler, zeta::OamServerOptions{config_.node_ip});
  RETURN_IF_ERROR(p.oam_server->start());
  connectController();
  if (!config_.controller_grpc.empty()) {
    p.ondemand_client =
        p.credentials
            ? makeGrpcOnDemandClient(config_.controller_grpc, milliseconds(5000),
                                     security::mutualTlsChannelCredentials(p.credentials->files()),
                                     config_.controller_name)
            : makeGrpcOnDemandClient(config_.controller_grpc, milliseconds(5000));
    p.ondemand = std::make_unique<OnDemandResolver>(*p.dataplane, *p.openflow, *p.ondemand_client);
  }
  p.openflow->setPacketInHandler([this](const openflow::PacketIn& in) {
    const uint8_t punt = in.userdata.empty() ? 0 : in.userdata[0];
    if (punt == pipeline::kPuntDhcp) parts_->dhcp->handlePacketIn(in);
    const bool miss = punt == pipeline::kPuntArpMiss || punt == pipeline::kPuntUnicastMiss;
    if (miss && parts_->ondemand) parts_->ondemand->handlePacketIn(in);
  });
  // ovs-vswitchd gone (restarted, its pod deleted): with the userspace datapath the node IP went
  // with br-phy; the NIC takes it until OVS is back, so that the node stays reachable.
  p.openflow->setDisconnectHandler([this] { releaseUnderlay("OpenFlow connection lost"); });
  p.openflow->setReconnectHandler([this] {
    ALOG(Info, Main) << "OpenFlow connection re-established: replaying flows";
    // A restarted ovs-vswitchd recreates br-phy's device without the node IP; it recreates the
    // host gateways' devices without their addresses too.
    (void)restoreUnderlay();
    if (Status s = parts_->dataplane->resync(); !s.ok()) {
      ALOG(Error, Main) << "replay failed (retried): " << s.message();
    } else {
      (void)parts_->bridges->setFlowRestoreWait(false);
    }
  });

  KubernetesClientOptions kube = chooseKubernetesOptions(
      config_.kube_api_server, config_.kube_token_file, config_.kube_ca_file);
  if (!kube.server.empty()) p.kube = makeKubernetesClient(kube);
  p.pending = std::make_unique<PendingReleases>(config_.state_dir + "/pending-releases.json");
  p.plumber = std::make_unique<InterfacePlumberImpl>(p.links, *p.bridges,
                                                     PlumberOptions{config_.integration_bridge});

  if (!config_.host_gateway_vpc.empty()) createHostGateways();

  PodManagerOptions pods;
  pods.node_name = config_.node_name;
  pods.default_project = config_.default_project;
  pods.default_vpc = config_.default_vpc;
  pods.default_subnet = config_.default_subnet;
  pods.pod_mtu = static_cast<int>(config_.podMtu());
  pods.ready_timeout = milliseconds(static_cast<int64_t>(config_.ready_timeout_s * 1000));
  pods.port_ready_timeout = milliseconds(static_cast<int64_t>(config_.port_ready_timeout_s * 1000));
  p.pods = std::make_unique<PodManager>(pods, *p.controller, *p.plumber, *p.dataplane, p.readiness,
                                        *p.pending, p.kube.get(), p.host_gateways.get());
  RETURN_IF_ERROR(p.pods->reconcile());

  GoalStateHandlerOptions gs;
  gs.node_ip = config_.node_ip;
  gs.port_wait = milliseconds(static_cast<int64_t>(config_.goalstate_port_wait_s * 1000));
  p.goalstates = std::make_unique<GoalStateHandler>(*p.dataplane, gs);
  // With TLS only the controller's certificate may push (docs/security.md).
  p.goalstate_service = std::make_unique<GoalStateService>(
      *p.goalstates, p.credentials ? config_.controller_name : "");
  // Before the server: its v2 messages go through the NATS subscriber then.
  if (!config_.nats_servers.empty()) RETURN_IF_ERROR(startNats());
  {
    grpc::ServerBuilder builder;
    int bound_port = 0;
    builder.AddListeningPort(config_.grpc_listen,
                             p.credentials
                                 ? security::mutualTlsServerCredentials(p.credentials->files())
                                 : grpc::InsecureServerCredentials(),
                             &bound_port);
    security::limitConnectionAge(builder);
    builder.RegisterService(p.goalstate_service.get());
    p.goalstate_server = builder.BuildAndStart();
    if (!p.goalstate_server || bound_port == 0) {
      return unavailableError("cannot listen for GoalStates on " + config_.grpc_listen);
    }
  }
  p.cni_service = std::make_unique<CniService>(*p.pods);
  {
    RETURN_IF_ERROR(prepareSocketPath(config_.cni_socket));
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + config_.cni_socket, grpc::InsecureServerCredentials());
    builder.RegisterService(p.cni_service.get());
    p.cni_server = builder.BuildAndStart();
    if (!p.cni_server) return unavailableError("cannot listen on " + config_.cni_socket);
    // Only root (the runtime) may plug pods: refuse to run with a socket others can reach.
    RETURN_IF_ERROR(restrictSocket(config_.cni_socket));
  }
  if (!config_.status_listen.empty()) {
    p.status_server = std::make_unique<StatusServer>([this] { return currentStatus(); });
    RETURN_IF_ERROR(p.status_server->start(config_.status_listen));
  }
  p.readiness.set(false, "registering the node with the controller");
  ALOG(Info, Main) << "serving CNI on " << config_.cni_socket << " and GoalStates on "
                   << config_.grpc_listen;
  registration_ = std::thread([this] { registrationLoop(); });
  maintenance_ = std::thread([this] { maintenanceLoop(); });
  return okStatus();
}

void Agent::registrationLoop() {
  Parts& p = *parts_;
  NodeRegistration node;
  node.node_id = config_.node_id;
  node.node_name = config_.node_name;
  node.local_ip = config_.node_ip;
  node.mac_address = config_.node_mac;
  node.server_port = static_cast<int>(config_.grpc_port);
  Backoff backoff(milliseconds(200), milliseconds(5000));
  while (!stopping_) {
    // TLS first: the controller pushes only to nodes whose certificate it can verify.
    if (Status st = p.credentials ? p.credentials->ensure(*p.controller) : okStatus(); !st.ok()) {
      p.readiness.set(false, "node certificate: " + st.message());
      ALOG(Warn, Main) << "node certificate not ready (retrying): " << st.message();
      std::unique_lock lock(p.mu);
      p.stop_cv.wait_for(lock, backoff.nextDelay(), [&] { return stopping_.load(); });
      continue;
    }
    auto registered = p.controller->registerNode(node);
    if (registered.ok()) {
      ALOG(Info, Main) << "registered node " << node.node_name << " (" << node.local_ip << ") with "
                       << config_.controller_url;
      // Ready first: ADDs that waited for readiness hold container locks, and the orphan pass
      // waits for every in-flight operation.
      p.readiness.set(true, "ready");
      p.pods->releaseOrphans();
      // The node reaches the cluster VPC's pods on every node before its own first pod.
      if (p.host_gateways) {
        if (Status s = p.host_gateways->start(); !s.ok()) {
          ALOG(Warn, Main) << "host access to the cluster VPC (retried): " << s.message();
        }
      }
      break;
    }
    p.readiness.set(false, "controller registration failed: " + registered.status().message());
    ALOG(Warn, Main) << "node registration failed (retrying): " << registered.status().message();
    std::unique_lock lock(p.mu);
    p.stop_cv.wait_for(lock, backoff.nextDelay(), [&] { return stopping_.load(); });
  }
  std::unique_lock lock(p.mu);
  p.stop_cv.wait_for(lock, milliseconds(static_cast<int64_t>(config_.restore_grace_s * 1000)),
                     [&] { return stopping_.load(); });
  if (!stopping_) {
    p.dataplane->finishRestore();
    p.restored = true;
  }
}

void Agent::maintenanceLoop() {
  Parts& p = *parts_;
  int tick = 0;
  std::unique_lock lock(p.mu);
  while (!stopping_) {
    p.stop_cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    checkUnderlay();
    const bool removing = p.host_gateways && removalUnderway();
    if (p.host_gateways && p.readiness.ready() && !removing) p.host_gateways->retry();
    if (p.dataplane->needsResync() && p.openflow->connected()) {
      if (Status s = p.dataplane->resync(); !s.ok()) {
        ALOG(Warn, Main) << "resync failed: " << s.message();
      }
    }
    if (++tick % 10 == 0 && p.readiness.ready()) {
      p.pods->releasePending();
      p.pods->releaseOrphans();
      // Not while restoring: pods are only known again once the controller re-pushed them.
      if (p.host_gateways && p.restored && !removing) p.host_gateways->releaseUnused();
    }
    lock.lock();
  }
}

Status Agent::startNats() {
  Parts& p = *parts_;
  ASSIGN_OR_RETURN(nats::NatsOptions o,
                   nats::natsOptionsFromFlags(config_.nats_servers, config_.nats_user,
                                              config_.nats_password_file, config_.nats_ca));
  o.name = "alcor-agent-" + config_.node_name;
  o.ordered_delivery = true;  // unicast and subnet messages in the controller's order
  ASSIGN_OR_RETURN(p.nats, nats::NatsConnection::connect(o));
  OnDemandClient* controller = p.ondemand_client.get();
  auto resync = [controller]() -> Status {
    if (!controller) return failedPreconditionError("no --controller-grpc to ask");
    schema::HostRequest request;
    request.set_format_version(2);
    request.add_state_requests()->set_request_type(schema::AGENT_RESTARTED);
    return controller->requestGoalStates(request).status();
  };
  p.nats_subscriber = std::make_unique<NatsGoalStateSubscriber>(
      *p.nats, config_.node_ip,
      [handler = p.goalstates.get()](const schema::GoalStateV2& gs) { return handler->handle(gs); },
      resync);
  // --southbound=auto: unicast comes over gRPC; its ports drive the subnet subscriptions too,
  // and its neighbors are ordered against the subnet messages' by revision.
  p.goalstate_service->setV2Apply(
      [subscriber = p.nats_subscriber.get()](schema::GoalStateV2 gs, const std::string& epoch) {
        return subscriber->applyUnicast(std::move(gs), epoch);
      });
  return p.nats_subscriber->start();
}

Status Agent::cleanup() {
  Parts& p = *parts_;
  {
    std::error_code ec;
    std::filesystem::create_directories(config_.state_dir, ec);
    std::ofstream marker(removalMarker(config_), std::ios::trunc);
    marker << "alcor-agent --cleanup\n";
    if (!marker.flush()) {
      return internalError("cannot write " + removalMarker(config_) +
                           " (the running agent would set host access up again)");
    }
  }
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  ASSIGN_OR_RETURN(p.bridges, retryUntil("OVSDB " + config_.ovsdb, deadline, [&] {
                     return ovsdb::BridgeClientImpl::connect(config_.ovsdb);
                   }));
  // The same client as at start-up (TLS, token): the controller refuses anything else.
  connectController();
  NftablesNodeNat nat(p.nftables, NodeNatOptions{});
  return removeHostAccess(*p.bridges, *p.controller, nat, config_.integration_bridge,
                          config_.default_project);
}

void Agent::connectController() {
  Parts& p = *parts_;
  RestClientOptions rest;
  rest.base_url = config_.controller_url;
  rest.token_file = config_.controller_token_file;
  if (config_.insecure) {
    warnInsecure();
  } else {
    p.credentials = std::make_unique<AgentCredentials>(config_);
    rest.ca_file = p.credentials->files().ca;
    rest.server_name = config_.controller_name;
  }
  p.controller = makeRestControllerClient(rest);
}

bool Agent::removalUnderway() {
  std::error_code ec;
  const bool removing = std::filesystem::exists(removalMarker(config_), ec);
  if (removing && !removal_logged_) {
    ALOG(Warn, Main) << "alcor-agent --cleanup ran (" << removalMarker(config_)
                     << "): host access is no longer set up again until the agent restarts";
  }
  removal_logged_ = removing;
  return removing;
}

void Agent::releaseUnderlay(const char* why) {
  if (parts_->node_setup.underlay_bridge.empty()) return;
  std::lock_guard lock(parts_->underlay_mu);
  releaseUnderlayLocked(why);
}

bool Agent::restoreUnderlay() {
  std::lock_guard lock(parts_->underlay_mu);
  return restoreUnderlayLocked();
}

void Agent::checkUnderlay() {
  Parts& p = *parts_;
  if (p.node_setup.underlay_bridge.empty()) return;
  bool restored = false;
  {
    std::lock_guard lock(p.underlay_mu);
    if (!p.openflow->connected()) return;  // the disconnect handler saw to it
    auto bridge = p.links.getLink("", p.node_setup.underlay_bridge);
    if (bridge.ok() && !*bridge) releaseUnderlayLocked("underlay bridge device gone");
    if (p.underlay_released) restored = restoreUnderlayLocked();
  }
  if (restored) (void)p.dataplane->resync();
}

void Agent::releaseUnderlayLocked(const char* why) {
  Parts& p = *parts_;
  p.underlay_released = true;  // setUpNode runs again once OVS is back, whatever happens here
  auto moved = agent::releaseUnderlay(p.links, p.node_setup);
  if (!moved.ok()) {
    ALOG(Error, Main) << why << ": cannot give the node IP back to "
                      << p.node_setup.underlay_interface << ": " << moved.status().message();
  } else if (*moved) {
    ALOG(Warn, Main) << why << ": node IP on " << p.node_setup.underlay_interface
                     << " until OVS is back";
  }
}

bool Agent::restoreUnderlayLocked() {
  Parts& p = *parts_;
  if (auto again = setUpNode(*p.bridges, p.links, p.node_setup); !again.ok()) {
    p.underlay_released = true;  // the maintenance loop tries again
    ALOG(Error, Main) << "node set-up after the reconnect (retried): " << again.status().message();
    return false;
  }
  p.underlay_released = false;
  if (p.host_gateways) p.host_gateways->reapplyAddresses();
  return true;
}

void Agent::createHostGateways() {
  Parts& p = *parts_;
  NodeNatOptions nat;
  nat.masquerade = config_.masquerade;
  nat.service_cidrs = config_.service_cidrs;
  p.node_nat = std::make_unique<NftablesNodeNat>(p.nftables, nat);
  HostGatewayOptions o;
  o.node_name = config_.node_name;
  o.bridge = config_.integration_bridge;
  o.cluster_vpc = config_.host_gateway_vpc;
  o.cluster_project = config_.default_project;
  o.port_name = config_.host_gateway_port;
  o.mtu = static_cast<int>(config_.podMtu());
  o.ready_timeout = milliseconds(static_cast<int64_t>(config_.port_ready_timeout_s * 1000));
  KubernetesClient* kube = p.kube.get();
  const std::string node = config_.node_name;
  p.host_gateways = std::make_unique<HostGatewayManager>(
      o, *p.controller, *p.bridges, p.links, *p.dataplane, p.node_nat.get(),
      [kube, node](const HostAccessInfo& refused) {
        if (!kube) return;
        if (Status s = kube->recordNodeWarning(node, "HostAccessRefused", refused.reason);
            !s.ok()) {
          ALOG(Warn, Main) << "recording the HostAccessRefused event: " << s.message();
        }
      });
}

AgentStatus Agent::currentStatus() const {
  const Parts& p = *parts_;
  AgentStatus s;
  s.node_name = config_.node_name;
  s.ready = p.readiness.ready();
  if (p.host_gateways) {
    s.host_access = p.host_gateways->status();
    s.host_access_refusals = p.host_gateways->refusals();
  }
  if (p.dataplane) s.dataplane = p.dataplane->stats();
  return s;
}

void Agent::run() {
  Parts& p = *parts_;
  {
    std::unique_lock lock(p.mu);
    p.stop_cv.wait(lock, [&] { return stopping_.load(); });
  }
  ALOG(Info, Main) << "shutting down (pods and flows stay in place)";
  auto deadline = std::chrono::system_clock::now() + std::chrono::seconds(5);
  if (p.cni_server) p.cni_server->Shutdown(deadline);
  if (p.goalstate_server) p.goalstate_server->Shutdown(deadline);
  if (p.nats_subscriber) p.nats_subscriber->stop();
  if (registration_.joinable()) registration_.join();
  if (maintenance_.joinable()) maintenance_.join();
  if (p.status_server) p.status_server->stop();
  if (p.credentials) p.credentials->stop();
}

void Agent::stop() {
  {
    std::lock_guard lock(parts_->mu);
    stopping_ = true;
  }
  parts_->stop_cv.notify_all();
}

}  // namespace alcor::agent
