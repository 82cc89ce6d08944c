// The agent's side of docs/security.md: only the controller's certificate may push GoalStates
// (a node's certificate of the same CA is refused and changes nothing), the node certificate
// comes from the controller and names the node, and the CNI socket is root's alone.

#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <fstream>

#include "lib/base/unique_fd.h"
#include "lib/security/files.h"
#include "lib/security/grpc_tls.h"
#include "node-agent/goalstate/goalstate_server.h"
#include "node-agent/security/agent_credentials.h"
#include "node-agent/security/socket_permissions.h"
#include "tests/fakes/fake_controller_client.h"
#include "tests/fakes/fake_dataplane.h"
#include "tests/harness/process.h"

namespace alcor::agent {
namespace {

using ::testing::HasSubstr;

struct Pki {
  security::CertificateAuthority ca;
  std::string dir;

  security::TlsFiles issue(const std::string& name) {
    security::TlsFiles f{dir + "/ca.crt", dir + "/" + name + ".crt", dir + "/" + name + ".key"};
    auto key = security::generatePrivateKey();
    security::IssueOptions o;
    o.common_name = name;
    o.dns_names = {name};
    auto cert = ca.issue(*security::makeCsr(*key, name), o);
    EXPECT_TRUE(cert.ok()) << cert.status();
    EXPECT_TRUE(security::writeFileAtomically(f.ca, ca.certificatePem(), 0644).ok());
    EXPECT_TRUE(security::writeFileAtomically(f.key, *key, 0600).ok());
    EXPECT_TRUE(security::writeFileAtomically(f.cert, *cert, 0644).ok());
    return f;
  }
};

Pki makePki(const std::string& dir) {
  return {*security::CertificateAuthority::create("ca", std::chrono::hours(1)), dir};
}

TEST(GoalStateIdentityTest, OnlyTheControllerMayPush) {
  alcor::testing::TempDir dir;
  Pki pki = makePki(dir.path());
  security::TlsFiles agent = pki.issue("node-1");
  security::TlsFiles controller = pki.issue("alcor-controller");
  security::TlsFiles other_node = pki.issue("node-2");

  FakeDataplane dataplane;
  GoalStateHandler handler(dataplane, {"10.0.0.1", std::chrono::milliseconds(100)});
  GoalStateService service(handler, "alcor-controller");
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", security::mutualTlsServerCredentials(agent), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_TRUE(server);

  auto push = [&](const security::TlsFiles& as) {
    grpc::ChannelArguments args;
    security::expectPeerName(args, "node-1");
    auto stub = schema::GoalStateProvisioner::NewStub(grpc::CreateCustomChannel(
        "127.0.0.1:" + std::to_string(port), security::mutualTlsChannelCredentials(as), args));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    schema::GoalStateV2 gs;
    schema::VpcState vpc;
    vpc.set_operation_type(schema::CREATE);
    vpc.mutable_configuration()->set_id("vpc-x");
    vpc.mutable_configuration()->set_tunnel_id(77);
    (*gs.mutable_vpc_states())["vpc-x"] = vpc;
    auto stream = stub->PushGoalStatesStream(&ctx);
    schema::GoalStateOperationReply reply;
    if (stream->Write(gs)) stream->WritesDone();
    stream->Read(&reply);
    return stream->Finish();
  };

  grpc::Status refused = push(other_node);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(), HasSubstr("alcor-controller"));
  EXPECT_EQ(service.pushesRefused(), 1u);
  EXPECT_TRUE(dataplane.changeLog().empty());  // nothing changed

  grpc::Status accepted = push(controller);
  EXPECT_TRUE(accepted.ok()) << accepted.error_message();
  EXPECT_EQ(service.messagesHandled(), 1u);
  bool has_vpc = false;
  dataplane.read([&](const NetworkState& s) { has_vpc = s.vpcs.count("vpc-x") > 0; });
  EXPECT_TRUE(has_vpc);
  server->Shutdown();
}

TEST(AgentCredentialsTest, TheNodeCertificateComesFromTheControllerAndNamesTheNode) {
  alcor::testing::TempDir dir;
  Pki pki = makePki(dir.path());
  pki.issue("unused");  // writes ca.crt
  AgentConfig config;
  config.node_name = "node-1";
  config.state_dir = dir.path() + "/state";
  config.tls_ca = dir.path() + "/ca.crt";
  FakeControllerClient controller;
  std::string asked_for;
  controller.setSigner([&](const std::string& node, const std::string& csr) {
    asked_for = node;
    security::IssueOptions o;
    o.common_name = node;
    o.dns_names = {node};
    return pki.ca.issue(csr, o);
  });
  AgentCredentials credentials(config);
  ASSERT_TRUE(credentials.ensure(controller).ok());
  EXPECT_EQ(asked_for, "node-1");
  security::TlsFiles files = credentials.files();
  EXPECT_EQ(files.cert, dir.path() + "/state/pki/node.crt");
  auto info = security::parseCertificate(*security::readTextFile(files.cert));
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->hasDnsName("node-1"));
  struct stat st;
  ASSERT_EQ(stat(files.key.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_TRUE(credentials.ensure(controller).ok());
  credentials.stop();

  // A controller that does not issue: not ready, with the reason.
  AgentConfig other = config;
  other.state_dir = dir.path() + "/state2";
  FakeControllerClient no_ca;
  AgentCredentials waiting(other);
  EXPECT_THAT(waiting.ensure(no_ca).message(), HasSubstr("no CA key"));
  waiting.stop();
  // No CA at all outside a cluster.
  other.tls_ca = "";
  other.controller_ca_configmap = "";
  AgentCredentials lost(other);
  EXPECT_FALSE(lost.ensure(no_ca).ok());
}

TEST(SocketPermissionsTest, TheCniSocketIsRootsAlone) {
  alcor::testing::TempDir dir;
  const std::string path = dir.path() + "/cni.sock";
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  ASSERT_EQ(bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  chmod(path.c_str(), 0666);
  ASSERT_TRUE(restrictSocket(path).ok());
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  chmod(dir.path().c_str(), 0777);  // anyone could swap the socket
  EXPECT_THAT(restrictSocket(path).message(), HasSubstr("writable by other users"));
  chmod(dir.path().c_str(), 01777);  // sticky, like /tmp
  EXPECT_TRUE(restrictSocket(path).ok());
  chmod(dir.path().c_str(), 0700);

  const std::string file = dir.path() + "/plain";
  std::ofstream(file) << "x";
  EXPECT_THAT(restrictSocket(file).message(), HasSubstr("not a unix socket"));
  EXPECT_FALSE(restrictSocket(dir.path() + "/missing").ok());
}

}  // namespace
}  // namespace alcor::agent
