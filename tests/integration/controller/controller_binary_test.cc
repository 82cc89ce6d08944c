// The alcor-controller binary as the cluster harness and the manifests run it: flags, --config
// JSON, /healthz, bootstrap VPC/subnet (idempotent), clean SIGTERM, and a crash (SIGKILL) and
// restart on the same database file keeping everything.

#include <gtest/gtest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "lib/base/json_util.h"
#include "tests/harness/process.h"

namespace alcor::testing {
namespace {

using nlohmann::json;

std::string binary() { return std::string(ALCOR_BINARY_DIR) + "/controller/alcor-controller"; }

// A port free right now (bound to 0, read back, closed).
int freePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

class ControllerBinaryTest : public ::testing::Test {
 protected:
  void SetUp() override { port_ = freePort(); }
  Daemon start(const std::vector<std::string>& extra) {
    // Plaintext and open: these tests are about flags, bootstrap and restarts (the secured
    // binary is tested in tests/e2e/security_test.cc).
    std::vector<std::string> argv = {binary(), "--listen=127.0.0.1:" + std::to_string(port_),
                                     "--grpc-listen=127.0.0.1:0", "--insecure",
                                     "--pki-dir=" + dir_.path() + "/pki"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    auto d = Daemon::start(argv, dir_.path() + "/controller.log");
    EXPECT_TRUE(d.ok()) << d.status();
    httplib::Client c("127.0.0.1", port_);
    bool healthy = waitFor(
        [&] {
          auto r = c.Get("/healthz");
          return r && r->status == 200;
        },
        std::chrono::seconds(10));
    EXPECT_TRUE(healthy) << log();
    return std::move(d).value();
  }
  std::string log() {
    std::ifstream in(dir_.path() + "/controller.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  json get(const std::string& path, int* status = nullptr) {
    httplib::Client c("127.0.0.1", port_);
    auto r = c.Get(path);
    if (status) *status = r ? r->status : 0;
    return r ? *parseJson(r->body) : json();
  }

  TempDir dir_{"alcor-ctl"};
  int port_ = 0;
};

TEST_F(ControllerBinaryTest, HelpListsTheFlags) {
  auto r = run({binary(), "--help"});
  ASSERT_TRUE(r.ok()) << r.describe();
  for (const char* flag : {"--listen", "--grpc-listen", "--db", "--agent-port",
                           "--goalstate-version", "--tls-cert", "--bootstrap-vpc", "--config"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_FALSE(run({binary(), "--no-such-flag"}).ok());
}

TEST_F(ControllerBinaryTest, ConfigFileBootstrapAndRestartAfterCrash) {
  std::string db = dir_.path() + "/controller.db";
  std::string config = dir_.path() + "/controller.json";
  std::ofstream(config) << json{{"db", db},
                                {"agent-port", 50001},
                                {"bootstrap-project", "default"},
                                {"bootstrap-vpc", "cluster-vpc:10.244.0.0/16"},
                                {"bootstrap-subnet", "cluster-subnet:10.244.0.0/16"}}
                               .dump();
  Daemon d = start({"--config=" + config});
  int status = 0;
  json subnet = get("/project/default/subnets/cluster-subnet", &status);
  ASSERT_EQ(status, 200) << log();
  EXPECT_EQ(subnet["subnet"]["cidr"], "10.244.0.0/16");
  httplib::Client c("127.0.0.1", port_);
  auto r = c.Post("/project/default/ports",
                  json{{"port", {{"network_id", "cluster-vpc"}, {"device_id", "pod"}}}}.dump(),
                  "application/json");
  ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no reply");
  std::string port_id = (*parseJson(r->body))["port"]["id"];
  d.kill();  // crash: WAL keeps what was committed

  Daemon again = start({"--config=" + config});
  EXPECT_EQ(get("/project/default/ports/" + port_id)["port"]["id"], port_id);
  EXPECT_EQ(get("/project/default/vpcs")["networks"].size(), 1u);  // bootstrap is idempotent
  int code = again.stop();
  EXPECT_EQ(code, 0) << log();
}

}  // namespace
}  // namespace alcor::testing
