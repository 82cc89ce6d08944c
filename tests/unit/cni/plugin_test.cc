// The real alcor-cni binary against an in-process agent (CniService + PodManager with fakes):
// VERSION answered locally, verbs forwarded with env and stdin, errors mapped to CNI codes,
// unreachable or hung agents reported within the deadline.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include "cni/v1/cni.grpc.pb.h"
#include "node-agent/cniserver/cni_service.h"
#include "tests/fakes/fake_controller_client.h"
#include "tests/fakes/fake_dataplane.h"
#include "tests/fakes/fake_interface_plumber.h"
#include "tests/harness/process.h"

namespace alcor {
namespace {

using nlohmann::json;
using testing::CommandResult;
using ::testing::HasSubstr;
using testing::RunOptions;

std::string pluginPath() { return std::string(ALCOR_BINARY_DIR) + "/cni-plugin/alcor-cni"; }

CommandResult runPlugin(const std::map<std::string, std::string>& env,
                        const std::string& stdin_data) {
  RunOptions o;
  o.env = env;
  o.stdin_data = stdin_data;
  o.timeout = std::chrono::seconds(30);
  return testing::run({pluginPath()}, o);
}

// Records what it receives; answers ADD with a canned result.
class RecordingCni final : public cni::v1::Cni::Service {
 public:
  grpc::Status CmdAdd(grpc::ServerContext*, const cni::v1::CniCmdRequest* req,
                      cni::v1::CniCmdResponse* resp) override {
    last_ = *req;
    if (hang_) std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    resp->set_cni_result(R"({"cniVersion":"1.0.0","ips":[{"address":"10.0.1.5/24"}]})");
    return grpc::Status::OK;
  }
  grpc::Status CmdDel(grpc::ServerContext*, const cni::v1::CniCmdRequest*,
                      cni::v1::CniCmdResponse* resp) override {
    resp->mutable_error()->set_code(cni::v1::IPAM_FAILURE);
    resp->mutable_error()->set_message("no addresses left");
    return grpc::Status::OK;
  }
  cni::v1::CniCmdRequest last_;
  bool hang_ = false;
};

class PluginTest : public ::testing::Test {
 protected:
  void SetUp() override {
    socket_ = dir_.path() + "/cni.sock";
    grpc::ServerBuilder b;
    b.AddListeningPort("unix://" + socket_, grpc::InsecureServerCredentials());
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    ASSERT_TRUE(server_);
  }
  void TearDown() override { server_->Shutdown(); }

  json config(const std::string& version = "1.0.0") {
    return {{"cniVersion", version},
            {"name", "alcor"},
            {"type", "alcor-cni"},
            {"agentSocket", socket_},
            {"timeoutSeconds", 1}};
  }
  std::map<std::string, std::string> env(const std::string& cmd) {
    return {
        {"CNI_COMMAND", cmd},   {"CNI_CONTAINERID", "abc123"},  {"CNI_NETNS", "/var/run/netns/x"},
        {"CNI_IFNAME", "eth0"}, {"CNI_ARGS", "K8S_POD_NAME=p"}, {"CNI_PATH", "/opt/cni/bin"}};
  }

  testing::TempDir dir_;
  std::string socket_;
  RecordingCni service_;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(PluginTest, VersionIsAnsweredLocally) {
  server_->Shutdown();
  auto r = runPlugin({{"CNI_COMMAND", "VERSION"}}, R"({"cniVersion":"0.4.0"})");
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  json j = json::parse(r.out);
  EXPECT_EQ(j["cniVersion"], "0.4.0");
  EXPECT_EQ(j["supportedVersions"].size(), 5u);
}

TEST_F(PluginTest, AddForwardsRawEnvAndStdinAndPrintsTheResult) {
  std::string stdin_data = config().dump();
  auto r = runPlugin(env("ADD"), stdin_data);
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(json::parse(r.out)["ips"][0]["address"], "10.0.1.5/24");
  const auto& a = service_.last_.cni_args();
  EXPECT_EQ(a.container_id(), "abc123");
  EXPECT_EQ(a.netns(), "/var/run/netns/x");
  EXPECT_EQ(a.ifname(), "eth0");
  EXPECT_EQ(a.args(), "K8S_POD_NAME=p");
  EXPECT_EQ(a.path(), "/opt/cni/bin");
  EXPECT_EQ(a.network_configuration(), stdin_data);
}

TEST_F(PluginTest, AgentErrorsBecomeCniErrors) {
  auto r = runPlugin(env("DEL"), config().dump());
  EXPECT_EQ(r.exit_code, 1);
  json j = json::parse(r.out);
  EXPECT_EQ(j["code"], 101);
  EXPECT_EQ(j["msg"], "no addresses left");
  EXPECT_EQ(j["cniVersion"], "1.0.0");
}

TEST_F(PluginTest, UnreachableAgentIsCode11NamingTheSocket) {
  json c = config();
  c["agentSocket"] = dir_.path() + "/missing.sock";
  auto start = std::chrono::steady_clock::now();
  auto r = runPlugin(env("ADD"), c.dump());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  EXPECT_EQ(r.exit_code, 1);
  json j = json::parse(r.out);
  EXPECT_EQ(j["code"], 11);
  EXPECT_THAT(j["msg"].get<std::string>(), HasSubstr("missing.sock"));
}

TEST_F(PluginTest, StatusWithUnreachableAgentIsCode50) {
  json c = config("1.1.0");
  c["agentSocket"] = dir_.path() + "/missing.sock";
  auto r = runPlugin({{"CNI_COMMAND", "STATUS"}}, c.dump());
  EXPECT_EQ(json::parse(r.out)["code"], 50);
}

TEST_F(PluginTest, HungAgentHitsTheDeadline) {
  service_.hang_ = true;
  auto start = std::chrono::steady_clock::now();
  auto r = runPlugin(env("ADD"), config().dump());
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(json::parse(r.out)["code"], 11) << r.describe();
  EXPECT_LT(took, std::chrono::milliseconds(2400));  // well before the agent answers
}

TEST_F(PluginTest, MalformedInputNeverReachesTheAgent) {
  auto r = runPlugin(env("ADD"), "{not json");
  EXPECT_EQ(json::parse(r.out)["code"], 6);
  auto bad_version = runPlugin(env("ADD"), R"({"cniVersion":"9.9.9"})");
  EXPECT_EQ(json::parse(bad_version.out)["code"], 1);
  auto missing_env = env("ADD");
  missing_env.erase("CNI_CONTAINERID");
  auto r2 = runPlugin(missing_env, config().dump());
  EXPECT_EQ(json::parse(r2.out)["code"], 4);
  auto bad_cmd = runPlugin({{"CNI_COMMAND", "FROB"}}, config().dump());
  EXPECT_EQ(json::parse(bad_cmd.out)["code"], 4);
  EXPECT_EQ(service_.last_.cni_args().container_id(), "");
}

TEST_F(PluginTest, GcAndStatusNeedVersion11CheckNeeds04) {
  EXPECT_EQ(json::parse(runPlugin({{"CNI_COMMAND", "GC"}}, config("1.0.0").dump()).out)["code"], 1);
  EXPECT_EQ(json::parse(runPlugin(env("CHECK"), config("0.3.1").dump()).out)["code"], 1);
}

}  // namespace
}  // namespace alcor
