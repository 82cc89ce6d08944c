// The secured REST API of an in-process controller (HTTPS with its own CA, static tokens):
// 401 without a valid token, 403 for what a caller may not do, and nothing changed by a refused
// request; a node manages only itself and the ports bound to it, and gets certificates naming
// exactly itself; /healthz and /metrics stay open.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>

#include "controller/controller_app.h"
#include "lib/base/json_util.h"
#include "lib/security/files.h"
#include "lib/security/x509.h"
#include "node-agent/controller_client/controller_client.h"
#include "tests/harness/process.h"

namespace alcor::controller {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Reply {
  int status = 0;
  json body;
  std::string www_authenticate;
};

class RestSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::ofstream(dir_.path() + "/tokens.csv") << "admin-tok,root,0,\"alcor:admins\"\n"
                                                  "node1-tok,alcor:node:node-1,1\n"
                                                  "node2-tok,alcor:node:node-2,2\n"
                                                  "nobody-tok,mallory,3,\"developers\"\n";
    ControllerConfig c;
    c.listen = "127.0.0.1:0";
    c.grpc_listen = "";
    c.db = ":memory:";
    c.log_level = "warn";
    c.security.pki_dir = dir_.path() + "/pki";
    c.security.tls_san = "127.0.0.1";
    c.security.token_file = dir_.path() + "/tokens.csv";
    auto app = ControllerApp::start(c);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(app).value();
    ASSERT_EQ(call("", "POST", "/project/p/vpcs",
                   {{"network", {{"id", "vpc-1"}, {"cidr", "10.0.0.0/16"}}}})
                  .status,
              401);
    ASSERT_EQ(call("admin-tok", "POST", "/project/p/vpcs",
                   {{"network", {{"id", "vpc-1"}, {"cidr", "10.0.0.0/16"}}}})
                  .status,
              201);
    ASSERT_EQ(
        call("admin-tok", "POST", "/project/p/subnets",
             {{"subnet", {{"id", "sub-1"}, {"network_id", "vpc-1"}, {"cidr", "10.0.1.0/24"}}}})
            .status,
        201);
  }

  std::string caFile() const { return dir_.path() + "/pki/ca.crt"; }

  Reply call(const std::string& token, const std::string& method, const std::string& path,
             const json& body = nullptr) {
    httplib::Client c("https://127.0.0.1:" + std::to_string(app_->restPort()));
    c.enable_server_certificate_verification(true);
    c.set_ca_cert_path(caFile().c_str());
    if (!token.empty()) c.set_bearer_token_auth(token);
    std::string text = body.is_null() ? "" : body.dump();
    httplib::Result r = method == "GET"      ? c.Get(path)
                        : method == "DELETE" ? c.Delete(path)
                        : method == "POST"   ? c.Post(path, text, "application/json")
                                             : c.Put(path, text, "application/json");
    Reply out;
    if (!r) return out;
    out.status = r->status;
    out.www_authenticate = r->get_header_value("WWW-Authenticate");
    if (auto j = parseJson(r->body); j.ok()) out.body = *j;
    return out;
  }
  json port(const std::string& id, const std::string& host) {
    return {{"port",
             {{"id", id},
              {"network_id", "vpc-1"},
              {"binding:host_id", host},
              {"fixed_ips", {{{"subnet_id", "sub-1"}}}}}}};
  }
  size_t portCount() { return call("admin-tok", "GET", "/project/p/ports").body["ports"].size(); }

  alcor::testing::TempDir dir_{"alcor-restsec"};
  std::unique_ptr<ControllerApp> app_;
};

TEST_F(RestSecurityTest, TokensAreRequiredExceptForHealthAndMetrics) {
  EXPECT_EQ(call("", "GET", "/healthz").status, 200);
  EXPECT_EQ(call("", "GET", "/metrics").status, 200);
  Reply none = call("", "GET", "/project/p/ports");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.www_authenticate, "Bearer");
  EXPECT_THAT(none.body.value("message", ""), HasSubstr("bearer token"));
  Reply bad = call("forged", "DELETE", "/project/p/vpcs/vpc-1");
  EXPECT_EQ(bad.status, 401);
  EXPECT_THAT(bad.www_authenticate, HasSubstr("invalid_token"));
  EXPECT_EQ(call("admin-tok", "GET", "/project/p/vpcs/vpc-1").status, 200);  // still there
  // Authenticated but no role: nothing.
  EXPECT_EQ(call("nobody-tok", "GET", "/project/p/ports").status, 403);
  EXPECT_EQ(call("nobody-tok", "POST", "/project/p/ports", port("x", "node-1")).status, 403);
  EXPECT_EQ(portCount(), 0u);
}

TEST_F(RestSecurityTest, PlainHttpGetsNoAnswer) {
  httplib::Client plain("http://127.0.0.1:" + std::to_string(app_->restPort()));
  auto r = plain.Get("/healthz");
  EXPECT_TRUE(!r || r->status != 200);
}

TEST_F(RestSecurityTest, ANodeManagesOnlyItsOwnPorts) {
  EXPECT_EQ(call("node1-tok", "POST", "/project/p/ports", port("p1", "node-1")).status, 201);
  // Another node's port: not created, not read, not changed, not deleted.
  Reply other = call("node1-tok", "POST", "/project/p/ports", port("p2", "node-2"));
  EXPECT_EQ(other.status, 403);
  EXPECT_THAT(other.body.value("message", ""), HasSubstr("node node-2"));
  EXPECT_EQ(call("node1-tok", "POST", "/project/p/ports/bulk",
                 {{"ports", {port("p3", "node-1")["port"], port("p4", "node-2")["port"]}}})
                .status,
            403);
  EXPECT_EQ(portCount(), 1u);
  EXPECT_EQ(call("node2-tok", "GET", "/project/p/ports/p1").status, 403);
  EXPECT_EQ(call("node2-tok", "DELETE", "/project/p/ports/p1").status, 403);
  EXPECT_EQ(call("node2-tok", "PUT", "/project/p/ports/p1", {{"port", {{"name", "x"}}}}).status,
            403);
  EXPECT_TRUE(call("node2-tok", "GET", "/project/p/ports").body["ports"].empty());
  // Nor may the owner hand its port to another node.
  EXPECT_EQ(
      call("node1-tok", "PUT", "/project/p/ports/p1", {{"port", {{"binding:host_id", "node-2"}}}})
          .status,
      403);
  EXPECT_EQ(call("admin-tok", "GET", "/project/p/ports/p1").body["port"]["binding:host_id"],
            "node-1");
  // Networks are the admin's.
  EXPECT_EQ(
      call("node1-tok", "POST", "/project/p/vpcs", {{"network", {{"cidr", "10.9.0.0/16"}}}}).status,
      403);
  EXPECT_EQ(call("node1-tok", "DELETE", "/project/p/subnets/sub-1").status, 403);
  EXPECT_EQ(call("node1-tok", "GET", "/project/p/ports").body["ports"].size(), 1u);
  EXPECT_EQ(call("node1-tok", "DELETE", "/project/p/ports/p1").status, 204);
}

TEST_F(RestSecurityTest, ANodeRegistersOnlyItself) {
  auto node = [](const std::string& name, const std::string& ip) {
    return json{{"host_info", {{"node_id", name}, {"node_name", name}, {"local_ip", ip}}}};
  };
  EXPECT_EQ(call("node2-tok", "POST", "/nodes", node("node-1", "10.0.0.1")).status, 403);
  EXPECT_EQ(call("node1-tok", "POST", "/nodes", node("node-1", "10.0.0.1")).status, 201);
  EXPECT_EQ(call("node2-tok", "POST", "/nodes", node("node-2", "10.0.0.2")).status, 201);
  EXPECT_EQ(
      call("node2-tok", "PUT", "/nodes/node-1", {{"host_info", {{"local_ip", "10.0.0.9"}}}}).status,
      403);
  EXPECT_EQ(call("node2-tok", "DELETE", "/nodes/node-2").status, 403);
  json listed = call("node2-tok", "GET", "/nodes").body["host_infos"];
  ASSERT_EQ(listed.size(), 1u);
  EXPECT_EQ(listed[0]["node_name"], "node-2");
  EXPECT_EQ(call("admin-tok", "GET", "/nodes").body["host_infos"].size(), 2u);
  EXPECT_EQ(call("admin-tok", "GET", "/nodes/node-1").body["host_info"]["local_ip"], "10.0.0.1");
}

TEST_F(RestSecurityTest, CertificatesNameExactlyTheNodeOfTheCaller) {
  auto key = security::generatePrivateKey();
  auto csr = security::makeCsr(*key, "alcor-controller");  // asks for more than it gets
  ASSERT_TRUE(csr.ok());
  Reply r = call("node1-tok", "POST", "/certificates", {{"node_name", "node-1"}, {"csr", *csr}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  auto info = security::parseCertificate(r.body["certificate"].get<std::string>());
  ASSERT_TRUE(info.ok());
  EXPECT_THAT(info->dns_names, ElementsAre("node-1"));
  EXPECT_TRUE(security::checkIssuedBy(r.body["certificate"].get<std::string>(),
                                      *security::readTextFile(caFile()))
                  .ok());
  EXPECT_EQ(r.body["ca"], *security::readTextFile(caFile()));

  EXPECT_EQ(
      call("node1-tok", "POST", "/certificates", {{"node_name", "node-2"}, {"csr", *csr}}).status,
      403);
  EXPECT_EQ(call("", "POST", "/certificates", {{"node_name", "node-1"}, {"csr", *csr}}).status,
            401);
  EXPECT_EQ(
      call("admin-tok", "POST", "/certificates", {{"node_name", "alcor-controller"}, {"csr", *csr}})
          .status,
      403);
  EXPECT_EQ(
      call("node1-tok", "POST", "/certificates", {{"node_name", "node-1"}, {"csr", "junk"}}).status,
      400);
  EXPECT_EQ(call("node1-tok", "POST", "/certificates", {{"node_name", "node-1"}}).status, 400);
}

TEST_F(RestSecurityTest, TheAgentClientSpeaksTlsWithItsToken) {
  std::ofstream(dir_.path() + "/node1-token") << "node1-tok\n";
  agent::RestClientOptions o;
  // Connect to the loopback address, but insist on the controller's name.
  o.base_url = "https://127.0.0.1:" + std::to_string(app_->restPort());
  o.ca_file = caFile();
  o.server_name = "alcor-controller";
  o.token_file = dir_.path() + "/node1-token";
  auto client = agent::makeRestControllerClient(o);
  EXPECT_TRUE(client->ping().ok());
  agent::PortRequest req;
  req.project = "p";
  req.network_id = "vpc-1";
  req.host_id = "node-2";
  EXPECT_EQ(client->createPort(req).status().code(), StatusCode::kPermissionDenied);
  req.host_id = "node-1";
  EXPECT_TRUE(client->createPort(req).ok());
  // A server name the controller's certificate does not carry: no connection.
  o.server_name = "someone-else";
  EXPECT_EQ(agent::makeRestControllerClient(o)->ping().code(), StatusCode::kUnavailable);
  // A token that is not (any more) valid.
  std::ofstream(dir_.path() + "/node1-token") << "stale\n";
  o.server_name = "alcor-controller";
  EXPECT_EQ(agent::makeRestControllerClient(o)->ping().code(), StatusCode::kUnauthenticated);
}

TEST(ControllerSecurityConfigTest, RefusesToServeWithoutTlsOrTokensUnlessInsecure) {
  alcor::testing::TempDir dir;
  ControllerConfig c;
  c.listen = "127.0.0.1:0";
  c.grpc_listen = "";
  c.db = ":memory:";
  c.security.pki_dir = dir.path() + "/pki";
  EXPECT_THAT(ControllerApp::start(c).status().message(), HasSubstr("--token-file"));
  c.security.insecure = true;
  EXPECT_TRUE(ControllerApp::start(c).ok());
  c.security.insecure = false;
  c.security.token_file = dir.path() + "/none.csv";
  EXPECT_FALSE(ControllerApp::start(c).ok());
  c.security.token_file = "";
  c.security.tls_cert = dir.path() + "/pki/ca.crt";  // without --tls-key
  EXPECT_THAT(ControllerApp::start(c).status().message(), HasSubstr("--tls-key"));
}

}  // namespace
}  // namespace alcor::controller
