#pragma once

// Host access (docs/design/ovs-pipeline.md, "Host gateways"): for every host-reachable VPC the
// node owns a real port of the VPC, created through the controller's REST API (device_owner
// network:alcor-host-gateway, bound to this node), and an OVS internal port on br-int with that
// port's MAC, carrying its address. The controller treats it like any port, so the node is a
// member of the VPC on every host (L2 neighbor) and reaches remote pods through the tunnel; the
// node's routing table sends the VPC's CIDR to the internal port.
//
// The cluster VPC (--host-gateway-vpc) is set up at start-up; another VPC gets its gateway when
// its first pod is added, unless its CIDR overlaps a VPC that already has host access (refused:
// one log line, a counter, the status endpoint and a Kubernetes Event), and loses it with its
// last local pod. Everything a pod needs exists before ensure() returns. The gateway ports are
// found again after a restart through their OVSDB external_ids and controller device_id.

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lib/netlink/link_manager.h"
#include "lib/ovsdb/bridge_client.h"
#include "node-agent/cniserver/host_access.h"
#include "node-agent/controller_client/controller_client.h"
#include "node-agent/dataplane/dataplane.h"
#include "node-agent/host/node_nat.h"

namespace alcor::agent {

inline constexpr const char* kHostGatewayOwner = "network:alcor-host-gateway";
// Interface external_ids of a gateway's internal port.
inline constexpr const char* kHostGatewayVpcKey = "alcor-host-gateway-vpc";
inline constexpr const char* kHostGatewayPortKey = "alcor-host-gateway-port-id";
inline constexpr const char* kHostGatewayProjectKey = "alcor-host-gateway-project";

struct HostGatewayOptions {
  std::string node_name;
  std::string bridge = "br-int";
  std::string cluster_vpc;  // set up by start(); never released
  std::string cluster_project = "default";
  // The cluster VPC's gateway port; other VPCs take the same name with the next free number
  // ("alcor-gw0" -> "alcor-gw1", ...).
  std::string port_name = "alcor-gw0";
  int mtu = 1450;
  std::chrono::milliseconds ready_timeout{30000};  // the gateway port's GoalState and flows
  std::string proc_sys = "/proc/sys";
};

struct HostAccessInfo {
  std::string vpc_id;
  bool active = false;  // false: refused
  std::string project;
  std::string port_id;
  std::string ovs_port;
  std::string address;  // "10.0.1.3/24"
  std::vector<Ipv4Prefix> cidrs;
  std::string overlaps;  // refused: the VPC with host access whose CIDR it overlaps
  std::string reason;    // refused: why, in one sentence
};

class HostGatewayManager : public HostAccess {
 public:
  // Called once per refusal, outside the manager's locks (the agent posts a Kubernetes Event).
  using RefusalListener = std::function<void(const HostAccessInfo&)>;

  HostGatewayManager(HostGatewayOptions options, ControllerClient& controller,
                     ovsdb::BridgeClient& bridges, netlink::LinkManager& links,
                     Dataplane& dataplane, NodeNat* nat, RefusalListener on_refused = nullptr);

  Status ensure(const std::string& project, const std::string& vpc_id,
                const std::string& subnet_id) override;

  // Start-up (needs the controller): adopts the gateways OVS still has, then sets up the cluster
  // VPC's. Failures are left to retry().
  Status start();
  // Maintenance: sets up what start() could not, re-applies the NAT table after a failure.
  void retry();
  // After ovs-vswitchd recreated the internal ports: their addresses and routes again.
  void reapplyAddresses();
  // Removes the gateways of VPCs (other than the cluster's) that no local pod uses any more.
  void releaseUnused();
  std::vector<HostAccessInfo> status() const;
  uint64_t refusals() const;

 private:
  struct Gateway {
    HostAccessInfo info;
    uint32_t ofport = 0;
    MacAddress mac;
    Ipv4Prefix address;
    std::vector<netlink::RouteSpec> routes;
  };

  std::optional<Status> activeOrRefused(const std::string& vpc_id);
  Status setUp(const std::string& project, const std::string& vpc_id, const std::string& subnet_id);
  StatusOr<PortRecord> findOrCreatePort(const std::string& project, const std::string& vpc_id,
                                        const std::string& subnet_id);
  StatusOr<std::string> portNameFor(const std::string& vpc_id);
  StatusOr<uint32_t> plug(const std::string& name, const std::string& project,
                          const std::string& vpc_id, const PortRecord& port);
  // The VPC's address ranges from the GoalStates (its CIDR, else its subnets'); empty: unknown.
  std::vector<Ipv4Prefix> cidrsOf(const std::string& vpc_id) const;
  // The active VPC whose CIDRs overlap `cidrs`, if any.
  std::optional<std::string> overlapping(const std::string& vpc_id,
                                         const std::vector<Ipv4Prefix>& cidrs) const;
  Status refuse(const std::string& vpc_id, const std::string& other,
                const std::vector<Ipv4Prefix>& cidrs);
  Status configureHost(Gateway& g);
  void teardown(const std::string& project, const std::string& vpc_id, const std::string& port_id,
                const std::string& ovs_port);
  void applyNat();
  void enableForwarding();

  const HostGatewayOptions options_;
  ControllerClient& controller_;
  ovsdb::BridgeClient& bridges_;
  netlink::LinkManager& links_;
  Dataplane& dataplane_;
  NodeNat* nat_;
  RefusalListener on_refused_;

  std::mutex setup_mu_;  // one set-up or release at a time; taken before mu_
  mutable std::mutex mu_;
  std::map<std::string, Gateway> active_;
  std::map<std::string, HostAccessInfo> refused_;
  uint64_t refusals_ = 0;
  bool nat_dirty_ = false;
  bool forwarding_on_ = false;
};

// Uninstall (alcor-agent --cleanup): removes every host gateway found on `bridge` (the OVS port
// and its controller port) and the node's NAT table. Idempotent.
Status removeHostAccess(ovsdb::BridgeClient& bridges, ControllerClient& controller, NodeNat& nat,
                        const std::string& bridge, const std::string& default_project);

}  // namespace alcor::agent
