#include "node-agent/goalstate/goalstate_server.h"

#include "lib/base/logging.h"

namespace alcor::agent {

grpc::Status GoalStateService::PushNetworkResourceStates(grpc::ServerContext* context,
                                                         const schema::GoalState* request,
                                                         schema::GoalStateOperationReply* reply) {
  ALOG(Debug, GoalState) << "v1 goal state from " << context->peer();
  *reply = handler_.handle(*request);
  ++messages_;
  return grpc::Status::OK;
}

grpc::Status GoalStateService::PushGoalStatesStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<schema::GoalStateOperationReply, schema::GoalStateV2>* stream) {
  ALOG(Debug, GoalState) << "v2 stream opened by " << context->peer();
  schema::GoalStateV2 message;
  uint64_t count = 0;
  while (stream->Read(&message)) {
    schema::GoalStateOperationReply reply = handler_.handle(message);
    ++messages_;
    ++count;
    if (!stream->Write(reply)) {
      ALOG(Warn, GoalState) << "v2 stream from " << context->peer()
                            << " closed before the reply to message " << count;
      break;
    }
  }
  ALOG(Debug, GoalState) << "v2 stream from " << context->peer() << " ended after " << count
                         << " messages" << (context->IsCancelled() ? " (cancelled)" : "");
  return grpc::Status::OK;
}

grpc::Status GoalStateService::RequestGoalStates(grpc::ServerContext*, const schema::HostRequest*,
                                                 schema::HostRequestReply*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "RequestGoalStates is served by the controller, not the agent");
}

grpc::Status GoalStateService::PushGoalstates(grpc::ServerContext*,
                                              const schema::NeighborRulesRequest*,
                                              schema::GoalStateOperationReply*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "PushGoalstates is for Arion gateways");
}

}  // namespace alcor::agent
