#pragma once

// The read-only view of the resources that DPM computes GoalStates from. NetworkService
// implements it over its in-memory maps and calls DPM with its lock held, so lookups see one
// consistent state.

#include <functional>
#include <string>
#include <vector>

#include "controller/model/resources.h"

namespace alcor::controller {

class Topology {
 public:
  virtual ~Topology() = default;
  virtual const Vpc* findVpc(const std::string& id) const = 0;
  virtual const Subnet* findSubnet(const std::string& id) const = 0;
  virtual const Port* findPort(const std::string& id) const = 0;
  virtual const SecurityGroup* findSecurityGroup(const std::string& id) const = 0;
  virtual const Router* findRouter(const std::string& id) const = 0;
  virtual const Gateway* findGateway(const std::string& id) const = 0;
  virtual const Node* findNodeByIp(const std::string& local_ip) const = 0;
  // Routers with an interface on the subnet.
  virtual std::vector<const Router*> routersOfSubnet(const std::string& subnet_id) const = 0;
  virtual void forEachPort(const std::function<void(const Port&)>& fn) const = 0;
  virtual void forEachSecurityGroup(const std::function<void(const SecurityGroup&)>& fn) const = 0;
};

}  // namespace alcor::controller
