#pragma once

// alcor.schema.GoalStateProvisioner on the agent: v1 unary pushes and the v2 stream (any number
// of messages per stream, one reply per message in order, empty warm-up messages accepted,
// cancellation tolerated). The controller-side RPCs answer UNIMPLEMENTED.

#include <atomic>

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "node-agent/goalstate/goalstate_handler.h"

namespace alcor::agent {

class GoalStateService final : public schema::GoalStateProvisioner::Service {
 public:
  explicit GoalStateService(GoalStateHandler& handler) : handler_(handler) {}

  grpc::Status PushNetworkResourceStates(grpc::ServerContext* context,
                                         const schema::GoalState* request,
                                         schema::GoalStateOperationReply* reply) override;
  grpc::Status PushGoalStatesStream(grpc::ServerContext* context,
                                    grpc::ServerReaderWriter<schema::GoalStateOperationReply,
                                                             schema::GoalStateV2>* stream) override;
  grpc::Status RequestGoalStates(grpc::ServerContext* context, const schema::HostRequest* request,
                                 schema::HostRequestReply* reply) override;
  grpc::Status PushGoalstates(grpc::ServerContext* context,
                              const schema::NeighborRulesRequest* request,
                              schema::GoalStateOperationReply* reply) override;

  uint64_t messagesHandled() const { return messages_.load(); }

 private:
  GoalStateHandler& handler_;
  std::atomic<uint64_t> messages_{0};
};

}  // namespace alcor::agent
