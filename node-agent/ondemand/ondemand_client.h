#pragma once

// The agent's side of Alcor's on-demand contract: RequestGoalStates (alcor.schema.
// GoalStateProvisioner) on the controller. The controller identifies the host by its client
// certificate (or the peer IP in plaintext),
// pushes the states the request needs over the usual GoalState channel, and only then replies
// SUCCESS (routable) or FAILURE (not routable) per request id.

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <grpcpp/security/credentials.h>

#include "alcor/goalstateprovisioner.pb.h"
#include "lib/base/status.h"

namespace alcor::agent {

class OnDemandClient {
 public:
  virtual ~OnDemandClient() = default;
  // kUnavailable / kDeadlineExceeded when the controller cannot be reached in time.
  virtual StatusOr<schema::HostRequestReply> requestGoalStates(
      const schema::HostRequest& request) = 0;
};

// gRPC client for "host:port"; each call has `timeout` as its deadline. `credentials` null:
// plaintext; else mutual TLS, and the server must prove `server_name` (docs/security.md).
std::unique_ptr<OnDemandClient> makeGrpcOnDemandClient(
    const std::string& target, std::chrono::milliseconds timeout,
    std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr,
    const std::string& server_name = "");

// Records requests and answers with `responder` (default: every request SUCCESS). A responder
// can mutate a dataplane first, as the real controller pushes states before it replies.
class FakeOnDemandClient : public OnDemandClient {
 public:
  using Responder = std::function<StatusOr<schema::HostRequestReply>(const schema::HostRequest&)>;

  StatusOr<schema::HostRequestReply> requestGoalStates(const schema::HostRequest& request) override;

  void setResponder(Responder responder);
  std::vector<schema::HostRequest> requests() const;

  // The reply that marks every request of `request` with `status`.
  static schema::HostRequestReply replyAll(const schema::HostRequest& request,
                                           schema::OperationStatus status);

 private:
  mutable std::mutex mu_;
  Responder responder_;
  std::vector<schema::HostRequest> requests_;
};

}  // namespace alcor::agent
