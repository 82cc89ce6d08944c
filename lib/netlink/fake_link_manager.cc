#include "lib/netlink/fake_link_manager.h"

#include <algorithm>

#include "lib/netlink/netns.h"

namespace alcor::netlink {
namespace {

LinkInfo loopback() {
  LinkInfo lo;
  lo.name = "lo";
  lo.ifindex = 1;
  lo.mtu = 65536;
  lo.up = true;
  return lo;
}

}  // namespace

FakeLinkManager::FakeLinkManager() { namespaces_[""]["lo"] = FakeLink{loopback(), true, {}, {}}; }

void FakeLinkManager::addNetns(const std::string& netns) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = namespaces_.try_emplace(netnsPath(netns));
  if (inserted) it->second["lo"] = FakeLink{loopback(), true, {}, {}};
}

void FakeLinkManager::removeNetns(const std::string& netns) {
  std::lock_guard lock(mu_);
  auto it = namespaces_.find(netnsPath(netns));
  if (it == namespaces_.end()) return;
  // Veths with an end inside go away entirely, as in the kernel.
  for (const auto& [name, link] : it->second) {
    if (link.peer_name.empty()) continue;
    auto peer_ns = namespaces_.find(link.peer_netns);
    if (peer_ns != namespaces_.end()) peer_ns->second.erase(link.peer_name);
  }
  namespaces_.erase(it);
}

void FakeLinkManager::addLink(const std::string& netns, LinkInfo link) {
  std::lock_guard lock(mu_);
  if (link.ifindex == 0) link.ifindex = next_ifindex_++;
  std::string name = link.name;
  namespaces_[netnsPath(netns)][name] = FakeLink{std::move(link), true, {}, {}};
}

void FakeLinkManager::failNext(const std::string& method, Status status) {
  std::lock_guard lock(mu_);
  fail_next_[method] = std::move(status);
}

void FakeLinkManager::failAlways(const std::string& method, Status status) {
  std::lock_guard lock(mu_);
  fail_always_[method] = std::move(status);
}

void FakeLinkManager::clearFailures() {
  std::lock_guard lock(mu_);
  fail_next_.clear();
  fail_always_.clear();
}

std::vector<std::string> FakeLinkManager::calls() const {
  std::lock_guard lock(mu_);
  return calls_;
}

std::vector<std::string> FakeLinkManager::announcements() const {
  std::lock_guard lock(mu_);
  return announcements_;
}

bool FakeLinkManager::txChecksumOffload(const std::string& netns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto ns = namespaces_.find(netnsPath(netns));
  if (ns == namespaces_.end()) return false;
  auto it = ns->second.find(name);
  return it != ns->second.end() && it->second.tx_csum;
}

bool FakeLinkManager::arpForOwnAddressesOnly(const std::string& netns,
                                             const std::string& name) const {
  std::lock_guard lock(mu_);
  auto ns = namespaces_.find(netnsPath(netns));
  if (ns == namespaces_.end()) return false;
  auto it = ns->second.find(name);
  return it != ns->second.end() && it->second.arp_own_only;
}

Status FakeLinkManager::takeFailure(const std::string& method, const std::string& args) {
  calls_.push_back(method + "(" + args + ")");
  if (auto it = fail_always_.find(method); it != fail_always_.end()) return it->second;
  if (auto it = fail_next_.find(method); it != fail_next_.end()) {
    Status s = it->second;
    fail_next_.erase(it);
    return s;
  }
  return okStatus();
}

FakeLinkManager::Namespace* FakeLinkManager::findNs(const std::string& netns) {
  auto it = namespaces_.find(netnsPath(netns));
  return it == namespaces_.end() ? nullptr : &it->second;
}

MacAddress FakeLinkManager::nextMac() { return MacAddress::fromUint64(next_mac_++); }

StatusOr<VethPair> FakeLinkManager::createVeth(const VethSpec& spec) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(takeFailure(kCreateVeth, spec.pod_netns + "," + spec.host_name));
  Namespace* host = findNs("");
  Namespace* pod = findNs(spec.pod_netns);
  if (!pod) return notFoundError("fake: no network namespace " + spec.pod_netns);
  if (host->count(spec.host_name)) return alreadyExistsError("fake: " + spec.host_name + " exists");
  if (pod->count(spec.pod_ifname)) {
    return alreadyExistsError("fake: " + spec.pod_ifname + " exists in " + spec.pod_netns);
  }
  bool tx = !spec.tx_checksum_offload_off;
  FakeLink h{LinkInfo{spec.host_name, next_ifindex_++, nextMac(), spec.mtu, true, {}, {}, "veth"},
             tx, netnsPath(spec.pod_netns), spec.pod_ifname};
  FakeLink p{LinkInfo{spec.pod_ifname,
                      next_ifindex_++,
                      spec.pod_mac.value_or(nextMac()),
                      spec.mtu,
                      true,
                      {},
                      {},
                      "veth"},
             tx, "", spec.host_name};
  VethPair pair{h.info.ifindex, h.info.mac, p.info.ifindex, p.info.mac};
  (*host)[spec.host_name] = std::move(h);
  (*pod)[spec.pod_ifname] = std::move(p);
  return pair;
}

Status FakeLinkManager::deleteLink(const std::string& netns, const std::string& name) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(takeFailure(kDeleteLink, netns + "," + name));
  Namespace* ns = findNs(netns);
  if (!ns) return okStatus();
  auto it = ns->find(name);
  if (it == ns->end()) return okStatus();
  if (!it->second.peer_name.empty()) {
    if (Namespace* peer_ns = findNs(it->second.peer_netns)) peer_ns->erase(it->second.peer_name);
  }
  ns->erase(name);
  return okStatus();
}

StatusOr<std::optional<LinkInfo>> FakeLinkManager::getLink(const std::string& netns,
                                                           const std::string& name) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(takeFailure(kGetLink, netns + "," + name));
  Namespace* ns = findNs(netns);
  if (!ns) return notFoundError("fake: no network namespace " + netns);
  auto it = ns->find(name);
  if (it == ns->end()) return std::optional<LinkInfo>();
  return std::optional<LinkInfo>(it->second.info);
}

Status FakeLinkManager::configureLink(const std::string& netns, const LinkConfig& config) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(takeFailure(kConfigureLink, netns + "," + config.ifname));
  Namespace* ns = findNs(netns);
  if (!ns) return notFoundError("fake: no network namespace " + netns);
  auto it = ns->find(config.ifname);
  if (it == ns->end()) return notFoundError("fake: no link " + config.ifname);
  LinkInfo& info = it->second.info;
  if (config.mac) info.mac = *config.mac;
  if (config.mtu) info.mtu = *config.mtu;
  info.up = config.up;
  if (config.arp_for_own_addresses_only) it->second.arp_own_only = true;
  for (const auto& a : config.addresses) {
    if (std::find(info.addresses.begin(), info.addresses.end(), a) == info.addresses.end()) {
      info.addresses.push_back(a);
    }
  }
  for (const auto& r : config.routes) {
    auto same = std::find_if(info.routes.begin(), info.routes.end(), [&](const RouteSpec& x) {
      return x.destination.network() == r.destination.network() &&
             x.destination.length() == r.destination.length();
    });
    if (same != info.routes.end()) {
      *same = r;
    } else {
      info.routes.push_back(r);
    }
  }
  return okStatus();
}

Status FakeLinkManager::removeAddress(const std::string& netns, const std::string& ifname,
                                      const IpPrefix& prefix) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(takeFailure(kRemoveAddress, netns + "," + ifname));
  Namespace* ns = findNs(netns);
  if (!ns) return notFoundError("fake: no network namespace " + netns);
  auto it = ns->find(ifname);
  if (it == ns->end()) return okStatus();
  std::erase(it->second.info.addresses, prefix);
  return okStatus();
}

Status FakeLinkManager::setTxChecksumOffload(const std::string& netns, const std::string& name,
                                             bool on) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(takeFailure(kSetTxChecksumOffload, netns + "," + name));
  Namespace* ns = findNs(netns);
  if (!ns) return notFoundError("fake: no network namespace " + netns);
  auto it = ns->find(name);
  if (it == ns->end()) return notFoundError("fake: no link " + name);
  it->second.tx_csum = on;
  return okStatus();
}

Status FakeLinkManager::announceAddress(const std::string& netns, const std::string& ifname,
                                        const IpAddress& ip) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(takeFailure(kAnnounceAddress, netns + "," + ifname));
  Namespace* ns = findNs(netns);
  if (!ns) return notFoundError("fake: no network namespace " + netns);
  if (!ns->count(ifname)) return notFoundError("fake: no link " + ifname);
  announcements_.push_back(netns + "/" + ifname + "/" + ip.toString());
  return okStatus();
}

StatusOr<std::vector<LinkInfo>> FakeLinkManager::listLinks(const std::string& netns) {
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(takeFailure(kListLinks, netns));
  Namespace* ns = findNs(netns);
  if (!ns) return notFoundError("fake: no network namespace " + netns);
  std::vector<LinkInfo> out;
  for (const auto& [name, link] : *ns) out.push_back(link.info);
  return out;
}

}  // namespace alcor::netlink
