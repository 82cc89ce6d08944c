#include "cni-plugin/agent_client.h"

#include <grpcpp/grpcpp.h>

#include "cni/v1/cni.grpc.pb.h"

namespace alcor::cni {

AgentReply callAgent(const AgentCall& call) {
  AgentReply reply;
  auto channel =
      grpc::CreateChannel("unix://" + call.socket_path, grpc::InsecureChannelCredentials());
  auto stub = v1::Cni::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + call.timeout);
  v1::CniCmdResponse response;
  grpc::Status status;
  switch (call.command) {
    case Command::kAdd:
      status = stub->CmdAdd(&ctx, call.request, &response);
      break;
    case Command::kDel:
      status = stub->CmdDel(&ctx, call.request, &response);
      break;
    case Command::kCheck:
      status = stub->CmdCheck(&ctx, call.request, &response);
      break;
    case Command::kGc:
      status = stub->CmdGc(&ctx, call.request, &response);
      break;
    case Command::kStatus:
      status = stub->CmdStatus(&ctx, call.request, &response);
      break;
    case Command::kVersion:
      break;  // answered locally, never sent
  }
  if (!status.ok()) {
    std::string where = "alcor-agent at " + call.socket_path;
    switch (status.error_code()) {
      case grpc::StatusCode::UNAVAILABLE:
        reply.error.code = call.command == Command::kStatus ? ErrorCode::kPluginNotAvailable
                                                            : ErrorCode::kTryAgainLater;
        reply.error.message = "cannot reach " + where + " (is the agent running?)";
        reply.error.details = status.error_message();
        break;
      case grpc::StatusCode::DEADLINE_EXCEEDED:
        reply.error.code = call.command == Command::kStatus ? ErrorCode::kPluginNotAvailable
                                                            : ErrorCode::kTryAgainLater;
        reply.error.message =
            where + " did not answer within " + std::to_string(call.timeout.count()) + "s";
        break;
      case grpc::StatusCode::UNIMPLEMENTED:
        reply.error.code = ErrorCode::kIncompatibleApiVersion;
        reply.error.message = where + " does not implement " +
                              std::string(commandName(call.command)) +
                              " (incompatible agent version)";
        break;
      default:
        reply.error.code = ErrorCode::kUnknownRpcError;
        reply.error.message = "call to " + where + " failed: " + status.error_message();
        break;
    }
    return reply;
  }
  if (response.has_error() && response.error().code() != v1::UNKNOWN) {
    reply.error.code = static_cast<ErrorCode>(response.error().code());
    reply.error.message = response.error().message();
    reply.error.details = response.error().details();
    return reply;
  }
  if (response.has_error() && !response.error().message().empty()) {
    // UNKNOWN (0) with a message is still a failure.
    reply.error.code = ErrorCode::kUnknownRpcError;
    reply.error.message = response.error().message();
    return reply;
  }
  reply.result = response.cni_result();
  return reply;
}

}  // namespace alcor::cni
