#include "controller/grpc/grpc_pusher.h"

#include <future>

#include "lib/security/grpc_tls.h"
#include "lib/southbound/subjects.h"

namespace alcor::controller {

namespace {

constexpr const char* kPushStream = "/alcor.schema.GoalStateProvisioner/PushGoalStatesStream";
constexpr const char* kPushV1 = "/alcor.schema.GoalStateProvisioner/PushNetworkResourceStates";

// One message out, one reply in, on a stream of its own: write, half-close, read, finish.
class OneExchange : public grpc::ClientBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  explicit OneExchange(const grpc::ByteBuffer* request) : request_(request) {}

  void start() {
    StartWriteLast(request_, grpc::WriteOptions());
    StartRead(&reply_);
    StartCall();
  }
  // The call's status, whether a reply came, and the reply.
  grpc::Status wait(bool* got, grpc::ByteBuffer* reply) {
    grpc::Status st = done_.get_future().get();
    *got = got_;
    *reply = std::move(reply_);
    return st;
  }

  void OnReadDone(bool ok) override { got_ = ok; }
  void OnDone(const grpc::Status& status) override { done_.set_value(status); }

 private:
  const grpc::ByteBuffer* request_;
  grpc::ByteBuffer reply_;
  bool got_ = false;
  std::promise<grpc::Status> done_;
};

}  // namespace

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

grpc::GenericStub* GrpcGoalStatePusher::stub(const std::string& address) {
  std::string name = options_.peer_name ? options_.peer_name(address) : "";
  if (options_.peer_name && name.empty()) return nullptr;
  std::lock_guard lock(mu_);
  auto& s = stubs_[{address, name}];
  if (!s) {
    grpc::ChannelArguments args = agentChannelArguments();
    if (!name.empty()) security::expectPeerName(args, name);
    s = std::make_unique<grpc::GenericStub>(
        grpc::CreateCustomChannel(address, options_.credentials, args));
  }
  return s.get();
}

StatusOr<PushReply> GrpcGoalStatePusher::push(const std::string& address,
                                              const EncodedGoalState& message) {
  grpc::GenericStub* generic = stub(address);
  if (generic == nullptr) {
    return failedPreconditionError("push to " + address + ": no node registered there");
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + options_.timeout);
  if (!options_.epoch.empty()) ctx.AddMetadata(southbound::kEpochMetadata, options_.epoch);
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
  // The bytes are borrowed: the call ends before `message` does.
  grpc::Slice slice(message.bytes.data(), message.bytes.size(), grpc::Slice::STATIC_SLICE);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  grpc::Status st;
  bool got = true;
  if (message.version == 1) {
    std::promise<grpc::Status> finished;
    generic->UnaryCall(&ctx, kPushV1, grpc::StubOptions(), &request, &response,
                       [&finished](grpc::Status s) { finished.set_value(std::move(s)); });
    st = finished.get_future().get();
  } else {
    OneExchange exchange(&request);
    generic->PrepareBidiStreamingCall(&ctx, kPushStream, grpc::StubOptions(), &exchange);
    exchange.start();
    st = exchange.wait(&got, &response);
  }
  if (!st.ok()) return fromGrpcStatus(st, "push to " + address);
  if (!got) return unavailableError("push to " + address + ": stream closed without a reply");
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) return internalError("push to " + address + ": bad reply");
  thread_local std::string bytes;  // replies to neighbor chunks are tens of KB
  bytes.clear();
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  auto reply = readPushReply(bytes);
  if (!reply.ok()) return reply.status().withContext("push to " + address);
  return reply;
}

}  // namespace alcor::controller
