#include "node-agent/host/node_setup.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
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

// Routes file: one route a line, "DESTINATION GATEWAY|- SOURCE|-".
std::vector<netlink::RouteSpec> readRoutes(const std::string& path) {
  std::vector<netlink::RouteSpec> routes;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string destination, gateway, source;
    if (!(fields >> destination >> gateway >> source)) continue;
    auto d = netlink::IpPrefix::parse(destination);
    if (!d.ok()) continue;
    netlink::RouteSpec r;
    r.destination = *d;
    if (gateway != "-") {
      auto g = netlink::IpAddress::parse(gateway);
      if (!g.ok()) continue;
      r.gateway = *g;
    }
    if (source != "-") {
      auto s = netlink::IpAddress::parse(source);
      if (!s.ok()) continue;
      r.source = *s;
    }
    routes.push_back(r);
  }
  return routes;
}

Status writeRoutes(const std::string& path, const std::vector<netlink::RouteSpec>& routes) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    for (const auto& r : routes) {
      out << r.destination.toString() << " " << (r.gateway ? r.gateway->toString() : "-") << " "
          << (r.source ? r.source->toString() : "-") << "\n";
    }
    if (!out.flush()) return internalError("cannot write " + tmp);
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) return internalError("cannot rename " + tmp + ": " + ec.message());
  return okStatus();
}

// The routes that go to the bridge: those kept from earlier runs, the NIC's (until the address
// leaves it) and the bridge's own, each destination once. Kept in the file when it is set.
StatusOr<std::vector<netlink::RouteSpec>> underlayRoutes(netlink::LinkManager& links,
                                                         const NodeSetupOptions& o) {
  std::vector<netlink::RouteSpec> routes;
  if (!o.underlay_routes_file.empty()) routes = readRoutes(o.underlay_routes_file);
  const size_t kept = routes.size();
  for (const std::string& name : {o.underlay_interface, o.underlay_bridge}) {
    ASSIGN_OR_RETURN(auto link, links.getLink("", name));
    if (!link) continue;
    for (const auto& r : link->routes) {
      auto same = std::find_if(routes.begin(), routes.end(), [&](const netlink::RouteSpec& x) {
        return x.destination == r.destination;
      });
      if (same == routes.end()) routes.push_back(r);
    }
  }
  if (!o.underlay_routes_file.empty() && routes.size() != kept) {
    RETURN_IF_ERROR(writeRoutes(o.underlay_routes_file, routes));
  }
  return routes;
}

// The userspace datapath routes tunnel packets itself and only finds the node IP on an OVS
// bridge (env.md §3), so the IP moves from the NIC to the bridge's internal interface.
Status setUpUnderlay(ovsdb::BridgeClient& bridges, netlink::LinkManager& links,
                     const NodeSetupOptions& o, Clock::time_point deadline) {
  ovsdb::BridgeSpec spec;
  spec.name = o.underlay_bridge;
  spec.datapath_type = o.datapath_type;
  spec.fail_mode = "standalone";  // plain learning switch between the NIC and the host
  // The bridge takes the NIC's MAC: the node IP moves between them (onto the NIC while OVS is
  // away), and peers' tunnel neighbor caches, which a gratuitous ARP does not always refresh,
  // then stay right wherever it is.
  ASSIGN_OR_RETURN(auto nic_link, links.getLink("", o.underlay_interface));
  if (!nic_link) return notFoundError("underlay interface " + o.underlay_interface + " is gone");
  spec.other_config["hwaddr"] = nic_link->mac.toString();
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
  ASSIGN_OR_RETURN(auto routes, underlayRoutes(links, o));
  RETURN_IF_ERROR(links.removeAddress("", o.underlay_interface, address));
  netlink::LinkConfig config;
  config.ifname = o.underlay_bridge;
  config.mtu = o.underlay_mtu;
  config.addresses = {address};
  config.routes = std::move(routes);
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
                   << o.underlay_bridge << " (NIC " << o.underlay_interface << "), "
                   << config.routes.size() << " routes moved with it";
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

StatusOr<bool> releaseUnderlay(netlink::LinkManager& links, const NodeSetupOptions& o) {
  if (o.underlay_bridge.empty()) return false;
  ASSIGN_OR_RETURN(auto node_ip, netlink::IpAddress::parse(o.node_ip));
  const netlink::IpPrefix address(node_ip, o.underlay_prefix_length);
  auto holds = [&](const std::optional<netlink::LinkInfo>& link) {
    return link && std::find(link->addresses.begin(), link->addresses.end(), address) !=
                       link->addresses.end();
  };
  ASSIGN_OR_RETURN(auto nic, links.getLink("", o.underlay_interface));
  if (!nic) return notFoundError("underlay interface " + o.underlay_interface + " is gone");
  ASSIGN_OR_RETURN(auto bridge, links.getLink("", o.underlay_bridge));
  if (holds(nic) && !holds(bridge)) return false;

  std::vector<netlink::RouteSpec> routes;
  if (!o.underlay_routes_file.empty()) routes = readRoutes(o.underlay_routes_file);
  if (bridge) {
    for (const auto& r : bridge->routes) {
      if (std::find(routes.begin(), routes.end(), r) == routes.end()) routes.push_back(r);
    }
  }
  // Two devices with the node's subnet would split its routes between them.
  if (holds(bridge)) RETURN_IF_ERROR(links.removeAddress("", o.underlay_bridge, address));
  netlink::LinkConfig config;
  config.ifname = o.underlay_interface;
  config.addresses = {address};
  config.routes = std::move(routes);
  RETURN_IF_ERROR(links.configureLink("", config));
  // Peers learned br-phy's MAC for the node IP: tell them the NIC's.
  if (Status s = links.announceAddress("", o.underlay_interface, node_ip); !s.ok()) {
    ALOG(Warn, Main) << "underlay: gratuitous ARP for " << o.node_ip << " from "
                     << o.underlay_interface << " failed: " << s.message();
  }
  ALOG(Info, Main) << "underlay: OVS is away, " << o.node_ip << "/" << o.underlay_prefix_length
                   << " and " << config.routes.size() << " routes back on " << o.underlay_interface
                   << " until it returns";
  return true;
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
