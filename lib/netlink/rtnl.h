#pragma once

// Internal to lib/netlink: owning wrappers for libnl objects, error mapping, conversions and the
// readers/ioctls LinkManagerImpl is built from. Everything here acts on the calling thread's
// network namespace; callers wrap it in runInNetns.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "lib/netlink/ip_address.h"
#include "lib/netlink/link_manager.h"

struct nl_sock;
struct nl_addr;
struct nl_cache;
struct rtnl_link;
struct rtnl_addr;
struct rtnl_route;

namespace alcor::netlink::rtnl {

struct Deleter {
  void operator()(nl_sock* p) const;
  void operator()(nl_addr* p) const;
  void operator()(nl_cache* p) const;
  void operator()(rtnl_link* p) const;
  void operator()(rtnl_addr* p) const;
  void operator()(rtnl_route* p) const;
};
using SockPtr = std::unique_ptr<nl_sock, Deleter>;
using NlAddrPtr = std::unique_ptr<nl_addr, Deleter>;
using CachePtr = std::unique_ptr<nl_cache, Deleter>;
using LinkPtr = std::unique_ptr<rtnl_link, Deleter>;
using AddrPtr = std::unique_ptr<rtnl_addr, Deleter>;
using RoutePtr = std::unique_ptr<rtnl_route, Deleter>;

// A NETLINK_ROUTE socket in the calling thread's namespace.
StatusOr<SockPtr> connect();

// libnl error (negative NLE_*) -> Status with `what` as context.
Status nlError(int err, const std::string& what);
bool isNotFound(int err);

NlAddrPtr toNlAddr(const IpAddress& address, int prefix_length);
std::optional<IpAddress> fromNlAddr(nl_addr* address, int family);

// The link called `name`, or nullptr when there is none.
StatusOr<LinkPtr> findLink(nl_sock* sock, const std::string& name);
// Links of the namespace described with their addresses and routes; `only` limits to one name.
StatusOr<std::vector<LinkInfo>> readLinks(nl_sock* sock, const std::string* only);

// Sets flags/name/MAC/MTU of a link from `changes`.
Status changeLink(nl_sock* sock, rtnl_link* link, rtnl_link* changes, const std::string& what);

// ETHTOOL_STXCSUM / ETHTOOL_GTXCSUM through SIOCETHTOOL.
Status setTxChecksum(const std::string& ifname, bool on);
StatusOr<bool> getTxChecksum(const std::string& ifname);

}  // namespace alcor::netlink::rtnl
