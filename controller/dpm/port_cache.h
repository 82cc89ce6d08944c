#pragma once

// DPM's subnet -> port -> host cache (Alcor's SubnetPortsCache / PortHostInfoCache): which hosts
// have ports in which subnets, so a port change reaches exactly the hosts that need it. Holds
// only ports bound to a known host. In memory; rebuilt from the store at start.

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace alcor::controller {

class SubnetPortCache {
 public:
  void add(const std::string& port_id, const std::string& host_ip,
           const std::vector<std::string>& subnet_ids);
  void remove(const std::string& port_id);

  // Empty when the port is not cached.
  std::string hostOf(const std::string& port_id) const;
  // port id -> host ip.
  const std::map<std::string, std::string>& portsInSubnet(const std::string& subnet_id) const;
  std::set<std::string> hostsInSubnet(const std::string& subnet_id) const;
  std::set<std::string> subnetsOfHost(const std::string& host_ip) const;
  std::vector<std::string> portsOnHost(const std::string& host_ip) const;
  // How many of the host's ports have an address in the subnet.
  int count(const std::string& host_ip, const std::string& subnet_id) const;
  size_t size() const { return ports_.size(); }

 private:
  struct Entry {
    std::string host_ip;
    std::vector<std::string> subnet_ids;
  };
  std::map<std::string, Entry> ports_;
  std::map<std::string, std::map<std::string, std::string>> subnet_ports_;
  std::map<std::string, std::map<std::string, int>> host_subnet_count_;
  std::map<std::string, std::map<std::string, int>> subnet_host_count_;
  std::map<std::string, std::set<std::string>> host_ports_;
};

}  // namespace alcor::controller
