#include "lib/netlink/link_manager.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "lib/base/logging.h"
#include "lib/base/unique_fd.h"
#include "lib/netlink/netns.h"
#include "lib/netlink/rtnl.h"
#include "lib/packet/builder.h"

namespace alcor::netlink {
namespace {

// Writes value into /proc/sys/net/<path> (this thread's namespace); a kernel without the file
// (no IPv6) leaves nothing to do.
Status writeNetSysctl(const std::string& path, const char* value) {
  const std::string file = "/proc/sys/net/" + path;
  UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) {
    if (errno == ENOENT) return okStatus();
    return internalError("cannot open " + file + ": " + std::strerror(errno));
  }
  const auto len = static_cast<ssize_t>(std::strlen(value));
  if (::write(fd.get(), value, len) != len) {
    return internalError("cannot write " + file + ": " + std::strerror(errno));
  }
  return okStatus();
}

// A pod's host end is a switch port, not an interface of the node's own stack.
// - No IPv6: left to itself it gets a link-local address when it comes up, and every address
//   that appears makes ovs-vswitchd re-read the addresses of all its interfaces (for its tunnel
//   ports): O(ports) per pod, O(ports^2) in all.
// - No ARP answers (arp_ignore 8): the userspace datapath reads the port with a packet socket,
//   so the node's stack sees the pod's frames too; it would answer the pod's ARP for a node
//   address (the host gateway's) with this end's MAC, and then take every frame the pod sends
//   there as its own while OVS also forwards it: each datagram would arrive twice.
Status detachFromNodeStack(const std::string& ifname) {
  RETURN_IF_ERROR(writeNetSysctl("ipv6/conf/" + ifname + "/disable_ipv6", "1"));
  return writeNetSysctl("ipv4/conf/" + ifname + "/arp_ignore", "8");
}

using rtnl::LinkPtr;

Status checkIfname(const std::string& name, const char* what) {
  if (name.empty() || name.size() >= IFNAMSIZ || name.find('/') != std::string::npos ||
      name.find(' ') != std::string::npos) {
    return invalidArgumentError(std::string(what) + ": bad interface name \"" + name + "\"");
  }
  return okStatus();
}

// A name for the peer while it is created: unique per process and call, never a pod name.
std::string temporaryPeerName() {
  static std::atomic<uint32_t> counter{0};
  char buf[IFNAMSIZ];
  std::snprintf(buf, sizeof buf, "alc%05x%05x", static_cast<unsigned>(::getpid() & 0xfffff),
                static_cast<unsigned>(counter++ & 0xfffff));
  return buf;
}

// Runs fn with a NETLINK_ROUTE socket inside netns.
Status withSocket(const std::string& netns, const std::function<Status(nl_sock*)>& fn) {
  return runInNetns(netns, [&]() -> Status {
    ASSIGN_OR_RETURN(rtnl::SockPtr sock, rtnl::connect());
    return fn(sock.get());
  });
}

StatusOr<LinkPtr> requireLink(nl_sock* sock, const std::string& name) {
  ASSIGN_OR_RETURN(LinkPtr link, rtnl::findLink(sock, name));
  if (!link) return notFoundError("netlink: no link named " + name);
  return link;
}

Status setUp(nl_sock* sock, rtnl_link* link, bool up, const std::string& name) {
  LinkPtr changes(rtnl_link_alloc());
  if (up) {
    rtnl_link_set_flags(changes.get(), IFF_UP);
  } else {
    rtnl_link_unset_flags(changes.get(), IFF_UP);
  }
  return rtnl::changeLink(sock, link, changes.get(), "set " + name + (up ? " up" : " down"));
}

Status setMac(rtnl_link* changes, const MacAddress& mac) {
  rtnl::NlAddrPtr addr(nl_addr_build(AF_LLC, mac.bytes().data(), 6));
  if (!addr) return internalError("netlink: cannot build a MAC address");
  rtnl_link_set_addr(changes, addr.get());
  return okStatus();
}

struct EndInfo {
  int ifindex = 0;
  MacAddress mac;
};

StatusOr<EndInfo> readEnd(nl_sock* sock, const std::string& name) {
  ASSIGN_OR_RETURN(auto links, rtnl::readLinks(sock, &name));
  if (links.empty()) return notFoundError("netlink: link " + name + " vanished");
  return EndInfo{links[0].ifindex, links[0].mac};
}

// The pod end, already in its namespace under a temporary name: final name, MAC, offload, up.
StatusOr<EndInfo> finishPodEnd(nl_sock* sock, const VethSpec& spec, const std::string& tmp) {
  ASSIGN_OR_RETURN(LinkPtr link, requireLink(sock, tmp));
  ASSIGN_OR_RETURN(LinkPtr clash, rtnl::findLink(sock, spec.pod_ifname));
  if (clash) {
    return alreadyExistsError("netlink: " + spec.pod_ifname + " already exists in " +
                              spec.pod_netns);
  }
  LinkPtr changes(rtnl_link_alloc());
  rtnl_link_set_name(changes.get(), spec.pod_ifname.c_str());
  if (spec.pod_mac) RETURN_IF_ERROR(setMac(changes.get(), *spec.pod_mac));
  RETURN_IF_ERROR(rtnl::changeLink(sock, link.get(), changes.get(),
                                   "rename " + tmp + " to " + spec.pod_ifname));
  if (spec.tx_checksum_offload_off) RETURN_IF_ERROR(rtnl::setTxChecksum(spec.pod_ifname, false));
  ASSIGN_OR_RETURN(LinkPtr renamed, requireLink(sock, spec.pod_ifname));
  RETURN_IF_ERROR(setUp(sock, renamed.get(), true, spec.pod_ifname));
  return readEnd(sock, spec.pod_ifname);
}

Status addAddress(nl_sock* sock, int ifindex, const IpPrefix& prefix) {
  rtnl::AddrPtr addr(rtnl_addr_alloc());
  rtnl::NlAddrPtr local = rtnl::toNlAddr(prefix.address(), prefix.length());
  rtnl_addr_set_ifindex(addr.get(), ifindex);
  rtnl_addr_set_local(addr.get(), local.get());
  rtnl_addr_set_prefixlen(addr.get(), prefix.length());
  // A pod address is assigned by IPAM and known unique: skip IPv6 duplicate detection, which
  // would leave it "tentative" (unusable) for a second or more.
  if (prefix.address().isV6()) rtnl_addr_set_flags(addr.get(), IFA_F_NODAD);
  int err = rtnl_addr_add(sock, addr.get(), NLM_F_REPLACE);
  if (err < 0 && -err != NLE_EXIST) {
    return rtnl::nlError(err, "netlink: add address " + prefix.toString());
  }
  return okStatus();
}

Status replaceRoute(nl_sock* sock, int ifindex, const RouteSpec& route,
                    const std::vector<IpPrefix>& addresses) {
  const IpAddress& dst = route.destination.address();
  if (route.gateway && route.gateway->family() != dst.family()) {
    return invalidArgumentError("route " + route.destination.toString() + " via " +
                                route.gateway->toString() + ": mixed address families");
  }
  rtnl::RoutePtr r(rtnl_route_alloc());
  rtnl_route_set_family(r.get(), dst.isV4() ? AF_INET : AF_INET6);
  rtnl_route_set_table(r.get(), RT_TABLE_MAIN);
  rtnl_route_set_type(r.get(), RTN_UNICAST);
  rtnl_route_set_protocol(r.get(), RTPROT_BOOT);
  rtnl_route_set_scope(r.get(), route.gateway ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
  rtnl::NlAddrPtr dst_addr =
      rtnl::toNlAddr(route.destination.network(), route.destination.length());
  rtnl_route_set_dst(r.get(), dst_addr.get());
  rtnl_nexthop* nh = rtnl_route_nh_alloc();  // owned by the route once added
  rtnl_route_nh_set_ifindex(nh, ifindex);
  if (route.gateway) {
    rtnl::NlAddrPtr gw = rtnl::toNlAddr(*route.gateway, route.gateway->bitLength());
    rtnl_route_nh_set_gateway(nh, gw.get());
    // A gateway outside every subnet of the link (e.g. 169.254.1.1) is still reachable on it.
    bool covered = false;
    for (const auto& a : addresses) covered = covered || a.contains(*route.gateway);
    if (!covered && route.gateway->isV4()) rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
  }
  rtnl_route_add_nexthop(r.get(), nh);
  rtnl::NlAddrPtr source;
  if (route.source) {
    source = rtnl::toNlAddr(*route.source, route.source->bitLength());
    rtnl_route_set_pref_src(r.get(), source.get());
  }
  int err = rtnl_route_add(sock, r.get(), NLM_F_REPLACE);
  if (err < 0) {
    std::string what = "netlink: route " + route.destination.toString();
    if (route.gateway) what += " via " + route.gateway->toString();
    return rtnl::nlError(err, what);
  }
  return okStatus();
}

}  // namespace

StatusOr<VethPair> LinkManagerImpl::createVeth(const VethSpec& spec) {
  RETURN_IF_ERROR(checkIfname(spec.host_name, "createVeth"));
  RETURN_IF_ERROR(checkIfname(spec.pod_ifname, "createVeth"));
  if (spec.pod_netns.empty()) return invalidArgumentError("createVeth: pod_netns is empty");
  if (spec.mtu < 68 || spec.mtu > 65535) {
    return invalidArgumentError("createVeth: MTU " + std::to_string(spec.mtu) + " out of range");
  }
  std::string ns_path = netnsPath(spec.pod_netns);
  UniqueFd ns_fd(::open(ns_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!ns_fd.valid()) {
    return notFoundError("createVeth: network namespace " + ns_path + ": " + std::strerror(errno));
  }
  ASSIGN_OR_RETURN(rtnl::SockPtr sock, rtnl::connect());

  // The peer is created straight inside the pod namespace (IFLA_NET_NS_FD on the peer) under a
  // temporary name, so it never shows up in the host namespace.
  const std::string tmp = temporaryPeerName();
  LinkPtr veth(rtnl_link_veth_alloc());
  if (!veth) return internalError("netlink: cannot allocate a veth");
  rtnl_link_set_name(veth.get(), spec.host_name.c_str());
  rtnl_link_set_mtu(veth.get(), static_cast<unsigned>(spec.mtu));
  {
    LinkPtr peer(rtnl_link_veth_get_peer(veth.get()));
    rtnl_link_set_name(peer.get(), tmp.c_str());
    rtnl_link_set_mtu(peer.get(), static_cast<unsigned>(spec.mtu));
    rtnl_link_set_ns_fd(peer.get(), ns_fd.get());
  }
  int err = rtnl_link_add(sock.get(), veth.get(), NLM_F_CREATE | NLM_F_EXCL);
  if (err < 0) return rtnl::nlError(err, "netlink: create veth " + spec.host_name);

  auto rollback = [&](const Status& cause) -> Status {
    // Deleting the host end removes the peer too, wherever it is by now.
    Status s = deleteLink("", spec.host_name);
    if (!s.ok()) ALOG(Warn, Netlink) << "rollback of veth " << spec.host_name << ": " << s;
    return cause;
  };

  VethPair pair;
  Status pod = runInNetns(spec.pod_netns, [&]() -> Status {
    ASSIGN_OR_RETURN(rtnl::SockPtr pod_sock, rtnl::connect());
    ASSIGN_OR_RETURN(EndInfo end, finishPodEnd(pod_sock.get(), spec, tmp));
    pair.pod_ifindex = end.ifindex;
    pair.pod_mac = end.mac;
    return okStatus();
  });
  if (!pod.ok()) return rollback(pod.withContext("createVeth " + spec.host_name));

  Status host = [&]() -> Status {
    if (spec.tx_checksum_offload_off) RETURN_IF_ERROR(rtnl::setTxChecksum(spec.host_name, false));
    RETURN_IF_ERROR(detachFromNodeStack(spec.host_name));
    ASSIGN_OR_RETURN(LinkPtr link, requireLink(sock.get(), spec.host_name));
    RETURN_IF_ERROR(setUp(sock.get(), link.get(), true, spec.host_name));
    ASSIGN_OR_RETURN(EndInfo end, readEnd(sock.get(), spec.host_name));
    pair.host_ifindex = end.ifindex;
    pair.host_mac = end.mac;
    return okStatus();
  }();
  if (!host.ok()) return rollback(host.withContext("createVeth " + spec.host_name));
  ALOG(Debug, Netlink) << "created veth " << spec.host_name << " <-> " << spec.pod_netns << "/"
                       << spec.pod_ifname << " mac " << pair.pod_mac.toString();
  return pair;
}

Status LinkManagerImpl::deleteLink(const std::string& netns, const std::string& name) {
  RETURN_IF_ERROR(checkIfname(name, "deleteLink"));
  if (!netnsExists(netns)) return okStatus();
  Status s = withSocket(netns, [&](nl_sock* sock) -> Status {
    LinkPtr link(rtnl_link_alloc());
    rtnl_link_set_name(link.get(), name.c_str());
    int err = rtnl_link_delete(sock, link.get());
    if (err < 0 && !rtnl::isNotFound(err)) return rtnl::nlError(err, "netlink: delete " + name);
    return okStatus();
  });
  // The namespace may vanish between the check and the setns.
  if (s.code() == StatusCode::kNotFound) return okStatus();
  return s;
}

StatusOr<std::optional<LinkInfo>> LinkManagerImpl::getLink(const std::string& netns,
                                                           const std::string& name) {
  RETURN_IF_ERROR(checkIfname(name, "getLink"));
  std::optional<LinkInfo> result;
  RETURN_IF_ERROR(withSocket(netns, [&](nl_sock* sock) -> Status {
    ASSIGN_OR_RETURN(auto links, rtnl::readLinks(sock, &name));
    if (!links.empty()) result = std::move(links[0]);
    return okStatus();
  }));
  return result;
}

StatusOr<std::vector<LinkInfo>> LinkManagerImpl::listLinks(const std::string& netns) {
  std::vector<LinkInfo> result;
  RETURN_IF_ERROR(withSocket(netns, [&](nl_sock* sock) -> Status {
    ASSIGN_OR_RETURN(result, rtnl::readLinks(sock, nullptr));
    return okStatus();
  }));
  return result;
}

Status LinkManagerImpl::configureLink(const std::string& netns, const LinkConfig& config) {
  RETURN_IF_ERROR(checkIfname(config.ifname, "configureLink"));
  return withSocket(netns, [&](nl_sock* sock) -> Status {
    ASSIGN_OR_RETURN(LinkPtr link, requireLink(sock, config.ifname));
    int ifindex = rtnl_link_get_ifindex(link.get());
    if (config.mac || config.mtu) {
      LinkPtr changes(rtnl_link_alloc());
      if (config.mac) RETURN_IF_ERROR(setMac(changes.get(), *config.mac));
      if (config.mtu) rtnl_link_set_mtu(changes.get(), static_cast<unsigned>(*config.mtu));
      RETURN_IF_ERROR(
          rtnl::changeLink(sock, link.get(), changes.get(), "configure " + config.ifname));
    }
    // Up before routes: the kernel refuses gateways behind a link that is down.
    RETURN_IF_ERROR(setUp(sock, link.get(), config.up, config.ifname));
    for (const auto& a : config.addresses) RETURN_IF_ERROR(addAddress(sock, ifindex, a));
    for (const auto& r : config.routes) {
      RETURN_IF_ERROR(replaceRoute(sock, ifindex, r, config.addresses));
    }
    return okStatus();
  });
}

Status LinkManagerImpl::removeAddress(const std::string& netns, const std::string& ifname,
                                      const IpPrefix& prefix) {
  RETURN_IF_ERROR(checkIfname(ifname, "removeAddress"));
  return withSocket(netns, [&](nl_sock* sock) -> Status {
    ASSIGN_OR_RETURN(LinkPtr link, rtnl::findLink(sock, ifname));
    if (!link) return okStatus();
    rtnl::AddrPtr addr(rtnl_addr_alloc());
    rtnl::NlAddrPtr local = rtnl::toNlAddr(prefix.address(), prefix.length());
    rtnl_addr_set_ifindex(addr.get(), rtnl_link_get_ifindex(link.get()));
    rtnl_addr_set_local(addr.get(), local.get());
    rtnl_addr_set_prefixlen(addr.get(), prefix.length());
    int err = rtnl_addr_delete(sock, addr.get(), 0);
    if (err < 0 && !rtnl::isNotFound(err)) {
      return rtnl::nlError(err, "netlink: remove address " + prefix.toString());
    }
    return okStatus();
  });
}

Status LinkManagerImpl::setTxChecksumOffload(const std::string& netns, const std::string& name,
                                             bool on) {
  RETURN_IF_ERROR(checkIfname(name, "setTxChecksumOffload"));
  return runInNetns(netns, [&] { return rtnl::setTxChecksum(name, on); });
}

StatusOr<bool> getTxChecksumOffload(const std::string& netns, const std::string& name) {
  bool on = false;
  RETURN_IF_ERROR(runInNetns(netns, [&]() -> Status {
    ASSIGN_OR_RETURN(on, rtnl::getTxChecksum(name));
    return okStatus();
  }));
  return on;
}

Status LinkManagerImpl::announceAddress(const std::string& netns, const std::string& ifname,
                                        const IpAddress& ip) {
  RETURN_IF_ERROR(checkIfname(ifname, "announceAddress"));
  return runInNetns(netns, [&]() -> Status {
    uint16_t proto = ip.isV4() ? ETH_P_ARP : ETH_P_IPV6;
    UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(proto)));
    if (!fd.valid()) return internalError(std::string("packet socket: ") + std::strerror(errno));
    ifreq req{};
    std::memcpy(req.ifr_name, ifname.c_str(), ifname.size());
    if (::ioctl(fd.get(), SIOCGIFINDEX, &req) != 0) {
      return notFoundError("announceAddress: no link " + ifname);
    }
    int ifindex = req.ifr_ifindex;
    if (::ioctl(fd.get(), SIOCGIFHWADDR, &req) != 0) {
      return internalError("announceAddress: SIOCGIFHWADDR " + ifname + ": " +
                           std::strerror(errno));
    }
    MacAddress::Bytes mac_bytes{};
    std::memcpy(mac_bytes.data(), req.ifr_hwaddr.sa_data, 6);
    MacAddress mac(mac_bytes);
    packet::Bytes frame = ip.isV4()
                              ? packet::buildGratuitousArp(mac, ip.v4())
                              : packet::buildUnsolicitedNeighborAdvertisement(mac, ip.bytes());
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_protocol = htons(proto);
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    std::memcpy(to.sll_addr, frame.data(), 6);  // the frame's destination
    if (::sendto(fd.get(), frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to),
                 sizeof to) < 0) {
      return unavailableError("announceAddress on " + ifname + ": " + std::strerror(errno));
    }
    return okStatus();
  });
}

}  // namespace alcor::netlink
