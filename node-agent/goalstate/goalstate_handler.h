#pragma once

// Applies GoalStates (v1 lists or v2 maps) the way Alcor's agent contract expects: context first
// (VPC, subnet, gateway, security group), then router -> port -> neighbor -> DHCP; one status per
// resource (SUCCESS / INVALID_ARG / FAILURE / PENDING) with microsecond timings; all flows of one
// message in one bundle. Bad states get INVALID_ARG and change nothing.

#include <chrono>
#include <string>

#include "alcor/goalstate.pb.h"
#include "alcor/goalstateprovisioner.pb.h"
#include "node-agent/dataplane/dataplane.h"

namespace alcor::agent {

struct GoalStateHandlerOptions {
  std::string node_ip;  // ports bound to another host are refused
  // How long a port CREATE/UPDATE waits for its interface (the CNI ADD creating it) before the
  // reply says PENDING; the port is programmed whenever the interface appears.
  std::chrono::milliseconds port_wait{10000};
};

class GoalStateHandler {
 public:
  GoalStateHandler(Dataplane& dataplane, GoalStateHandlerOptions options)
      : dataplane_(dataplane), options_(std::move(options)) {}

  schema::GoalStateOperationReply handle(const schema::GoalState& goal_state);
  schema::GoalStateOperationReply handle(const schema::GoalStateV2& goal_state);

  struct Item {
    schema::ResourceType type;
    schema::OperationType op;
    std::string key;  // map key (v2) or configuration id (v1): the reply's resource_id
    const google::protobuf::Message* config;
  };

 private:
  schema::GoalStateOperationReply process(std::vector<Item> items, uint32_t format_version);

  Dataplane& dataplane_;
  GoalStateHandlerOptions options_;
};

}  // namespace alcor::agent
