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
  // Internal port on br-int through which pods reach the node; empty: none.
  std::string host_gateway_port;
  int pod_mtu = 1450;
  std::chrono::milliseconds timeout{20000};
};

struct NodeSetupResult {
  uint32_t tunnel_ofport = 0;
  uint32_t host_gateway_ofport = 0;
  MacAddress host_gateway_mac;
};

// Routes the host-access VPC's subnets through the host gateway port (idempotent).
Status routeSubnetsToHostGateway(netlink::LinkManager& links, const std::string& port,
                                 const std::vector<Ipv4Prefix>& subnets);

StatusOr<NodeSetupResult> setUpNode(ovsdb::BridgeClient& bridges, netlink::LinkManager& links,
                                    const NodeSetupOptions& options);

}  // namespace alcor::agent
