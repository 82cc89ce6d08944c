#pragma once

// What the CNI server needs from the host to plug a pod: a veth whose host end is an OVS port
// on the integration bridge, the pod end configured inside the pod's namespace. The real
// implementation uses lib/netlink and lib/ovsdb; tests use a fake.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/base/status.h"
#include "node-agent/state/network_state.h"

namespace alcor::agent {

// Keys of the OVS Interface external_ids the agent owns; they are the agent's durable record of
// every attachment (rebuilt after a restart).
namespace ext_ids {
inline constexpr const char* kOwner = "alcor-owner";  // value: "alcor-agent"
inline constexpr const char* kPortId = "alcor-port-id";
inline constexpr const char* kProject = "alcor-project";
inline constexpr const char* kContainerId = "alcor-container-id";
inline constexpr const char* kIfname = "alcor-ifname";
inline constexpr const char* kNetns = "alcor-netns";
inline constexpr const char* kPodNamespace = "alcor-pod-namespace";
inline constexpr const char* kPodName = "alcor-pod-name";
inline constexpr const char* kMac = "alcor-mac";
inline constexpr const char* kIp = "alcor-ip";
inline constexpr const char* kOwnerValue = "alcor-agent";
}  // namespace ext_ids

struct PlugRequest {
  std::string ovs_port;  // host-side veth name = OVS port name
  std::string netns;     // pod namespace path
  std::string ifname;    // pod interface name
  MacAddress mac;
  int mtu = 1450;
  std::map<std::string, std::string> external_ids;
};

struct PodAddressing {
  std::string netns;
  std::string ifname;
  Ipv4Prefix address;   // the pod IP with its subnet's prefix length
  Ipv4Address gateway;  // unspecified: no default route
  std::vector<HostRoute> routes;
  int mtu = 1450;
};

struct PlugResult {
  uint32_t ofport = 0;
  MacAddress host_mac;  // MAC of the host end of the veth
};

struct Attachment {
  std::string ovs_port;
  uint32_t ofport = 0;
  std::map<std::string, std::string> external_ids;
};

struct PodInterfaceInfo {
  bool exists = false;
  MacAddress mac;
  int mtu = 0;
  std::vector<Ipv4Prefix> addresses;
};

class InterfacePlumber {
 public:
  virtual ~InterfacePlumber() = default;
  // Creates the veth (pod end moved into netns and renamed, MAC, MTU, up, TX offload off) and
  // the OVS port. On failure nothing is left behind.
  virtual StatusOr<PlugResult> plug(const PlugRequest& request) = 0;
  // Addresses, routes and MTU inside the pod namespace, then a gratuitous ARP.
  virtual Status configure(const PodAddressing& addressing) = 0;
  // Removes the OVS port and the veth. Idempotent: missing pieces are fine.
  virtual Status unplug(const std::string& ovs_port, const std::string& netns,
                        const std::string& ifname) = 0;
  // Every OVS port the agent created (external_ids alcor-owner=alcor-agent).
  virtual StatusOr<std::vector<Attachment>> listAttachments() = 0;
  // Deletes host-side veths named like the agent's ports ("tap" + 11 characters) that are not
  // in `ovs_ports`: left by an ADD cut short between creating the veth and adding the OVS port.
  // Returns the names removed. Only call it while no ADD is in flight.
  virtual StatusOr<std::vector<std::string>> removeStrayVeths(
      const std::set<std::string>& ovs_ports) = 0;
  // The pod-side interface as it is now (for CHECK).
  virtual StatusOr<PodInterfaceInfo> inspect(const std::string& netns,
                                             const std::string& ifname) = 0;
};

// "tap" + the first 11 characters of the port id (Nova's convention, 14 characters).
std::string ovsPortNameFor(const std::string& port_id);

}  // namespace alcor::agent
