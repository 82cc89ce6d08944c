#pragma once

// DPM's subnet -> port -> host cache (Alcor's SubnetPortsCache / PortHostInfoCache): which hosts
// have ports in which subnets, so a port change reaches exactly the hosts that need it. Holds
// only ports bound to a known host. In memory; rebuilt from the store at start.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "controller/model/resource_id.h"

namespace alcor::controller {

class SubnetPortCache {
 public:
  void add(const ResourceId& port_id, const std::string& host_ip,
           const std::vector<ResourceId>& subnet_ids);
  void remove(const ResourceId& port_id);

  // Empty when the port is not cached.
  const std::string& hostOf(const ResourceId& port_id) const;
  // port id -> host ip.
  const std::map<ResourceId, std::string>& portsInSubnet(const ResourceId& subnet_id) const;
  // host ip -> how many of its ports have an address in the subnet.
  const std::map<std::string, int>& hostsInSubnet(const ResourceId& subnet_id) const;
  std::set<ResourceId> subnetsOfHost(const std::string& host_ip) const;
  const std::set<ResourceId>& portsOnHost(const std::string& host_ip) const;
  // How many of the host's ports have an address in the subnet.
  int count(const std::string& host_ip, const ResourceId& subnet_id) const;
  size_t size() const { return ports_.size(); }

 private:
  struct Entry {
    std::string host_ip;
    std::vector<ResourceId> subnet_ids;
  };
  std::map<ResourceId, Entry> ports_;
  std::map<ResourceId, std::map<ResourceId, std::string>> subnet_ports_;
  std::map<std::string, std::map<ResourceId, int>> host_subnet_count_;
  std::map<ResourceId, std::map<std::string, int>> subnet_host_count_;
  std::map<std::string, std::set<ResourceId>> host_ports_;
};

}  // namespace alcor::controller
