#pragma once

// The controller's resource logic behind the REST API: validation of references and conflicts,
// IP/MAC/VNI/DVR-MAC allocation, persistence, and DPM notification. One lock serializes
// mutations; a rejected request changes nothing (allocations are rolled back, the store write is
// one transaction). Errors: kInvalidArgument (400), kNotFound (404), kAlreadyExists /
// kFailedPrecondition / kResourceExhausted (409).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/ipam/ipam.h"
#include "controller/store/store.h"

namespace alcor::controller {

struct ServiceOptions {
  int agent_port = 50001;  // for nodes registered without server_port
};

// The groups NetworkPolicy gives a port (Port::policy_security_groups, policy_address_groups).
struct PolicyMembership {
  std::vector<std::string> filter;
  std::vector<std::string> address;
};

// One NetworkPolicy update (controller/netpol): groups created or replaced with their rules,
// ports' policy groups set, then groups deleted.
struct PolicyGroupsUpdate {
  std::vector<SecurityGroup> put;
  std::map<std::string, PolicyMembership> ports;  // by port id; unknown ports are skipped
  std::vector<std::string> remove;
};

// GET /project/{p}/ports filters (empty = any).
struct PortFilter {
  std::string device_id;
  std::string host_id;
  std::string network_id;
  std::string name;
  std::string status;
  std::string device_owner;
};

class NetworkService : public Topology {
 public:
  // Loads every resource from the store and rebuilds allocators and the DPM cache (no pushes).
  static StatusOr<std::unique_ptr<NetworkService>> create(Store& store, PushScheduler& scheduler,
                                                          ServiceOptions options = {});

  // Nodes. Registering (or re-registering) a node pushes it the full state of its ports.
  StatusOr<Node> createNode(Node node);
  StatusOr<Node> updateNode(const std::string& id, Node node);
  StatusOr<Node> getNode(const std::string& id) const;
  std::vector<Node> listNodes() const;
  Status deleteNode(const std::string& id);

  StatusOr<Vpc> createVpc(Vpc vpc);
  StatusOr<Vpc> updateVpc(const std::string& project, const std::string& id, Vpc vpc);
  StatusOr<Vpc> getVpc(const std::string& project, const std::string& id) const;
  std::vector<Vpc> listVpcs(const std::string& project) const;
  Status deleteVpc(const std::string& project, const std::string& id);

  StatusOr<Subnet> createSubnet(Subnet subnet);
  StatusOr<Subnet> updateSubnet(const std::string& project, const std::string& id, Subnet subnet);
  StatusOr<Subnet> getSubnet(const std::string& project, const std::string& id) const;
  std::vector<Subnet> listSubnets(const std::string& project) const;
  Status deleteSubnet(const std::string& project, const std::string& id);

  StatusOr<Port> createPort(Port port);
  // All or nothing.
  StatusOr<std::vector<Port>> createPorts(std::vector<Port> ports);
  StatusOr<Port> updatePort(const std::string& project, const std::string& id, Port port);
  StatusOr<Port> getPort(const std::string& project, const std::string& id) const;
  std::vector<Port> listPorts(const std::string& project, const PortFilter& filter) const;
  Status deletePort(const std::string& project, const std::string& id);

  StatusOr<SecurityGroup> createSecurityGroup(SecurityGroup group);
  StatusOr<SecurityGroup> updateSecurityGroup(const std::string& project, const std::string& id,
                                              SecurityGroup group);
  StatusOr<SecurityGroup> getSecurityGroup(const std::string& project, const std::string& id) const;
  std::vector<SecurityGroup> listSecurityGroups(const std::string& project) const;
  Status deleteSecurityGroup(const std::string& project, const std::string& id);
  StatusOr<SecurityGroupRule> createRule(SecurityGroupRule rule);
  StatusOr<SecurityGroupRule> getRule(const std::string& project, const std::string& id) const;
  std::vector<SecurityGroupRule> listRules(const std::string& project) const;
  Status deleteRule(const std::string& project, const std::string& id);

  StatusOr<Router> createRouter(Router router);
  StatusOr<Router> updateRouter(const std::string& project, const std::string& id, Router router);
  StatusOr<Router> getRouter(const std::string& project, const std::string& id) const;
  std::vector<Router> listRouters(const std::string& project) const;
  Status deleteRouter(const std::string& project, const std::string& id);
  StatusOr<RouterInterface> addRouterInterface(const std::string& project,
                                               const std::string& router_id,
                                               const std::string& subnet_id);
  StatusOr<RouterInterface> removeRouterInterface(const std::string& project,
                                                  const std::string& router_id,
                                                  const std::string& subnet_id);

  StatusOr<Gateway> createGateway(Gateway gateway);
  StatusOr<Gateway> updateGateway(const std::string& project, const std::string& id,
                                  Gateway gateway);
  StatusOr<Gateway> getGateway(const std::string& project, const std::string& id) const;
  std::vector<Gateway> listGateways(const std::string& project) const;
  Status deleteGateway(const std::string& project, const std::string& id);

  // NetworkPolicy (service/policy_membership.cc). All or nothing, one store transaction; groups
  // whose id starts with the managed prefix may change only through here (REST gets 409).
  Status applyPolicyGroups(const PolicyGroupsUpdate& update);
  std::vector<SecurityGroup> listSecurityGroupsWithPrefix(const std::string& id_prefix) const;
  std::vector<Port> listPortsOfOwner(const std::string& device_owner) const;
  // Set before the REST server starts. The source is consulted, with the service's lock held,
  // for every port created with device_owner `owner`: it must not call back into the service.
  using PolicyMembershipSource = std::function<std::optional<PolicyMembership>(
      const std::string& device_id, bool has_own_groups)>;
  void setPolicyHooks(std::string managed_group_prefix, std::string owner,
                      PolicyMembershipSource source, std::function<void()> ports_changed);

  // --bootstrap-*: creates the VPC and subnet when absent ("ID:CIDR"); idempotent.
  Status bootstrap(const std::string& project, const std::string& vpc_spec,
                   const std::string& subnet_spec);

  // DPM callbacks: the host confirmed programming these ports; the full state of a host.
  void markPortsActive(const std::string& host_ip, const std::vector<std::string>& port_ids);
  schema::GoalStateV2 fullState(const std::string& host_ip) const;
  std::optional<schema::GoalStateV2> onDemandState(const std::string& host_ip, uint32_t vni,
                                                   const std::string& destination_ip) const;
  // Agent address ("ip:port") of the node with that IP; empty when unknown.
  std::string agentAddress(const std::string& host_ip) const;
  // Name of the node whose agent is dialled at `address` ("ip:port"); empty when none.
  std::string nodeNameAtAddress(const std::string& address) const;
  // IP of the node named `name`; empty when none is registered.
  std::string nodeIpByName(const std::string& name) const;
  // Benchmarks/tests: called (outside the lock) for each port that became ACTIVE.
  void setPortActiveObserver(std::function<void(const std::string& port_id)> observer);

  struct Counts {
    size_t nodes, vpcs, subnets, ports, active_ports, security_groups, routers, gateways;
  };
  Counts counts() const;

  // Topology (DPM's view; callers hold the lock).
  const Vpc* findVpc(const std::string& id) const override;
  const Subnet* findSubnet(const std::string& id) const override;
  const Port* findPort(const std::string& id) const override;
  const SecurityGroup* findSecurityGroup(const std::string& id) const override;
  const Router* findRouter(const std::string& id) const override;
  const Gateway* findGateway(const std::string& id) const override;
  const Node* findNodeByIp(const std::string& local_ip) const override;
  std::vector<const Router*> routersOfSubnet(const std::string& subnet_id) const override;
  void forEachPort(const std::function<void(const Port&)>& fn) const override;
  void forEachSecurityGroup(const std::function<void(const SecurityGroup&)>& fn) const override;

 private:
  NetworkService(Store& store, PushScheduler& scheduler, ServiceOptions options);
  Status loadAll();

  // Allocations made while preparing a port, undone if the request fails.
  struct PortAllocations {
    std::vector<std::pair<SubnetIpam*, Ipv4Address>> ips;
    std::vector<MacAddress> macs;
  };
  Status preparePortLocked(Port& port, PortAllocations& alloc, const Port* existing);
  void rollback(PortAllocations& alloc);
  void releasePortLocked(const Port& port);
  std::optional<PortPlacement> placementLocked(const Port& port) const;
  std::vector<PortPlacement> placementsOfNodeLocked(const std::string& node_name) const;
  std::string addressOf(const Node& n) const;
  void nodeChangedLocked(const Node* before, const Node* after);
  std::set<std::string> routerSubnetsLocked(const Router& r) const;
  // A REST change to a group the NetworkPolicy component owns: 409.
  Status refuseManagedGroup(const std::string& group_id) const;
  void applyPolicyMembershipLocked(Port& port) const;
  // Calls the ports-changed hook once the service's lock is released (declare before the lock).
  struct PortsChangedNotice {
    const NetworkService& service;
    ~PortsChangedNotice() {
      if (service.ports_changed_) service.ports_changed_();
    }
  };

  // The resource when it exists and belongs to `project` (any project when empty).
  template <typename T>
  const T* scoped(const std::map<std::string, T>& m, const std::string& project,
                  const std::string& id) const {
    auto it = m.find(id);
    if (it == m.end() || (!project.empty() && it->second.project_id != project)) return nullptr;
    return &it->second;
  }
  // Get and list of a project's resources (callers hold the lock).
  template <typename T>
  StatusOr<T> getScoped(const std::map<std::string, T>& m, const std::string& project,
                        const std::string& id, const char* what) const {
    const T* v = scoped(m, project, id);
    if (!v) return notFoundError(std::string(what) + " " + id + " not found");
    return *v;
  }
  template <typename T>
  std::vector<T> listScoped(const std::map<std::string, T>& m, const std::string& project) const {
    std::vector<T> out;
    for (const auto& [id, v] : m) {
      if (v.project_id == project) out.push_back(v);
    }
    return out;
  }

  Store& store_;
  PushScheduler& scheduler_;
  ServiceOptions options_;
  Dpm dpm_;

  mutable std::mutex mu_;
  std::map<std::string, Node> nodes_;
  std::map<std::string, std::string> node_by_name_;  // name -> id
  std::map<std::string, std::string> node_by_ip_;    // local_ip -> id
  std::map<std::string, Vpc> vpcs_;
  std::map<std::string, Subnet> subnets_;
  std::map<std::string, std::unique_ptr<SubnetIpam>> ipam_;
  std::map<std::string, Port> ports_;
  std::map<std::string, SecurityGroup> groups_;
  std::map<std::string, std::string> rule_group_;  // rule id -> group id
  std::map<std::string, Router> routers_;
  std::map<std::string, Gateway> gateways_;
  MacAllocator port_macs_{MacAllocator::kPortPrefix};
  MacAllocator dvr_macs_{MacAllocator::kDvrPrefix};
  VniAllocator vnis_;
  std::function<void(const std::string&)> active_observer_;
  std::string managed_group_prefix_;  // empty: none
  std::string policy_port_owner_;
  PolicyMembershipSource policy_membership_;
  std::function<void()> ports_changed_;
};

}  // namespace alcor::controller
