#pragma once

// Starts an in-process controller (REST on 127.0.0.1, an ephemeral port; real gRPC pusher) and
// talks to it over HTTP, for REST, DPM and persistence tests.

#include <gtest/gtest.h>
#include <httplib.h>

#include "controller/controller_app.h"
#include "lib/base/json_util.h"

namespace alcor::controller::testing {

using nlohmann::json;

struct HttpReply {
  int status = 0;
  json body;
};

inline ControllerConfig testConfig(const std::string& db = ":memory:") {
  ControllerConfig c;
  c.listen = "127.0.0.1:0";
  c.grpc_listen = "127.0.0.1:0";
  c.db = db;
  c.push_timeout_ms = 3000;
  c.log_level = "warn";
  // REST semantics tests: plaintext, no tokens (security_test.cc covers the secured API).
  c.security.insecure = true;
  return c;
}

class ControllerFixture : public ::testing::Test {
 protected:
  void startController(const ControllerConfig& config = testConfig()) {
    auto app = ControllerApp::start(config);
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(app).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", app_->restPort());
  }
  void stopController() {
    client_.reset();
    app_.reset();
  }
  void TearDown() override { stopController(); }

  HttpReply call(const std::string& method, const std::string& path, const json& body = nullptr) {
    return callRaw(method, path, body.is_null() ? "" : body.dump());
  }
  HttpReply callRaw(const std::string& method, const std::string& path, const std::string& body) {
    httplib::Result r = method == "GET"      ? client_->Get(path)
                        : method == "DELETE" ? client_->Delete(path)
                        : method == "POST"   ? client_->Post(path, body, "application/json")
                                             : client_->Put(path, body, "application/json");
    HttpReply out;
    if (!r) return out;
    out.status = r->status;
    if (!r->body.empty()) {
      auto j = parseJson(r->body);
      out.body = j.ok() ? *j : json(r->body);
    }
    return out;
  }

  // Shortcuts for the usual setup; ASSERT-style checks inside.
  void createVpc(const std::string& id, const std::string& cidr = "10.0.0.0/16",
                 const std::string& project = "p") {
    auto r =
        call("POST", "/project/" + project + "/vpcs", {{"network", {{"id", id}, {"cidr", cidr}}}});
    ASSERT_EQ(r.status, 201) << r.body.dump();
  }
  void createSubnet(const std::string& id, const std::string& vpc, const std::string& cidr,
                    const std::string& project = "p") {
    auto r = call("POST", "/project/" + project + "/subnets",
                  {{"subnet", {{"id", id}, {"network_id", vpc}, {"cidr", cidr}}}});
    ASSERT_EQ(r.status, 201) << r.body.dump();
  }
  static std::string macFor(const std::string& ip) {
    char buf[32];
    snprintf(buf, sizeof buf, "02:00:00:00:00:%02x", std::stoi(ip.substr(ip.rfind('.') + 1)));
    return buf;
  }
  void registerNode(const std::string& name, const std::string& ip, int port) {
    auto r = call("POST", "/nodes",
                  {{"host_info",
                    {{"node_id", name},
                     {"node_name", name},
                     {"local_ip", ip},
                     {"mac_address", macFor(ip)},
                     {"server_port", port}}}});
    ASSERT_EQ(r.status, 201) << r.body.dump();
  }
  json createPort(const std::string& id, const std::string& vpc, const std::string& subnet,
                  const std::string& host, const std::string& project = "p") {
    auto r = call("POST", "/project/" + project + "/ports",
                  {{"port",
                    {{"id", id},
                     {"network_id", vpc},
                     {"binding:host_id", host},
                     {"device_id", "dev-" + id},
                     {"fixed_ips", {{{"subnet_id", subnet}}}}}}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return r.body["port"];
  }

  std::unique_ptr<ControllerApp> app_;
  std::unique_ptr<httplib::Client> client_;
};

}  // namespace alcor::controller::testing
