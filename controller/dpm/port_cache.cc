#include "controller/dpm/port_cache.h"

#include <algorithm>

namespace alcor::controller {

void SubnetPortCache::add(const ResourceId& port_id, const std::string& host_ip,
                          const std::vector<ResourceId>& subnet_ids) {
  remove(port_id);
  std::vector<ResourceId> unique;
  for (const auto& s : subnet_ids) {
    if (std::find(unique.begin(), unique.end(), s) == unique.end()) unique.push_back(s);
  }
  for (const auto& s : unique) {
    subnet_ports_[s][port_id] = host_ip;
    ++host_subnet_count_[host_ip][s];
    ++subnet_host_count_[s][host_ip];
  }
  host_ports_[host_ip].insert(port_id);
  ports_[port_id] = {host_ip, std::move(unique)};
}

void SubnetPortCache::remove(const ResourceId& port_id) {
  auto it = ports_.find(port_id);
  if (it == ports_.end()) return;
  const Entry& e = it->second;
  for (const auto& s : e.subnet_ids) {
    auto sp = subnet_ports_.find(s);
    if (sp != subnet_ports_.end()) {
      sp->second.erase(port_id);
      if (sp->second.empty()) subnet_ports_.erase(sp);
    }
    auto& counts = host_subnet_count_[e.host_ip];
    if (--counts[s] <= 0) counts.erase(s);
    if (counts.empty()) host_subnet_count_.erase(e.host_ip);
    auto& hosts = subnet_host_count_[s];
    if (--hosts[e.host_ip] <= 0) hosts.erase(e.host_ip);
    if (hosts.empty()) subnet_host_count_.erase(s);
  }
  auto hp = host_ports_.find(e.host_ip);
  if (hp != host_ports_.end()) {
    hp->second.erase(port_id);
    if (hp->second.empty()) host_ports_.erase(hp);
  }
  ports_.erase(it);
}

const std::string& SubnetPortCache::hostOf(const ResourceId& port_id) const {
  static const std::string kNone;
  auto it = ports_.find(port_id);
  return it == ports_.end() ? kNone : it->second.host_ip;
}

const std::map<ResourceId, std::string>& SubnetPortCache::portsInSubnet(
    const ResourceId& subnet_id) const {
  static const std::map<ResourceId, std::string> kEmpty;
  auto it = subnet_ports_.find(subnet_id);
  return it == subnet_ports_.end() ? kEmpty : it->second;
}

const std::map<std::string, int>& SubnetPortCache::hostsInSubnet(
    const ResourceId& subnet_id) const {
  static const std::map<std::string, int> kEmpty;
  auto it = subnet_host_count_.find(subnet_id);
  return it == subnet_host_count_.end() ? kEmpty : it->second;
}

std::set<ResourceId> SubnetPortCache::subnetsOfHost(const std::string& host_ip) const {
  std::set<ResourceId> out;
  auto it = host_subnet_count_.find(host_ip);
  if (it != host_subnet_count_.end()) {
    for (const auto& [s, n] : it->second) out.insert(s);
  }
  return out;
}

const std::set<ResourceId>& SubnetPortCache::portsOnHost(const std::string& host_ip) const {
  static const std::set<ResourceId> kEmpty;
  auto it = host_ports_.find(host_ip);
  return it == host_ports_.end() ? kEmpty : it->second;
}

int SubnetPortCache::count(const std::string& host_ip, const ResourceId& subnet_id) const {
  auto it = host_subnet_count_.find(host_ip);
  if (it == host_subnet_count_.end()) return 0;
  auto c = it->second.find(subnet_id);
  return c == it->second.end() ? 0 : c->second;
}

}  // namespace alcor::controller
