#pragma once

// Every resource in memory, the indexes that answer the DPM's questions without scans, the
// address allocators, and the one lock that serializes changes; persisted through Store (each
// resource as its JSON). The per-family services (node_service.h, port_service.h, ...) validate
// and allocate, then change resources only through put() and erase(), which keep the indexes
// right. Implements Topology, the DPM's read-only view. Allocations are facts of the resources
// (a port's IPs and MAC, a VPC's VNI), so loading reserves them again.

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/dpm/topology.h"
#include "controller/ipam/ipam.h"
#include "controller/store/store.h"

namespace alcor::controller {

// One kind of resource by id, read-only for the services (changes go through ResourceStore).
template <typename T>
class Table {
 public:
  const T* find(const ResourceId& id) const {
    auto it = items_.find(id);
    return it == items_.end() ? nullptr : &it->second;
  }
  // The resource when it exists and belongs to `project` (any project when empty).
  const T* find(const std::string& project, const ResourceId& id) const {
    const T* v = find(id);
    if constexpr (requires { v->project_id; }) {
      if (v && !project.empty() && v->project_id != project) return nullptr;
    }
    return v;
  }
  std::vector<T> list(const std::string& project) const {
    std::vector<T> out;
    for (const auto& [id, v] : items_) {
      if (v.project_id == project) out.push_back(v);
    }
    return out;
  }
  const std::map<ResourceId, T>& all() const { return items_; }
  size_t size() const { return items_.size(); }

 private:
  friend class ResourceStore;
  std::map<ResourceId, T> items_;
};

class ResourceStore : public Topology {
 public:
  ResourceStore(Store& store, int default_agent_port);

  // Every service call holds this while it reads or changes resources and calls the DPM.
  std::unique_lock<std::mutex> lock() const { return std::unique_lock(mu_); }

  // Start-up: reads every resource from the store, rebuilds indexes and allocators. Returns the
  // placed ports (for the DPM's cache).
  StatusOr<std::vector<PortPlacement>> load();

  // Writes the batch to the store, all or nothing (then put()/erase() the same resources).
  Status persist(const std::vector<Mutation>& batch) { return store_.apply(batch); }
  template <typename T>
  static Mutation putMutation(const T& value);
  template <typename T>
  static Mutation eraseMutation(const ResourceId& id);

  // In-memory changes (after persist succeeded); indexes follow.
  void put(Node n);
  void put(Vpc v);
  void put(Subnet s);
  void put(Port p);
  void put(SecurityGroup g);
  void put(Router r);
  void put(Gateway g);
  template <typename T>
  void erase(const ResourceId& id);

  const Table<Node>& nodes() const { return nodes_; }
  const Table<Vpc>& vpcs() const { return vpcs_; }
  const Table<Subnet>& subnets() const { return subnets_; }
  const Table<Port>& ports() const { return ports_; }
  const Table<SecurityGroup>& groups() const { return groups_; }
  const Table<Router>& routers() const { return routers_; }
  const Table<Gateway>& gateways() const { return gateways_; }

  const Node* nodeByName(const std::string& name) const;
  // The group holding the rule, or null.
  const SecurityGroup* groupOfRule(const ResourceId& rule_id) const;
  // Where the port is bound: its node's IP; nullopt when unbound or the node is unknown.
  std::optional<PortPlacement> placementOf(const Port& port) const;
  std::vector<PortPlacement> placementsOnNode(const std::string& node_name) const;
  // "ip:port" the node's agent is dialled at.
  std::string agentAddressOf(const Node& node) const;

  // Allocators (callers hold the lock).
  SubnetIpam* ipam(const ResourceId& subnet_id);
  MacAllocator& portMacs() { return port_macs_; }  // ports and subnet gateways
  MacAllocator& dvrMacs() { return dvr_macs_; }
  VniAllocator& vnis() { return vnis_; }

  // Topology.
  const Vpc* findVpc(const ResourceId& id) const override { return vpcs_.find(id); }
  const Vpc* findVpcByVni(uint32_t vni) const override;
  const Subnet* findSubnet(const ResourceId& id) const override { return subnets_.find(id); }
  const Port* findPort(const ResourceId& id) const override { return ports_.find(id); }
  const SecurityGroup* findSecurityGroup(const ResourceId& id) const override {
    return groups_.find(id);
  }
  const Router* findRouter(const ResourceId& id) const override { return routers_.find(id); }
  const Gateway* findGateway(const ResourceId& id) const override { return gateways_.find(id); }
  const Node* findNodeByIp(const std::string& local_ip) const override;
  std::vector<const Router*> routersOfSubnet(const ResourceId& subnet_id) const override;
  const Port* findPortByAddress(const ResourceId& vpc_id, Ipv4Address address) const override;
  std::vector<const Port*> portsInGroup(const ResourceId& group_id) const override;
  std::vector<const Port*> memberPortsOf(const ResourceId& group_id) const override;
  std::vector<ResourceId> groupsNaming(const ResourceId& remote_group_id) const override;
  void forEachPort(const std::function<void(const Port&)>& fn) const override;

 private:
  void unindex(const Node& n);
  void unindex(const Port& p);
  void unindex(const SecurityGroup& g);
  void unindex(const Router& r);

  Store& store_;
  const int default_agent_port_;
  mutable std::mutex mu_;

  Table<Node> nodes_;
  Table<Vpc> vpcs_;
  Table<Subnet> subnets_;
  Table<Port> ports_;
  Table<SecurityGroup> groups_;
  Table<Router> routers_;
  Table<Gateway> gateways_;

  std::map<std::string, ResourceId> node_by_name_;
  std::map<std::string, ResourceId> node_by_ip_;
  std::map<uint32_t, ResourceId> vpc_by_vni_;
  std::map<std::pair<ResourceId, Ipv4Address>, ResourceId> port_by_address_;  // (VPC, IP)
  std::map<ResourceId, std::set<ResourceId>> group_ports_;          // filtered by the group
  std::map<ResourceId, std::set<ResourceId>> group_address_ports_;  // policy address members
  std::map<ResourceId, std::set<ResourceId>> groups_naming_;        // remote group -> groups
  std::map<ResourceId, ResourceId> rule_group_;
  std::map<ResourceId, std::set<ResourceId>> subnet_routers_;

  std::map<ResourceId, std::unique_ptr<SubnetIpam>> ipam_;
  MacAllocator port_macs_{MacAllocator::kPortPrefix};
  MacAllocator dvr_macs_{MacAllocator::kDvrPrefix};
  VniAllocator vnis_;
};

template <>
void ResourceStore::erase<Node>(const ResourceId& id);
template <>
void ResourceStore::erase<Vpc>(const ResourceId& id);
template <>
void ResourceStore::erase<Subnet>(const ResourceId& id);
template <>
void ResourceStore::erase<Port>(const ResourceId& id);
template <>
void ResourceStore::erase<SecurityGroup>(const ResourceId& id);
template <>
void ResourceStore::erase<Router>(const ResourceId& id);
template <>
void ResourceStore::erase<Gateway>(const ResourceId& id);

}  // namespace alcor::controller
