#pragma once

// Brings the node's OVS to the shape the pipeline expects (docs/design/ovs-pipeline.md):
// br-int (secure, OpenFlow 1.3/1.5) with one flow-based VXLAN port and, for the userspace
// datapath, br-phy owning the underlay NIC and the node IP. Idempotent: run at every start.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/netlink/link_manager.h"
#include "lib/ovsdb/bridge_client.h"

namespace alcor::agent {

struct NodeSetupOptions {
  std::string integration_bridge = "br-int";
  std::string datapath_type = "system";
  std::string tunnel_port = "vxlan0";
  int64_t vxlan_udp_port = 4789;
  // Userspace datapath: the bridge that takes over the underlay NIC and the node IP.
  std::string underlay_bridge;
  std::string underlay_interface;
  std::string node_ip;
  int underlay_prefix_length = 24;
  int underlay_mtu = 1500;
  // The NIC's routes (the default route, typically) move to the bridge with the node IP; this
  // file keeps them, since a restarted ovs-vswitchd recreates the bridge without them and the
  // NIC no longer has them. Empty: not kept (they survive only while the bridge does).
  std::string underlay_routes_file;
  std::chrono::milliseconds timeout{20000};
};

struct NodeSetupResult {
  uint32_t tunnel_ofport = 0;
};

// The MTU of the underlay, read from the interface that carries the tunnel: `interface` when
// given (the NIC the userspace datapath takes over), else the one that holds `node_ip`. A
// missing interface, or no interface with the node IP, is an error that names what to fix.
StatusOr<int> underlayMtu(netlink::LinkManager& links, const std::string& interface,
                          const std::string& node_ip);

StatusOr<NodeSetupResult> setUpNode(ovsdb::BridgeClient& bridges, netlink::LinkManager& links,
                                    const NodeSetupOptions& options);

// The userspace datapath while OVS is away (the agent lost its OpenFlow connection): the
// underlay bridge's device went with ovs-vswitchd, or stays without a process behind it, and the
// node IP with it; the node would be cut off, its kubelet unable to reach the API server to start
// OVS again. So the node IP and the routes kept in the routes file (and any still on the bridge)
// go back to the NIC, which is announced. setUpNode moves them to the bridge again once OVS is
// back. Returns whether anything moved: nothing does without an underlay bridge or when the NIC
// holds the node IP already (and the bridge does not).
StatusOr<bool> releaseUnderlay(netlink::LinkManager& links, const NodeSetupOptions& options);

}  // namespace alcor::agent
