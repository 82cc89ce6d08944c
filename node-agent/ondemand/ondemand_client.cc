#include "node-agent/ondemand/ondemand_client.h"

#include <grpcpp/grpcpp.h>

#include "alcor/goalstateprovisioner.grpc.pb.h"

namespace alcor::agent {
namespace {

class GrpcOnDemandClient : public OnDemandClient {
 public:
  GrpcOnDemandClient(const std::string& target, std::chrono::milliseconds timeout,
                     std::shared_ptr<grpc::ChannelCredentials> credentials,
                     const std::string& server_name)
      : timeout_(timeout) {
    grpc::ChannelArguments args;
    if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
    stub_ = schema::GoalStateProvisioner::NewStub(grpc::CreateCustomChannel(
        target, credentials ? credentials : grpc::InsecureChannelCredentials(), args));
  }

  StatusOr<schema::HostRequestReply> requestGoalStates(
      const schema::HostRequest& request) override {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + timeout_);
    schema::HostRequestReply reply;
    grpc::Status s = stub_->RequestGoalStates(&ctx, request, &reply);
    if (s.ok()) return reply;
    std::string what = "RequestGoalStates: " + s.error_message();
    if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) return deadlineExceededError(what);
    if (s.error_code() == grpc::StatusCode::PERMISSION_DENIED) return permissionDeniedError(what);
    if (s.error_code() == grpc::StatusCode::UNAVAILABLE) return unavailableError(what);
    return internalError(what);
  }

 private:
  std::unique_ptr<schema::GoalStateProvisioner::Stub> stub_;
  const std::chrono::milliseconds timeout_;
};

}  // namespace

std::unique_ptr<OnDemandClient> makeGrpcOnDemandClient(
    const std::string& target, std::chrono::milliseconds timeout,
    std::shared_ptr<grpc::ChannelCredentials> credentials, const std::string& server_name) {
  return std::make_unique<GrpcOnDemandClient>(target, timeout, std::move(credentials), server_name);
}

StatusOr<schema::HostRequestReply> FakeOnDemandClient::requestGoalStates(
    const schema::HostRequest& request) {
  Responder responder;
  {
    std::lock_guard lock(mu_);
    requests_.push_back(request);
    responder = responder_;
  }
  if (responder) return responder(request);
  return replyAll(request, schema::SUCCESS);
}

void FakeOnDemandClient::setResponder(Responder responder) {
  std::lock_guard lock(mu_);
  responder_ = std::move(responder);
}

std::vector<schema::HostRequest> FakeOnDemandClient::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

schema::HostRequestReply FakeOnDemandClient::replyAll(const schema::HostRequest& request,
                                                      schema::OperationStatus status) {
  schema::HostRequestReply reply;
  reply.set_format_version(request.format_version());
  for (const auto& r : request.state_requests()) {
    auto* st = reply.add_operation_statuses();
    st->set_request_id(r.request_id());
    st->set_operation_status(status);
  }
  return reply;
}

}  // namespace alcor::agent
