#include "node-agent/exe/agent.h"

#include <grpcpp/grpcpp.h>
#include <sys/stat.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "lib/base/backoff.h"
#include "lib/base/logging.h"
#include "lib/netlink/link_manager.h"
#include "lib/openflow/connection.h"
#include "lib/ovsdb/bridge_client.h"
#include "node-agent/cniserver/cni_service.h"
#include "node-agent/cniserver/pod_manager.h"
#include "node-agent/controller_client/controller_client.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/dhcp/dhcp_responder.h"
#include "node-agent/goalstate/goalstate_handler.h"
#include "node-agent/goalstate/goalstate_server.h"
#include "node-agent/host/interface_plumber_impl.h"
#include "node-agent/host/node_setup.h"
#include "node-agent/kubernetes/kubernetes_client.h"
#include "node-agent/ondemand/ondemand_resolver.h"
#include "node-agent/pipeline/flow_builder.h"
#include "node-agent/zeta/oam_server.h"

namespace alcor::agent {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Agent::Parts {
  std::unique_ptr<ovsdb::BridgeClientImpl> bridges;
  NodeSetupOptions node_setup;
  std::vector<Ipv4Prefix> routed_subnets;  // already routed to the host gateway
  netlink::LinkManagerImpl links;
  std::unique_ptr<openflow::ConnectionImpl> openflow;
  std::unique_ptr<DataplaneImpl> dataplane;
  std::unique_ptr<DhcpResponder> dhcp;
  std::unique_ptr<zeta::DirectPathTable> direct_paths;
  std::unique_ptr<zeta::OamHandler> oam_handler;
  std::unique_ptr<zeta::OamServer> oam_server;  // stopped before the dataplane goes
  std::unique_ptr<OnDemandClient> ondemand_client;
  std::unique_ptr<OnDemandResolver> ondemand;  // null without --controller-grpc
  ControllerClientPtr controller;
  std::unique_ptr<KubernetesClient> kube;
  std::unique_ptr<PendingReleases> pending;
  Readiness readiness;
  std::unique_ptr<InterfacePlumberImpl> plumber;
  std::unique_ptr<PodManager> pods;
  std::unique_ptr<GoalStateHandler> goalstates;
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

}  // namespace

Status Agent::start() {
  Parts& p = *parts_;
  const auto ovs_deadline = Clock::now() + std::chrono::seconds(60);
  std::error_code ec;
  std::filesystem::create_directories(config_.state_dir, ec);
  if (ec) return internalError("cannot create " + config_.state_dir + ": " + ec.message());

  ASSIGN_OR_RETURN(p.bridges, retryUntil("OVSDB " + config_.ovsdb, ovs_deadline, [&] {
                     return ovsdb::BridgeClientImpl::connect(config_.ovsdb);
                   }));
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
  node.pod_mtu = static_cast<int>(config_.podMtu());
  if (!config_.host_gateway_vpc.empty()) node.host_gateway_port = config_.host_gateway_port;
  ASSIGN_OR_RETURN(NodeSetupResult setup, setUpNode(*p.bridges, p.links, node));

  const std::string of_target =
      "unix:" + config_.ovs_rundir + "/" + config_.integration_bridge + ".mgmt";
  ASSIGN_OR_RETURN(p.openflow, retryUntil("OpenFlow " + of_target, ovs_deadline, [&] {
                     return openflow::ConnectionImpl::connect(of_target);
                   }));

  DataplaneOptions dp;
  dp.pipeline.tunnel_ofport = setup.tunnel_ofport;
  dp.pipeline.host_gateway_ofport = setup.host_gateway_ofport;
  dp.pipeline.host_gateway_mac = setup.host_gateway_mac;
  dp.pipeline.host_gateway_vpc = config_.host_gateway_vpc;
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
  if (!config_.controller_grpc.empty()) {
    p.ondemand_client = makeGrpcOnDemandClient(config_.controller_grpc, milliseconds(5000));
    p.ondemand = std::make_unique<OnDemandResolver>(*p.dataplane, *p.openflow, *p.ondemand_client);
  }
  p.openflow->setPacketInHandler([this](const openflow::PacketIn& in) {
    const uint8_t punt = in.userdata.empty() ? 0 : in.userdata[0];
    if (punt == pipeline::kPuntDhcp) parts_->dhcp->handlePacketIn(in);
    const bool miss = punt == pipeline::kPuntArpMiss || punt == pipeline::kPuntUnicastMiss;
    if (miss && parts_->ondemand) parts_->ondemand->handlePacketIn(in);
  });
  p.openflow->setReconnectHandler([this] {
    ALOG(Info, Main) << "OpenFlow connection re-established: replaying flows";
    // A restarted ovs-vswitchd recreates br-phy's device without the node IP.
    if (auto again = setUpNode(*parts_->bridges, parts_->links, parts_->node_setup); !again.ok()) {
      ALOG(Error, Main) << "node set-up after the reconnect: " << again.status().message();
    }
    if (Status s = parts_->dataplane->resync(); !s.ok()) {
      ALOG(Error, Main) << "replay failed (retried): " << s.message();
    } else {
      (void)parts_->bridges->setFlowRestoreWait(false);
    }
  });

  p.controller = makeRestControllerClient(config_.controller_url);
  KubernetesClientOptions kube = chooseKubernetesOptions(
      config_.kubernetes_api, config_.kubernetes_token_file, config_.kubernetes_ca_file);
  if (!kube.server.empty()) p.kube = makeKubernetesClient(kube);
  p.pending = std::make_unique<PendingReleases>(config_.state_dir + "/pending-releases.json");
  p.plumber = std::make_unique<InterfacePlumberImpl>(p.links, *p.bridges,
                                                     PlumberOptions{config_.integration_bridge});

  PodManagerOptions pods;
  pods.node_name = config_.node_name;
  pods.default_project = config_.default_project;
  pods.default_vpc = config_.default_vpc;
  pods.default_subnet = config_.default_subnet;
  pods.pod_mtu = static_cast<int>(config_.podMtu());
  pods.ready_timeout = milliseconds(static_cast<int64_t>(config_.ready_timeout_s * 1000));
  pods.port_ready_timeout = milliseconds(static_cast<int64_t>(config_.port_ready_timeout_s * 1000));
  p.pods = std::make_unique<PodManager>(pods, *p.controller, *p.plumber, *p.dataplane, p.readiness,
                                        *p.pending, p.kube.get());
  RETURN_IF_ERROR(p.pods->reconcile());

  GoalStateHandlerOptions gs;
  gs.node_ip = config_.node_ip;
  gs.port_wait = milliseconds(static_cast<int64_t>(config_.goalstate_port_wait_s * 1000));
  p.goalstates = std::make_unique<GoalStateHandler>(*p.dataplane, gs);
  p.goalstate_service = std::make_unique<GoalStateService>(*p.goalstates);
  {
    grpc::ServerBuilder builder;
    int bound_port = 0;
    builder.AddListeningPort(config_.grpc_listen, grpc::InsecureServerCredentials(), &bound_port);
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
    chmod(config_.cni_socket.c_str(), 0600);  // only root (kubelet) may plug pods
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
    auto registered = p.controller->registerNode(node);
    if (registered.ok()) {
      ALOG(Info, Main) << "registered node " << node.node_name << " (" << node.local_ip << ") with "
                       << config_.controller_url;
      // Ready first: ADDs that waited for readiness hold container locks, and the orphan pass
      // waits for every in-flight operation.
      p.readiness.set(true, "ready");
      p.pods->releaseOrphans();
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
  if (!stopping_) p.dataplane->finishRestore();
}

void Agent::maintenanceLoop() {
  Parts& p = *parts_;
  int tick = 0;
  std::unique_lock lock(p.mu);
  while (!stopping_) {
    p.stop_cv.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
    if (stopping_) break;
    lock.unlock();
    routeHostGatewaySubnets();
    if (p.dataplane->needsResync() && p.openflow->connected()) {
      if (Status s = p.dataplane->resync(); !s.ok()) {
        ALOG(Warn, Main) << "resync failed: " << s.message();
      }
    }
    if (++tick % 10 == 0 && p.readiness.ready()) {
      p.pods->releasePending();
      p.pods->releaseOrphans();
    }
    lock.lock();
  }
}

// The node reaches the host-access VPC's subnets through the host gateway port.
void Agent::routeHostGatewaySubnets() {
  if (config_.host_gateway_vpc.empty()) return;
  Parts& p = *parts_;
  std::vector<Ipv4Prefix> subnets;
  p.dataplane->read([&](const NetworkState& s) {
    for (const auto& [id, subnet] : s.subnets) {
      if (subnet.vpc_id == config_.host_gateway_vpc) subnets.push_back(subnet.cidr);
    }
  });
  if (subnets == p.routed_subnets) return;
  if (Status s = routeSubnetsToHostGateway(p.links, config_.host_gateway_port, subnets); !s.ok()) {
    ALOG(Warn, Main) << "routes to the host gateway: " << s.message();
    return;
  }
  p.routed_subnets = subnets;
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
  if (registration_.joinable()) registration_.join();
  if (maintenance_.joinable()) maintenance_.join();
}

void Agent::stop() {
  {
    std::lock_guard lock(parts_->mu);
    stopping_ = true;
  }
  parts_->stop_cv.notify_all();
}

}  // namespace alcor::agent
