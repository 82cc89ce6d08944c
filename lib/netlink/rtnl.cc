#include "lib/netlink/rtnl.h"

#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <netlink/addr.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "lib/base/unique_fd.h"

namespace alcor::netlink::rtnl {

void Deleter::operator()(nl_sock* p) const { nl_socket_free(p); }
void Deleter::operator()(nl_addr* p) const { nl_addr_put(p); }
void Deleter::operator()(nl_cache* p) const { nl_cache_free(p); }
void Deleter::operator()(rtnl_link* p) const { rtnl_link_put(p); }
void Deleter::operator()(rtnl_addr* p) const { rtnl_addr_put(p); }
void Deleter::operator()(rtnl_route* p) const { rtnl_route_put(p); }

StatusOr<SockPtr> connect() {
  SockPtr sock(nl_socket_alloc());
  if (!sock) return internalError("netlink: cannot allocate a socket");
  int err = nl_connect(sock.get(), NETLINK_ROUTE);
  if (err < 0) return nlError(err, "netlink: connect");
  return sock;
}

bool isNotFound(int err) {
  err = err < 0 ? -err : err;
  return err == NLE_OBJ_NOTFOUND || err == NLE_NODEV || err == NLE_NOADDR;
}

Status nlError(int err, const std::string& what) {
  int code = err < 0 ? -err : err;
  std::string msg = what + ": " + nl_geterror(code);
  switch (code) {
    case NLE_EXIST:
      return alreadyExistsError(msg);
    case NLE_OBJ_NOTFOUND:
    case NLE_NODEV:
    case NLE_NOADDR:
      return notFoundError(msg);
    case NLE_PERM:
    case NLE_NOACCESS:
      return {StatusCode::kPermissionDenied, msg};
    case NLE_INVAL:
    case NLE_RANGE:
      return invalidArgumentError(msg);
    case NLE_BUSY:
    case NLE_AGAIN:
      return unavailableError(msg);
    default:
      return internalError(msg);
  }
}

NlAddrPtr toNlAddr(const IpAddress& address, int prefix_length) {
  NlAddrPtr a(nl_addr_build(address.isV4() ? AF_INET : AF_INET6, address.bytes().data(),
                            static_cast<size_t>(address.byteLength())));
  if (a) nl_addr_set_prefixlen(a.get(), prefix_length);
  return a;
}

std::optional<IpAddress> fromNlAddr(nl_addr* address, int family) {
  if (!address || nl_addr_get_len(address) == 0) {
    // The kernel omits RTA_DST for default routes: an all-zero address of the family.
    if (family == AF_INET6) return IpAddress::v6({});
    if (family == AF_INET) return IpAddress();
    return std::nullopt;
  }
  auto ip = IpAddress::fromBytes(static_cast<const uint8_t*>(nl_addr_get_binary_addr(address)),
                                 nl_addr_get_len(address));
  if (!ip.ok()) return std::nullopt;
  return *ip;
}

StatusOr<LinkPtr> findLink(nl_sock* sock, const std::string& name) {
  rtnl_link* raw = nullptr;
  int err = rtnl_link_get_kernel(sock, 0, name.c_str(), &raw);
  if (err < 0) {
    if (isNotFound(err)) return LinkPtr();
    return nlError(err, "netlink: get link " + name);
  }
  return LinkPtr(raw);
}

Status changeLink(nl_sock* sock, rtnl_link* link, rtnl_link* changes, const std::string& what) {
  int err = rtnl_link_change(sock, link, changes, 0);
  if (err < 0) return nlError(err, "netlink: " + what);
  return okStatus();
}

namespace {

bool isKernelLinkLocal(const IpAddress& a) {
  return a.isV6() && a.bytes()[0] == 0xfe && (a.bytes()[1] & 0xc0) == 0x80;
}

MacAddress linkMac(rtnl_link* link) {
  nl_addr* a = rtnl_link_get_addr(link);
  MacAddress::Bytes b{};
  if (a && nl_addr_get_len(a) == 6) std::memcpy(b.data(), nl_addr_get_binary_addr(a), 6);
  return MacAddress(b);
}

void collectAddresses(nl_cache* cache, int ifindex, std::vector<IpPrefix>& out) {
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* addr = reinterpret_cast<rtnl_addr*>(o);
    if (rtnl_addr_get_ifindex(addr) != ifindex) continue;
    auto ip = fromNlAddr(rtnl_addr_get_local(addr), rtnl_addr_get_family(addr));
    if (!ip || isKernelLinkLocal(*ip)) continue;
    out.emplace_back(*ip, rtnl_addr_get_prefixlen(addr));
  }
}

// Unicast main-table routes out of ifindex, leaving out those the kernel makes by itself
// (connected subnets, IPv6 link-local and multicast).
void collectRoutes(nl_cache* cache, int ifindex, std::vector<RouteSpec>& out) {
  for (nl_object* o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
    auto* route = reinterpret_cast<rtnl_route*>(o);
    if (rtnl_route_get_table(route) != RT_TABLE_MAIN) continue;
    if (rtnl_route_get_type(route) != RTN_UNICAST) continue;
    if (rtnl_route_get_protocol(route) == RTPROT_KERNEL) continue;
    if (rtnl_route_get_nnexthops(route) < 1) continue;
    rtnl_nexthop* nh = rtnl_route_nexthop_n(route, 0);
    if (rtnl_route_nh_get_ifindex(nh) != ifindex) continue;
    int family = rtnl_route_get_family(route);
    nl_addr* dst = rtnl_route_get_dst(route);
    auto dst_ip = fromNlAddr(dst, family);
    if (!dst_ip) continue;
    RouteSpec spec;
    spec.destination = IpPrefix(*dst_ip, dst ? static_cast<int>(nl_addr_get_prefixlen(dst)) : 0);
    if (nl_addr* gw = rtnl_route_nh_get_gateway(nh)) spec.gateway = fromNlAddr(gw, family);
    if (nl_addr* src = rtnl_route_get_pref_src(route)) spec.source = fromNlAddr(src, family);
    out.push_back(spec);
  }
}

}  // namespace

StatusOr<std::vector<LinkInfo>> readLinks(nl_sock* sock, const std::string* only) {
  nl_cache* raw = nullptr;
  int err = rtnl_link_alloc_cache(sock, AF_UNSPEC, &raw);
  if (err < 0) return nlError(err, "netlink: list links");
  CachePtr links(raw);
  err = rtnl_addr_alloc_cache(sock, &raw);
  if (err < 0) return nlError(err, "netlink: list addresses");
  CachePtr addrs(raw);
  err = rtnl_route_alloc_cache(sock, AF_UNSPEC, 0, &raw);
  if (err < 0) return nlError(err, "netlink: list routes");
  CachePtr routes(raw);

  std::vector<LinkInfo> out;
  for (nl_object* o = nl_cache_get_first(links.get()); o; o = nl_cache_get_next(o)) {
    auto* link = reinterpret_cast<rtnl_link*>(o);
    const char* name = rtnl_link_get_name(link);
    if (!name || (only && *only != name)) continue;
    LinkInfo info;
    info.name = name;
    info.ifindex = rtnl_link_get_ifindex(link);
    info.mac = linkMac(link);
    info.mtu = static_cast<int>(rtnl_link_get_mtu(link));
    info.up = (rtnl_link_get_flags(link) & IFF_UP) != 0;
    if (const char* kind = rtnl_link_get_type(link)) info.kind = kind;
    collectAddresses(addrs.get(), info.ifindex, info.addresses);
    collectRoutes(routes.get(), info.ifindex, info.routes);
    out.push_back(std::move(info));
  }
  return out;
}

namespace {

Status ethtool(const std::string& ifname, ethtool_value& value, const char* what) {
  if (ifname.size() >= IFNAMSIZ) return invalidArgumentError("interface name too long: " + ifname);
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return internalError(std::string("ethtool socket: ") + std::strerror(errno));
  ifreq req{};
  std::memcpy(req.ifr_name, ifname.c_str(), ifname.size());
  req.ifr_data = reinterpret_cast<char*>(&value);
  if (::ioctl(fd.get(), SIOCETHTOOL, &req) != 0) {
    int e = errno;
    std::string msg = std::string(what) + " on " + ifname + ": " + std::strerror(e);
    return e == ENODEV ? notFoundError(msg) : internalError(msg);
  }
  return okStatus();
}

}  // namespace

Status setTxChecksum(const std::string& ifname, bool on) {
  ethtool_value value{};
  value.cmd = ETHTOOL_STXCSUM;
  value.data = on ? 1 : 0;
  return ethtool(ifname, value, "ETHTOOL_STXCSUM");
}

StatusOr<bool> getTxChecksum(const std::string& ifname) {
  ethtool_value value{};
  value.cmd = ETHTOOL_GTXCSUM;
  RETURN_IF_ERROR(ethtool(ifname, value, "ETHTOOL_GTXCSUM"));
  return value.data != 0;
}

}  // namespace alcor::netlink::rtnl
