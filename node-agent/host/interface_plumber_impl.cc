#include "node-agent/host/interface_plumber_impl.h"

#include "lib/base/logging.h"

namespace alcor::agent {

StatusOr<PlugResult> InterfacePlumberImpl::plug(const PlugRequest& request) {
  netlink::VethSpec spec;
  spec.host_name = request.ovs_port;
  spec.pod_netns = request.netns;
  spec.pod_ifname = request.ifname;
  spec.pod_mac = request.mac;
  spec.mtu = request.mtu;
  ASSIGN_OR_RETURN(netlink::VethPair pair, links_.createVeth(spec));

  auto undo = [&](const Status& why) {
    (void)bridges_.deletePorts(options_.bridge, {request.ovs_port});
    (void)links_.deleteLink("", request.ovs_port);
    return why;
  };
  ovsdb::PortSpec port;
  port.name = request.ovs_port;
  port.external_ids = request.external_ids;
  port.external_ids[ext_ids::kOwner] = ext_ids::kOwnerValue;
  if (Status s = bridges_.addPorts(options_.bridge, {port}); !s.ok()) {
    return undo(internalError("adding OVS port " + request.ovs_port + ": " + s.message()));
  }
  auto ofports = bridges_.waitForOfports(
      {request.ovs_port}, std::chrono::steady_clock::now() + options_.ofport_timeout);
  if (!ofports.ok()) {
    return undo(internalError("OVS port " + request.ovs_port +
                              " got no ofport: " + ofports.status().message()));
  }
  int64_t ofport = ofports->count(request.ovs_port) ? ofports->at(request.ovs_port) : 0;
  if (ofport <= 0) {
    return undo(internalError("OVS could not attach " + request.ovs_port));
  }
  ALOG(Info, Netlink) << "plugged " << request.ovs_port << " (ofport " << ofport << ") into "
                      << request.netns << " as " << request.ifname;
  return PlugResult{static_cast<uint32_t>(ofport), pair.host_mac};
}

Status InterfacePlumberImpl::configure(const PodAddressing& a) {
  netlink::LinkConfig config;
  config.ifname = a.ifname;
  config.mtu = a.mtu;
  config.addresses = {netlink::IpPrefix(a.address)};
  for (const auto& r : a.routes) {
    config.routes.push_back({netlink::IpPrefix(r.destination), netlink::IpAddress(r.next_hop)});
  }
  if (!a.gateway.isUnspecified()) {
    config.routes.push_back({netlink::IpPrefix(), netlink::IpAddress(a.gateway)});
  }
  RETURN_IF_ERROR(links_.configureLink(a.netns, config));
  if (Status s = links_.announceAddress(a.netns, a.ifname, netlink::IpAddress(a.address.address()));
      !s.ok()) {
    // The pod works without it; peers learn the MAC on the first ARP.
    ALOG(Warn, Netlink) << "gratuitous ARP in " << a.netns << ": " << s.message();
  }
  return okStatus();
}

Status InterfacePlumberImpl::unplug(const std::string& ovs_port, const std::string& netns,
                                    const std::string& ifname) {
  RETURN_IF_ERROR(bridges_.deletePorts(options_.bridge, {ovs_port}));
  // Deleting the host end removes the pod end too; the pod end is deleted explicitly in case
  // the host end is already gone (a half-finished ADD).
  RETURN_IF_ERROR(links_.deleteLink("", ovs_port));
  if (!netns.empty() && !ifname.empty()) {
    if (Status s = links_.deleteLink(netns, ifname); !s.ok()) {
      ALOG(Warn, Netlink) << "deleting " << ifname << " in " << netns << ": " << s.message();
    }
  }
  return okStatus();
}

StatusOr<std::vector<Attachment>> InterfacePlumberImpl::listAttachments() {
  ASSIGN_OR_RETURN(auto ports,
                   bridges_.listPorts(options_.bridge, {{ext_ids::kOwner, ext_ids::kOwnerValue}}));
  std::vector<Attachment> out;
  for (auto& p : ports) {
    out.push_back(
        {p.name, p.ofport > 0 ? static_cast<uint32_t>(p.ofport) : 0u, std::move(p.external_ids)});
  }
  return out;
}

StatusOr<std::vector<std::string>> InterfacePlumberImpl::removeStrayVeths(
    const std::set<std::string>& ovs_ports) {
  ASSIGN_OR_RETURN(auto links, links_.listLinks(""));
  std::vector<std::string> removed;
  for (const auto& link : links) {
    // Only veths with the agent's naming: other software's tap devices are tun/tap, not veth.
    if (link.kind != "veth" || link.name.size() != 14 || link.name.rfind("tap", 0) != 0 ||
        ovs_ports.count(link.name)) {
      continue;
    }
    if (Status s = links_.deleteLink("", link.name); s.ok()) removed.push_back(link.name);
  }
  return removed;
}

StatusOr<PodInterfaceInfo> InterfacePlumberImpl::inspect(const std::string& netns,
                                                         const std::string& ifname) {
  ASSIGN_OR_RETURN(auto link, links_.getLink(netns, ifname));
  PodInterfaceInfo info;
  if (!link) return info;
  info.exists = true;
  info.mac = link->mac;
  info.mtu = link->mtu;
  for (const auto& a : link->addresses) {
    if (a.address().isV4()) info.addresses.emplace_back(a.address().v4(), a.length());
  }
  return info;
}

}  // namespace alcor::agent
