#include "controller/grpc/grpc_pusher.h"

#include "controller/dpm/goalstate_builder.h"
#include "lib/security/grpc_tls.h"

namespace alcor::controller {

Status fromGrpcStatus(const grpc::Status& status, const std::string& context) {
  if (status.ok()) return okStatus();
  return Status(static_cast<StatusCode>(status.error_code()),
                context + ": " + status.error_message());
}

grpc::ChannelArguments agentChannelArguments() {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 10000);
  return args;
}

GrpcGoalStatePusher::GrpcGoalStatePusher(GrpcPusherOptions options) : options_(std::move(options)) {
  if (!options_.credentials) options_.credentials = grpc::InsecureChannelCredentials();
}

void GrpcGoalStatePusher::cancelAll() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  for (auto* ctx : in_flight_) ctx->TryCancel();
}

schema::GoalStateProvisioner::Stub* GrpcGoalStatePusher::stub(const std::string& address) {
  std::string name = options_.peer_name ? options_.peer_name(address) : "";
  if (options_.peer_name && name.empty()) return nullptr;
  std::lock_guard lock(mu_);
  auto& s = stubs_[{address, name}];
  if (!s) {
    grpc::ChannelArguments args = agentChannelArguments();
    if (!name.empty()) security::expectPeerName(args, name);
    s = schema::GoalStateProvisioner::NewStub(
        grpc::CreateCustomChannel(address, options_.credentials, args));
  }
  return s.get();
}

StatusOr<schema::GoalStateOperationReply> GrpcGoalStatePusher::push(
    const std::string& address, const schema::GoalStateV2& goal_state) {
  auto* stub_for_peer = stub(address);
  if (stub_for_peer == nullptr) {
    return failedPreconditionError("push to " + address + ": no node registered there");
  }
  auto& s = *stub_for_peer;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.timeout);
  {
    std::lock_guard lock(mu_);
    if (cancelled_) return cancelledError("push to " + address + ": shutting down");
    in_flight_.insert(&ctx);
  }
  struct Done {
    GrpcGoalStatePusher* self;
    grpc::ClientContext* ctx;
    ~Done() {
      std::lock_guard lock(self->mu_);
      self->in_flight_.erase(ctx);
    }
  } done{this, &ctx};
  schema::GoalStateOperationReply reply;
  if (options_.goalstate_version == 1) {
    schema::GoalState v1 = toGoalStateV1(goal_state);
    v1.set_format_version(1);
    grpc::Status st = s.PushNetworkResourceStates(&ctx, v1, &reply);
    if (!st.ok()) return fromGrpcStatus(st, "push to " + address);
    return reply;
  }
  auto stream = s.PushGoalStatesStream(&ctx);
  bool written = stream->Write(goal_state);
  if (written) stream->WritesDone();
  bool got = written && stream->Read(&reply);
  grpc::Status st = stream->Finish();
  if (!st.ok()) return fromGrpcStatus(st, "push to " + address);
  if (!got) return unavailableError("push to " + address + ": stream closed without a reply");
  return reply;
}

}  // namespace alcor::controller
