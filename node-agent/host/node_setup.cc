#include "node-agent/host/node_setup.h"

#include <thread>

#include "lib/base/logging.h"

namespace alcor::agent {
namespace {

using Clock = std::chrono::steady_clock;

StatusOr<int64_t> addPortAndWait(ovsdb::BridgeClient& bridges, const std::string& bridge,
                                 const ovsdb::PortSpec& port, Clock::time_point deadline) {
  RETURN_IF_ERROR(bridges.addPorts(bridge, {port}));
  ASSIGN_OR_RETURN(auto ofports, bridges.waitForOfports({port.name}, deadline));
  int64_t ofport = ofports.count(port.name) ? ofports.at(port.name) : 0;
  if (ofport <= 0) return internalError("OVS could not attach " + port.name + " to " + bridge);
  return ofport;
}

// The userspace datapath routes tunnel packets itself and only finds the node IP on an OVS
// bridge (env.md §3), so the IP moves from the NIC to the bridge's internal interface.
Status setUpUnderlay(ovsdb::BridgeClient& bridges, netlink::LinkManager& links,
                     const NodeSetupOptions& o, Clock::time_point deadline) {
  ovsdb::BridgeSpec spec;
  spec.name = o.underlay_bridge;
  spec.datapath_type = o.datapath_type;
  spec.fail_mode = "standalone";  // plain learning switch between the NIC and the host
  RETURN_IF_ERROR(bridges.ensureBridge(spec));
  ovsdb::PortSpec nic;
  nic.name = o.underlay_interface;
  ASSIGN_OR_RETURN(int64_t ofport, addPortAndWait(bridges, o.underlay_bridge, nic, deadline));
  (void)ofport;

  ASSIGN_OR_RETURN(auto node_ip, netlink::IpAddress::parse(o.node_ip));
  netlink::IpPrefix address(node_ip, o.underlay_prefix_length);
  // vswitchd creates the bridge's tap device asynchronously.
  while (true) {
    ASSIGN_OR_RETURN(auto link, links.getLink("", o.underlay_bridge));
    if (link) break;
    if (Clock::now() > deadline) {
      return deadlineExceededError("interface " + o.underlay_bridge + " did not appear");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  RETURN_IF_ERROR(links.removeAddress("", o.underlay_interface, address));
  netlink::LinkConfig config;
  config.ifname = o.underlay_bridge;
  config.mtu = o.underlay_mtu;
  config.addresses = {address};
  RETURN_IF_ERROR(links.configureLink("", config));
  // The NIC now only carries frames for br-phy. Left alone it would go on answering ARP for the
  // node IP with its own MAC, and peers' tunnels would send there, which br-phy does not take.
  netlink::LinkConfig nic_config;
  nic_config.ifname = o.underlay_interface;
  nic_config.arp_for_own_addresses_only = true;
  RETURN_IF_ERROR(links.configureLink("", nic_config));
  // Peers may have learned the NIC's MAC before the move: tell them the bridge's.
  if (Status s = links.announceAddress("", o.underlay_bridge, node_ip); !s.ok()) {
    ALOG(Warn, Main) << "underlay: gratuitous ARP for " << o.node_ip << " from "
                     << o.underlay_bridge
                     << " failed (peers learn it on their next ARP): " << s.message();
  }
  ALOG(Info, Main) << "underlay: " << o.node_ip << "/" << o.underlay_prefix_length << " on "
                   << o.underlay_bridge << " (NIC " << o.underlay_interface << ")";
  return okStatus();
}

}  // namespace

StatusOr<int> underlayMtu(netlink::LinkManager& links, const std::string& interface,
                          const std::string& node_ip) {
  if (!interface.empty()) {
    ASSIGN_OR_RETURN(auto link, links.getLink("", interface));
    if (!link) {
      return notFoundError("underlay interface " + interface +
                           " does not exist on this node (check --underlay-interface)");
    }
    return link->mtu;
  }
  ASSIGN_OR_RETURN(auto ip, netlink::IpAddress::parse(node_ip));
  ASSIGN_OR_RETURN(auto all, links.listLinks(""));
  for (const auto& link : all) {
    for (const auto& a : link.addresses) {
      if (a.address() == ip) return link.mtu;
    }
  }
  return notFoundError("no interface of this node holds the node IP " + node_ip +
                       " (check --node-ip, or give --underlay-mtu)");
}

StatusOr<NodeSetupResult> setUpNode(ovsdb::BridgeClient& bridges, netlink::LinkManager& links,
                                    const NodeSetupOptions& o) {
  const auto deadline = Clock::now() + o.timeout;
  if (!o.underlay_bridge.empty()) {
    if (o.underlay_interface.empty() || o.node_ip.empty()) {
      return invalidArgumentError("an underlay bridge needs the underlay interface and node IP");
    }
    RETURN_IF_ERROR(setUpUnderlay(bridges, links, o, deadline));
  }

  ovsdb::BridgeSpec integration;
  integration.name = o.integration_bridge;
  integration.datapath_type = o.datapath_type;
  integration.fail_mode = "secure";
  integration.protocols = {"OpenFlow13", "OpenFlow15"};
  integration.other_config = {{"disable-in-band", "true"}};
  RETURN_IF_ERROR(bridges.ensureBridge(integration));

  ovsdb::PortSpec tunnel;
  tunnel.name = o.tunnel_port;
  tunnel.type = "vxlan";
  tunnel.options = {{"remote_ip", "flow"}, {"key", "flow"}};
  if (o.vxlan_udp_port != 4789) tunnel.options["dst_port"] = std::to_string(o.vxlan_udp_port);
  ASSIGN_OR_RETURN(int64_t tunnel_ofport,
                   addPortAndWait(bridges, o.integration_bridge, tunnel, deadline));
  ALOG(Info, Main) << o.integration_bridge << " ready (datapath " << o.datapath_type
                   << "), tunnel port " << o.tunnel_port << " = ofport " << tunnel_ofport;
  NodeSetupResult result;
  result.tunnel_ofport = static_cast<uint32_t>(tunnel_ofport);
  return result;
}

}  // namespace alcor::agent
