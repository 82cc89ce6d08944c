#pragma once

// Delivers one GoalStateV2 to one agent and returns its reply. The gRPC implementation
// (controller/grpc/grpc_pusher.h) speaks PushGoalStatesStream or v1 PushNetworkResourceStates;
// tests use a fake or real fake-agent servers.

#include <memory>
#include <string>

#include "alcor/goalstateprovisioner.pb.h"
#include "lib/base/status.h"

namespace alcor::controller {

class GoalStatePusher {
 public:
  virtual ~GoalStatePusher() = default;
  // `address` is "ip:port". kUnavailable / kDeadlineExceeded when the agent is unreachable.
  virtual StatusOr<schema::GoalStateOperationReply> push(const std::string& address,
                                                         const schema::GoalStateV2& goal_state) = 0;
  // Shutdown: aborts pushes in flight and fails later ones at once.
  virtual void cancelAll() {}
};

using GoalStatePusherPtr = std::unique_ptr<GoalStatePusher>;

}  // namespace alcor::controller
