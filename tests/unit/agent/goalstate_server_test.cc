// The GoalStateProvisioner service over a real gRPC channel: the v2 stream carries several
// messages with one reply each (an empty warm-up message included), v1 unary works, controller
// RPCs answer UNIMPLEMENTED, and a cancelled stream does not disturb the server. With a v2
// hook (the NATS subscriber, --southbound=auto) v2 messages go through it with the epoch of
// the stream's metadata.

#include "node-agent/goalstate/goalstate_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "lib/southbound/subjects.h"
#include "tests/fakes/fake_dataplane.h"

namespace alcor::agent {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(ALCOR_SOURCE_DIR) + "/tests/testdata/alcor-wire/" + name,
                   std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

class GoalStateServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dataplane_.attach("port-1", 5);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(&service_);
    server_ = builder.BuildAndStart();
    ASSERT_TRUE(server_);
    stub_ = schema::GoalStateProvisioner::NewStub(grpc::CreateChannel(
        "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));
  }
  void TearDown() override { server_->Shutdown(); }

  FakeDataplane dataplane_;
  GoalStateHandler handler_{dataplane_, {"172.16.62.249", std::chrono::milliseconds(100)}};
  GoalStateService service_{handler_};
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<schema::GoalStateProvisioner::Stub> stub_;
};

TEST_F(GoalStateServerTest, StreamRepliesOncePerMessageIncludingWarmUp) {
  grpc::ClientContext ctx;
  auto stream = stub_->PushGoalStatesStream(&ctx);
  schema::GoalStateV2 gs;
  ASSERT_TRUE(gs.ParseFromString(fixture("gsv2_public.pb")));
  schema::GoalStateOperationReply reply;

  ASSERT_TRUE(stream->Write(schema::GoalStateV2()));  // warm-up
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.operation_statuses_size(), 0);

  ASSERT_TRUE(stream->Write(gs));
  ASSERT_TRUE(stream->Read(&reply));
  EXPECT_EQ(reply.operation_statuses_size(), 5);

  ASSERT_TRUE(stream->Write(gs));  // the same again: idempotent
  ASSERT_TRUE(stream->Read(&reply));
  for (const auto& s : reply.operation_statuses()) {
    EXPECT_EQ(s.operation_status(), schema::SUCCESS) << s.resource_id();
  }
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(service_.messagesHandled(), 3u);
}

TEST_F(GoalStateServerTest, V1UnaryPush) {
  schema::GoalState gs;
  ASSERT_TRUE(gs.ParseFromString(fixture("gsv1_public.pb")));
  grpc::ClientContext ctx;
  schema::GoalStateOperationReply reply;
  ASSERT_TRUE(stub_->PushNetworkResourceStates(&ctx, gs, &reply).ok());
  EXPECT_EQ(reply.operation_statuses_size(), 3);
  EXPECT_TRUE(dataplane_.state().ports.count("port-1"));
}

TEST_F(GoalStateServerTest, ControllerRpcsAreUnimplemented) {
  grpc::ClientContext ctx;
  schema::HostRequestReply reply;
  EXPECT_EQ(stub_->RequestGoalStates(&ctx, schema::HostRequest(), &reply).error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(GoalStateServerTest, CancelledStreamLeavesServerWorking) {
  {
    grpc::ClientContext ctx;
    auto stream = stub_->PushGoalStatesStream(&ctx);
    ASSERT_TRUE(stream->Write(schema::GoalStateV2()));
    ctx.TryCancel();
  }
  grpc::ClientContext ctx;
  auto stream = stub_->PushGoalStatesStream(&ctx);
  ASSERT_TRUE(stream->Write(schema::GoalStateV2()));
  schema::GoalStateOperationReply reply;
  EXPECT_TRUE(stream->Read(&reply));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(GoalStateServerTest, V2MessagesGoThroughTheHookWithTheStreamsEpoch) {
  std::vector<std::pair<size_t, std::string>> seen;  // (ports, epoch)
  service_.setV2Apply([&](schema::GoalStateV2 gs, const std::string& epoch) {
    seen.emplace_back(gs.port_states_size(), epoch);
    return handler_.handle(gs);
  });
  schema::GoalStateV2 gs;
  ASSERT_TRUE(gs.ParseFromString(fixture("gsv2_public.pb")));
  for (const char* epoch : {"e7", ""}) {
    grpc::ClientContext ctx;
    if (*epoch) ctx.AddMetadata(southbound::kEpochMetadata, epoch);
    auto stream = stub_->PushGoalStatesStream(&ctx);
    ASSERT_TRUE(stream->Write(gs));
    schema::GoalStateOperationReply reply;
    ASSERT_TRUE(stream->Read(&reply));
    EXPECT_EQ(reply.operation_statuses_size(), 5);  // the hook's answer is the reply
    stream->WritesDone();
    EXPECT_TRUE(stream->Finish().ok());
  }
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(static_cast<size_t>(gs.port_states_size()), std::string("e7")));
  EXPECT_EQ(seen[1].second, "");
}

}  // namespace
}  // namespace alcor::agent
