#pragma once

// What the policy component needs from the controller's resource store, and nothing more:
// read and replace the groups it owns, set the groups NetworkPolicy gives a port (kept apart from
// the port's own security groups), learn about ports. Implemented over the controller's services
// by services_writer.cc; tests use tests/fakes/fake_security_policy_writer.h.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "controller/model/resources.h"
#include "lib/base/status.h"

namespace alcor::controller {
class ControllerServices;
}

namespace alcor::controller::netpol {

// The groups NetworkPolicy gives one port.
struct PortPolicyGroups {
  std::vector<std::string> filter;   // filter the port (with its own security groups)
  std::vector<std::string> address;  // count the port's addresses as members, nothing else
  bool operator==(const PortPolicyGroups&) const = default;
};

// A port of a pod, as the policy component sees it.
struct PodPort {
  std::string port_id;
  std::string device_id;  // the pod's UID
  bool has_own_groups = false;
  PortPolicyGroups groups;
};

struct SecurityPolicyChange {
  std::vector<SecurityGroup> put;                 // created or replaced, rules included
  std::map<std::string, PortPolicyGroups> ports;  // by port id
  std::vector<std::string> remove;                // group ids, deleted after the ports
  bool empty() const { return put.empty() && ports.empty() && remove.empty(); }
};

class SecurityPolicyWriter {
 public:
  virtual ~SecurityPolicyWriter() = default;
  // Groups whose id starts with `prefix` (the ones the policy component owns).
  virtual std::vector<SecurityGroup> listGroups(const std::string& prefix) const = 0;
  // Ports of Kubernetes pods (device_owner compute:kubernetes).
  virtual std::vector<PodPort> listPodPorts() const = 0;
  // All or nothing: groups put, then port groups set, then groups removed.
  virtual Status apply(const SecurityPolicyChange& change) = 0;
  // Called after any pod port is created, changed or deleted (not from within apply).
  virtual void setPortObserver(std::function<void()> observer) = 0;
  // Consulted when a pod's port is created, so that it starts with its policy groups:
  // (device id, has own groups) -> groups, or nullopt when the pod is unknown yet.
  using GroupsForNewPort = std::function<std::optional<PortPolicyGroups>(const std::string&, bool)>;
  virtual void setGroupsForNewPort(GroupsForNewPort source) = 0;
};

// What a writer keeps of setPortObserver and setGroupsForNewPort, safe to call from any thread
// (the callbacks run outside its lock).
class PortCallbacks {
 public:
  void setObserver(std::function<void()> observer) {
    std::lock_guard lock(mu_);
    observer_ = std::move(observer);
  }
  void setSource(SecurityPolicyWriter::GroupsForNewPort source) {
    std::lock_guard lock(mu_);
    source_ = std::move(source);
  }
  void notify() const {
    std::function<void()> observer;
    {
      std::lock_guard lock(mu_);
      observer = observer_;
    }
    if (observer) observer();
  }
  std::optional<PortPolicyGroups> groupsForNewPort(const std::string& device_id,
                                                   bool has_own_groups) const {
    SecurityPolicyWriter::GroupsForNewPort source;
    {
      std::lock_guard lock(mu_);
      source = source_;
    }
    return source ? source(device_id, has_own_groups) : std::nullopt;
  }

 private:
  mutable std::mutex mu_;
  std::function<void()> observer_;
  SecurityPolicyWriter::GroupsForNewPort source_;
};

// The writer over the controller's services (services_writer.cc).
std::unique_ptr<SecurityPolicyWriter> servicesWriter(ControllerServices& services);

}  // namespace alcor::controller::netpol
