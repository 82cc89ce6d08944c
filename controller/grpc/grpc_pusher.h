#pragma once

// GoalStatePusher over gRPC to the agents' GoalStateProvisioner. The message is already
// serialized (goalstate_messages.h): it goes out as those bytes through the generic stub, never
// parsed or serialized again. v2 opens a PushGoalStatesStream per push (as Alcor's NCM does),
// writes one GoalStateV2, half-closes and reads the one reply; v1 calls
// PushNetworkResourceStates with a GoalState. One channel per agent address, unlimited message
// size, fast reconnects (the scheduler does the backoff). With mutual TLS each channel accepts
// only the certificate of the node registered at its address.

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include <grpcpp/grpcpp.h>

#include <grpcpp/generic/generic_stub.h>

#include "controller/dpm/goalstate_pusher.h"

namespace alcor::controller {

struct GrpcPusherOptions {
  // The agent may hold a reply until the CNI ADD plugs the interface (up to ~10 s).
  std::chrono::milliseconds timeout{30000};
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // null: plaintext
  // With TLS: the name the agent at an address must prove (the node registered there); a push
  // to an address without one fails. Null: plaintext channels, no names.
  std::function<std::string(const std::string& address)> peer_name;
  // --southbound=auto: the controller's NATS epoch, sent with every push (metadata
  // alcor-epoch), so that an agent sees a controller restart on either path.
  std::string epoch;
};

class GrpcGoalStatePusher : public GoalStatePusher {
 public:
  explicit GrpcGoalStatePusher(GrpcPusherOptions options);
  StatusOr<PushReply> push(const std::string& address, const EncodedGoalState& message) override;
  void cancelAll() override;

 private:
  // The stub for an address and the peer name it must prove; null when no name is known.
  grpc::GenericStub* stub(const std::string& address);

  GrpcPusherOptions options_;
  std::mutex mu_;
  // By address and peer name: a node re-registered under another name gets a new channel.
  std::map<std::pair<std::string, std::string>, std::unique_ptr<grpc::GenericStub>> stubs_;
  std::set<grpc::ClientContext*> in_flight_;
  bool cancelled_ = false;
};

// Maps a gRPC failure to the project's Status.
Status fromGrpcStatus(const grpc::Status& status, const std::string& context);

// Channel arguments shared by the controller's clients.
grpc::ChannelArguments agentChannelArguments();

}  // namespace alcor::controller
