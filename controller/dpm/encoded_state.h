#pragma once

// One resource state of a GoalState, serialized once and shared (by pointer) by every host and
// every message that carries it. The DPM builds a neighbor's state once per change however many
// hosts need it; the PushScheduler frames these bytes into each host's GoalStateV2 (or v1)
// messages (goalstate_messages.h) without parsing or re-serializing them.

#include <memory>
#include <string>
#include <vector>

#include "alcor/goalstate.pb.h"

namespace alcor::controller {

namespace schema = ::alcor::schema;

struct EncodedState;
using StatePtr = std::shared_ptr<const EncodedState>;

struct EncodedState {
  schema::ResourceType type = schema::VPC;
  schema::OperationType operation = schema::INFO;
  std::string key;    // its key in the GoalStateV2 map: id, "L2/<port>", "<port>/<n>"
  std::string bytes;  // the serialized VpcState, PortState, NeighborState...
  // VPC and subnet states the agent needs in the same message (a neighbor, port, DHCP entry or
  // router refers to its subnets); a subnet's context is its VPC.
  std::vector<StatePtr> context;
};

// Serializes `state` (a VpcState, SubnetState, ... message) with its operation type.
template <typename StateMessage>
StatePtr encodeState(schema::ResourceType type, std::string key, const StateMessage& state,
                     std::vector<StatePtr> context = {}) {
  auto out = std::make_shared<EncodedState>();
  out->type = type;
  out->operation = state.operation_type();
  out->key = std::move(key);
  state.SerializeToString(&out->bytes);
  out->context = std::move(context);
  return out;
}

}  // namespace alcor::controller
