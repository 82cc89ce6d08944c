#pragma once

// In-memory LinkManager for the agent's unit tests: namespaces are maps of links, every call is
// recorded, and any method can be made to fail (once or always) to exercise rollback paths.

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lib/netlink/link_manager.h"

namespace alcor::netlink {

class FakeLinkManager : public LinkManager {
 public:
  // Method names used for failure injection and the call log.
  static constexpr const char* kCreateVeth = "createVeth";
  static constexpr const char* kDeleteLink = "deleteLink";
  static constexpr const char* kGetLink = "getLink";
  static constexpr const char* kConfigureLink = "configureLink";
  static constexpr const char* kRemoveAddress = "removeAddress";
  static constexpr const char* kSetTxChecksumOffload = "setTxChecksumOffload";
  static constexpr const char* kAnnounceAddress = "announceAddress";
  static constexpr const char* kListLinks = "listLinks";

  FakeLinkManager();  // the caller's namespace "" exists and holds "lo"

  // Namespaces must be added before use (by path or name; both spellings address the same one).
  void addNetns(const std::string& netns);
  void removeNetns(const std::string& netns);  // drops its links, like the kernel does
  // Puts a link straight into a namespace (e.g. a pre-existing eth0 to provoke a clash).
  void addLink(const std::string& netns, LinkInfo link);

  // The next call of `method` returns `status` (once), or every call with failAlways.
  void failNext(const std::string& method, Status status);
  void failAlways(const std::string& method, Status status);
  void clearFailures();

  // "method(netns,name)" for every call, in order.
  std::vector<std::string> calls() const;
  // Gratuitous ARPs sent: "netns/ifname/ip".
  std::vector<std::string> announcements() const;
  bool txChecksumOffload(const std::string& netns, const std::string& name) const;
  // Whether configureLink asked the link to answer ARP for its own addresses only.
  bool arpForOwnAddressesOnly(const std::string& netns, const std::string& name) const;

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

 private:
  struct FakeLink {
    LinkInfo info;
    bool tx_csum = true;
    std::string peer_netns;  // veth: where the other end lives
    std::string peer_name;
    bool arp_own_only = false;  // configureLink's arp_for_own_addresses_only
  };
  using Namespace = std::map<std::string, FakeLink>;

  Status takeFailure(const std::string& method, const std::string& args);  // locked
  Namespace* findNs(const std::string& netns);                             // locked
  MacAddress nextMac();

  mutable std::mutex mu_;
  std::map<std::string, Namespace> namespaces_;  // keyed by netnsPath()
  std::map<std::string, Status> fail_next_;
  std::map<std::string, Status> fail_always_;
  std::vector<std::string> calls_;
  std::vector<std::string> announcements_;
  int next_ifindex_ = 2;
  uint64_t next_mac_ = 0x0a5800000001ULL;
};

}  // namespace alcor::netlink
