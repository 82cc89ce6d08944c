#pragma once

// GoalStatePusher over a message bus (NATS): a push is a request on the host's subject
// (alcor.gs.host.<host>) carrying the message bytes exactly as the gRPC path sends them, and
// the agent's reply is its GoalStateOperationReply. The PushScheduler above it keeps per-host
// order, coalescing, chunking, acknowledgements and retries (a request lost with a failing
// broker node times out and is retried). The "address" the scheduler passes is the host IP.
// Only GoalStateV2 messages: v1 stays on gRPC.

#include <string>

#include "controller/dpm/goalstate_pusher.h"
#include "lib/nats/message_bus.h"

namespace alcor::controller {

class NatsGoalStatePusher : public GoalStatePusher {
 public:
  // `epoch` goes into every message (Alcor-Epoch): agents see a controller restart.
  NatsGoalStatePusher(nats::MessageBus& bus, std::string epoch, std::chrono::milliseconds timeout)
      : bus_(bus), epoch_(std::move(epoch)), timeout_(timeout) {}
  StatusOr<PushReply> push(const std::string& host_ip, const EncodedGoalState& message) override;

 private:
  nats::MessageBus& bus_;
  std::string epoch_;
  std::chrono::milliseconds timeout_;
};

}  // namespace alcor::controller
