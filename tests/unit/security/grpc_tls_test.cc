// Mutual TLS over real gRPC channels with file-watched certificates: the server sees who the
// client is; a client without a certificate, with one of another CA, or expecting another
// server name gets nowhere; a certificate replaced on disk is used by the next connection.

#include "lib/security/grpc_tls.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <mutex>

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "lib/security/files.h"
#include "tests/harness/process.h"

namespace alcor::security {
namespace {

class Recorder final : public schema::GoalStateProvisioner::Service {
 public:
  grpc::Status RequestGoalStates(grpc::ServerContext* ctx, const schema::HostRequest*,
                                 schema::HostRequestReply*) override {
    std::lock_guard lock(mu);
    last = peerIdentity(*ctx);
    return grpc::Status::OK;
  }
  std::mutex mu;
  PeerIdentity last;
};

class GrpcTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ca = CertificateAuthority::create("ca", std::chrono::hours(1));
    auto other = CertificateAuthority::create("other-ca", std::chrono::hours(1));
    ASSERT_TRUE(ca.ok() && other.ok());
    ca_ = std::make_unique<CertificateAuthority>(std::move(ca).value());
    ASSERT_TRUE(writeFileAtomically(path("ca.crt"), ca_->certificatePem(), 0644).ok());
    server_ = write("server", *ca_, "server-name");
    client_ = write("client", *ca_, "client-a");
    stranger_ = write("stranger", *other, "client-a");

    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", mutualTlsServerCredentials(server_), &port_);
    builder.RegisterService(&service_);
    server_grpc_ = builder.BuildAndStart();
    ASSERT_TRUE(server_grpc_);
  }
  void TearDown() override { server_grpc_->Shutdown(); }

  std::string path(const std::string& name) { return dir_.path() + "/" + name; }
  TlsFiles write(const std::string& who, const CertificateAuthority& ca, const std::string& name,
                 const std::string& reuse_key = "") {
    TlsFiles f{path("ca.crt"), path(who + ".crt"), path(who + ".key")};
    std::string key = reuse_key.empty() ? *generatePrivateKey() : reuse_key;
    IssueOptions o;
    o.common_name = name;
    o.dns_names = {name};
    o.validity = std::chrono::seconds(600);
    auto cert = ca.issue(*makeCsr(key, name), o);
    EXPECT_TRUE(cert.ok()) << cert.status();
    EXPECT_TRUE(writeFileAtomically(f.key, key, 0600).ok());
    EXPECT_TRUE(writeFileAtomically(f.cert, *cert, 0644).ok());
    return f;
  }
  grpc::Status call(std::shared_ptr<grpc::ChannelCredentials> creds,
                    const std::string& server_name = "server-name") {
    grpc::ChannelArguments args;
    expectPeerName(args, server_name);
    auto stub = schema::GoalStateProvisioner::NewStub(
        grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port_), creds, args));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    schema::HostRequestReply reply;
    return stub->RequestGoalStates(&ctx, schema::HostRequest(), &reply);
  }
  PeerIdentity lastPeer() {
    std::lock_guard lock(service_.mu);
    return service_.last;
  }

  alcor::testing::TempDir dir_;
  std::unique_ptr<CertificateAuthority> ca_;
  TlsFiles server_, client_, stranger_;
  Recorder service_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_grpc_;
};

TEST_F(GrpcTlsTest, TheServerSeesAVerifiedClientName) {
  grpc::Status st = call(mutualTlsChannelCredentials(client_));
  ASSERT_TRUE(st.ok()) << st.error_message();
  PeerIdentity peer = lastPeer();
  EXPECT_TRUE(peer.verified);
  EXPECT_TRUE(peer.hasName("client-a"));
  EXPECT_FALSE(peer.hasName("server-name"));
  EXPECT_THAT(peer.describe(), ::testing::StartsWith("client-a (serial "));
}

TEST_F(GrpcTlsTest, NoCertificateAnotherCaOrAnotherServerNameGetNowhere) {
  grpc::SslCredentialsOptions no_cert;
  no_cert.pem_root_certs = *readTextFile(path("ca.crt"));
  EXPECT_FALSE(call(grpc::SslCredentials(no_cert)).ok());
  EXPECT_FALSE(call(mutualTlsChannelCredentials(stranger_)).ok());
  EXPECT_FALSE(call(grpc::InsecureChannelCredentials()).ok());
  // The client insists on a server name the server's certificate does not carry.
  EXPECT_FALSE(call(mutualTlsChannelCredentials(client_), "alcor-controller").ok());
  EXPECT_FALSE(lastPeer().verified);  // nothing got through
}

TEST_F(GrpcTlsTest, ARenewedCertificateIsUsedWithoutARestart) {
  auto creds = mutualTlsChannelCredentials(client_);
  ASSERT_TRUE(call(creds).ok());
  std::string first = lastPeer().certificate.serial;
  // Renewal as the agent does it: same key, new certificate renamed over the old one.
  write("client", *ca_, "client-a", *readTextFile(client_.key));
  bool renewed = alcor::testing::waitFor(
      [&] { return call(creds).ok() && lastPeer().certificate.serial != first; },
      std::chrono::seconds(4 * kTlsRefreshSeconds + 2));
  EXPECT_TRUE(renewed) << "still serial " << first;
}

}  // namespace
}  // namespace alcor::security
