#pragma once

// alcor.schema.GoalStateProvisioner on the agent: v1 unary pushes and the v2 stream (any number
// of messages per stream, one reply per message in order, empty warm-up messages accepted,
// cancellation tolerated). The controller-side RPCs answer UNIMPLEMENTED.
// With a required peer name (mutual TLS, docs/security.md) a push is handled only when the
// client certificate names the controller; anything else is PERMISSION_DENIED and changes
// nothing. Every push is logged with the peer's identity.

#include <atomic>
#include <functional>

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "node-agent/goalstate/goalstate_handler.h"

namespace alcor::agent {

class GoalStateService final : public schema::GoalStateProvisioner::Service {
 public:
  // `controller_name` empty: no client identity is checked (plaintext, --insecure).
  explicit GoalStateService(GoalStateHandler& handler, std::string controller_name = "")
      : handler_(handler), controller_name_(std::move(controller_name)) {}

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

  // v2 messages go through `apply` instead of the handler: the NATS subscriber's bookkeeping
  // (--nats-servers; ports drive its subscriptions), given the controller's epoch from the
  // stream's metadata (empty when none). Set before the server starts.
  using V2Apply = std::function<schema::GoalStateOperationReply(schema::GoalStateV2 goal_state,
                                                                const std::string& epoch)>;
  void setV2Apply(V2Apply apply) { v2_apply_ = std::move(apply); }

  uint64_t messagesHandled() const { return messages_.load(); }
  uint64_t pushesRefused() const { return refused_.load(); }

 private:
  // OK when the caller may push; logs refusals. `who` gets the peer's description.
  grpc::Status admit(const grpc::ServerContext& context, std::string* who);

  GoalStateHandler& handler_;
  const std::string controller_name_;
  V2Apply v2_apply_;
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> messages_{0};
};

}  // namespace alcor::agent
