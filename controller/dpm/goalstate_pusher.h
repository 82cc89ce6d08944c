#pragma once

// Delivers one serialized GoalState message to one agent and returns what it answered. The gRPC
// implementation (controller/grpc/grpc_pusher.h) sends the bytes as they are over
// PushGoalStatesStream (v2) or PushNetworkResourceStates (v1); tests use
// tests/fakes/fake_goalstate_pusher.h or fake agents.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controller/dpm/goalstate_messages.h"
#include "lib/base/status.h"

namespace alcor::controller {

// An agent's GoalStateOperationReply, reduced to what the scheduler acts on.
struct PushReply {
  std::vector<std::string> acknowledged_ports;  // PORT CREATE/UPDATE answered SUCCESS
  std::vector<std::string> failures;  // "<TYPE> <id>: <status>" for FAILURE and INVALID_ARG
};

// Reads a serialized GoalStateOperationReply (the statuses are parsed on an arena: a reply to a
// neighbor chunk has a thousand of them).
StatusOr<PushReply> readPushReply(std::string_view bytes);

class GoalStatePusher {
 public:
  virtual ~GoalStatePusher() = default;
  // `address` is "ip:port". kUnavailable / kDeadlineExceeded when the agent is unreachable.
  virtual StatusOr<PushReply> push(const std::string& address, const EncodedGoalState& message) = 0;
  // Shutdown: aborts pushes in flight and fails later ones at once.
  virtual void cancelAll() {}
};

using GoalStatePusherPtr = std::unique_ptr<GoalStatePusher>;

}  // namespace alcor::controller
