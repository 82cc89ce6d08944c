#include "controller/mq/nats_pusher.h"

#include "lib/southbound/subjects.h"

namespace alcor::controller {

StatusOr<PushReply> NatsGoalStatePusher::push(const std::string& host_ip,
                                              const EncodedGoalState& message) {
  if (message.version != 2) {
    return unimplementedError("GoalState v1 messages travel over gRPC only");
  }
  ASSIGN_OR_RETURN(nats::Message reply,
                   bus_.request(southbound::hostSubject(host_ip), message.bytes,
                                {{southbound::kEpochHeader, epoch_}}, timeout_));
  return readPushReply(reply.data);
}

}  // namespace alcor::controller
