#pragma once

// Links, addresses and routes of network namespaces, via rtnetlink (libnl-route-3). Every call
// takes the namespace it acts on ("" = the caller's own, else a path or a name under
// /var/run/netns); the work runs on a thread entered into that namespace (see netns.h).

#include <optional>
#include <string>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/base/status.h"
#include "lib/netlink/ip_address.h"

namespace alcor::netlink {

struct VethSpec {
  std::string host_name;   // stays in the caller's namespace
  std::string pod_netns;   // path or name
  std::string pod_ifname;  // e.g. "eth0"
  std::optional<MacAddress> pod_mac;
  int mtu = 1500;
  // The userspace OVS datapath forwards CHECKSUM_PARTIAL packets unfixed, so pod ends need TX
  // checksum offload off for TCP/UDP to work.
  bool tx_checksum_offload_off = true;
};

struct VethPair {
  int host_ifindex = 0;
  MacAddress host_mac;
  int pod_ifindex = 0;
  MacAddress pod_mac;
};

struct RouteSpec {
  IpPrefix destination;  // 0.0.0.0/0 = default
  std::optional<IpAddress> gateway;
  std::optional<IpAddress> source;  // preferred source address (`src`), one of the host's
  bool operator==(const RouteSpec&) const = default;
};

struct LinkConfig {
  std::string ifname;
  std::optional<MacAddress> mac;
  std::optional<int> mtu;
  std::vector<IpPrefix> addresses;
  std::vector<RouteSpec> routes;
  bool up = true;
  // ARP answered only for the link's own addresses (arp_ignore 1). For a NIC whose address moved
  // to a bridge above it: left at 0, it keeps answering for the address with its own MAC.
  bool arp_for_own_addresses_only = false;
};

struct LinkInfo {
  std::string name;
  int ifindex = 0;
  MacAddress mac;
  int mtu = 0;
  bool up = false;  // administratively up (IFF_UP)
  // Both families, without the IPv6 link-local (fe80::/10) addresses the kernel assigns itself.
  std::vector<IpPrefix> addresses;
  // Unicast main-table routes out of this link, without those the kernel adds itself (proto
  // kernel: connected subnets, IPv6 link-local).
  std::vector<RouteSpec> routes;
  std::string kind;  // "veth", "bridge", ... ("" for plain devices such as lo)
};

class LinkManager {
 public:
  virtual ~LinkManager() = default;

  // Creates the pair with the host end in the caller's namespace and the peer created directly in
  // pod_netns under a temporary name, renames the peer to pod_ifname, sets MAC/MTU, TX checksum
  // offload off on both ends when asked, brings both up. On any failure deletes what it created.
  // Errors: ALREADY_EXISTS (host_name or pod_ifname taken), NOT_FOUND (no such namespace),
  // INVALID_ARGUMENT (bad names or MTU).
  virtual StatusOr<VethPair> createVeth(const VethSpec& spec) = 0;
  // Idempotent: a missing link or a missing namespace is OK.
  virtual Status deleteLink(const std::string& netns, const std::string& name) = 0;
  // nullopt when there is no such link.
  virtual StatusOr<std::optional<LinkInfo>> getLink(const std::string& netns,
                                                    const std::string& name) = 0;
  // Sets MAC/MTU when given, sets the link up (or down), adds missing addresses (idempotent; IPv6
  // without duplicate address detection), then replaces/adds routes. A gateway outside every
  // given IPv4 address's subnet (e.g. 169.254.1.1) gets an on-link route. Missing link: NOT_FOUND.
  virtual Status configureLink(const std::string& netns, const LinkConfig& config) = 0;
  // Missing address is OK.
  virtual Status removeAddress(const std::string& netns, const std::string& ifname,
                               const IpPrefix& prefix) = 0;
  virtual Status setTxChecksumOffload(const std::string& netns, const std::string& name,
                                      bool on) = 0;
  // Gratuitous ARP (IPv4) for ip out of ifname, through a packet socket in that namespace.
  virtual Status announceAddress(const std::string& netns, const std::string& ifname,
                                 const IpAddress& ip) = 0;
  virtual StatusOr<std::vector<LinkInfo>> listLinks(const std::string& netns) = 0;
};

class LinkManagerImpl : public LinkManager {
 public:
  LinkManagerImpl() = default;

  StatusOr<VethPair> createVeth(const VethSpec& spec) override;
  Status deleteLink(const std::string& netns, const std::string& name) override;
  StatusOr<std::optional<LinkInfo>> getLink(const std::string& netns,
                                            const std::string& name) override;
  Status configureLink(const std::string& netns, const LinkConfig& config) override;
  Status removeAddress(const std::string& netns, const std::string& ifname,
                       const IpPrefix& prefix) override;
  Status setTxChecksumOffload(const std::string& netns, const std::string& name, bool on) override;
  Status announceAddress(const std::string& netns, const std::string& ifname,
                         const IpAddress& ip) override;
  StatusOr<std::vector<LinkInfo>> listLinks(const std::string& netns) override;
};

// Reads the TX checksum offload setting (ETHTOOL_GTXCSUM) of a link.
StatusOr<bool> getTxChecksumOffload(const std::string& netns, const std::string& name);

}  // namespace alcor::netlink
