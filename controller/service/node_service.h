#pragma once

// Nodes (compute hosts running alcor-agent). Registering or re-registering a node tells the
// GoalStateSink where its agent listens and replaces whatever is queued for it by its full state;
// its ports are placed on it (or re-announced with its new IP). Errors: kAlreadyExists for a name
// or IP in use, kNotFound.

#include <string>
#include <vector>

#include "controller/dpm/dpm.h"
#include "controller/dpm/goalstate_sink.h"
#include "controller/service/resource_store.h"

namespace alcor::controller {

class NodeService {
 public:
  NodeService(ResourceStore& store, Dpm& dpm, GoalStateSink& sink)
      : store_(store), dpm_(dpm), sink_(sink) {}

  StatusOr<Node> create(Node node);
  StatusOr<Node> update(const ResourceId& id, Node node);
  StatusOr<Node> get(const ResourceId& id) const;
  std::vector<Node> list() const;
  Status remove(const ResourceId& id);

  // Agent address ("ip:port") of the node with that IP; empty when unknown.
  std::string agentAddress(const std::string& host_ip) const;
  // Name of the node whose agent is dialled at `address` ("ip:port"); empty when none.
  std::string nodeNameAtAddress(const std::string& address) const;
  // IP of the node named `name`; empty when none is registered.
  std::string nodeIpByName(const std::string& name) const;

  // Start-up (lock held by the caller): where every known node's agent listens.
  void announceAddressesLocked();

 private:
  void changedLocked(const Node* before, const Node* after);

  ResourceStore& store_;
  Dpm& dpm_;
  GoalStateSink& sink_;
};

}  // namespace alcor::controller
