// The agent's Kubernetes client against a fake API server (HTTP and HTTPS with a CA made for the
// test), and the pod network choice that uses it: annotations select VPC, subnet, security
// groups and addresses; an unreachable API is TRY_AGAIN_LATER.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdlib>
#include <fstream>
#include <thread>

#include "node-agent/cniserver/pod_network_choice.h"
#include "node-agent/kubernetes/kubernetes_client.h"
#include "tests/harness/process.h"

namespace alcor::agent {
namespace {

using cni::ErrorCode;
using ::testing::HasSubstr;

template <typename Server>
class FakeApiServer {
 public:
  template <typename... Args>
  explicit FakeApiServer(Args&&... args) : server_(std::forward<Args>(args)...) {
    server_.Get(R"(/api/v1/namespaces/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (!authorized(req, res)) return;
                  std::string ns = req.matches[1];
                  nlohmann::json obj = {{"kind", "Namespace"}, {"metadata", {{"name", ns}}}};
                  if (ns == "red") {
                    obj["metadata"]["annotations"] = {{"alcor.io/vpc", "red-vpc"},
                                                      {"alcor.io/allowed-vpcs", "blue-vpc"},
                                                      {"alcor.io/security-groups", "sg-a, sg-b"}};
                  }
                  ++namespace_gets;
                  res.set_content(obj.dump(), "application/json");
                });
    server_.Get(R"(/api/v1/namespaces/([^/]+)/pods/([^/]+))",
                [this](const httplib::Request& req, httplib::Response& res) {
                  if (!authorized(req, res)) return;
                  std::string name = req.matches[2];
                  if (name == "ghost") {
                    res.status = 404;
                    return;
                  }
                  nlohmann::json obj = {{"kind", "Pod"}, {"metadata", {{"name", name}}}};
                  if (name == "static") {
                    obj["metadata"]["annotations"] = {{"alcor.io/ip-address", "10.0.1.200"},
                                                      {"alcor.io/mac-address", "02:aa:bb:cc:dd:ee"},
                                                      {"alcor.io/subnet", "red-subnet-2"}};
                  }
                  ++pod_gets;
                  res.set_content(obj.dump(), "application/json");
                });
    server_.Post(R"(/api/v1/namespaces/default/events)",
                 [this](const httplib::Request& req, httplib::Response& res) {
                   if (!authorized(req, res)) return;
                   events.push_back(nlohmann::json::parse(req.body));
                   res.status = 201;
                   res.set_content(req.body, "application/json");
                 });
    server_.Get(
        R"(/api/v1/nodes/([^/]+))", [this](const httplib::Request& req, httplib::Response& res) {
          if (!authorized(req, res)) return;
          nlohmann::json obj = {{"status",
                                 {{"addresses",
                                   {{{"type", "Hostname"}, {"address", "n1"}},
                                    {{"type", "InternalIP"}, {"address", "172.18.0.3"}}}}}}};
          res.set_content(obj.dump(), "application/json");
        });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeApiServer() {
    server_.stop();
    thread_.join();
  }
  int port() const { return port_; }
  int namespace_gets = 0;
  int pod_gets = 0;
  std::vector<nlohmann::json> events;

 private:
  bool authorized(const httplib::Request& req, httplib::Response& res) {
    if (req.get_header_value("Authorization") != "Bearer secret-token") {
      res.status = 401;
      return false;
    }
    return true;
  }
  Server server_;
  int port_ = 0;
  std::thread thread_;
};

class KubernetesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    token_ = dir_.path() + "/token";
    std::ofstream(token_) << "secret-token\n";
  }
  KubernetesClientOptions options(const std::string& scheme, int port) {
    KubernetesClientOptions o;
    o.server = scheme + "://127.0.0.1:" + std::to_string(port);
    o.token_file = token_;
    o.timeout = std::chrono::milliseconds(2000);
    return o;
  }
  testing::TempDir dir_;
  std::string token_;
};

TEST_F(KubernetesTest, ReadsAnnotationsAndNodeAddressWithTheToken) {
  FakeApiServer<httplib::Server> api;
  auto kube = makeKubernetesClient(options("http", api.port()));
  auto ns = kube->namespaceAnnotations("red");
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->at("alcor.io/vpc"), "red-vpc");
  EXPECT_EQ(kube->podAnnotations("red", "static")->at("alcor.io/ip-address"), "10.0.1.200");
  EXPECT_EQ(kube->podAnnotations("red", "ghost").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*kube->nodeInternalIp("n1"), "172.18.0.3");
  // Namespaces are cached briefly.
  (void)kube->namespaceAnnotations("red");
  EXPECT_EQ(api.namespace_gets, 1);
}

TEST_F(KubernetesTest, RecordsAWarningEventOnTheNode) {
  FakeApiServer<httplib::Server> api;
  auto kube = makeKubernetesClient(options("http", api.port()));
  ASSERT_TRUE(kube->recordNodeWarning("n1", "HostAccessRefused", "VPC red overlaps").ok());
  ASSERT_EQ(api.events.size(), 1u);
  const auto& e = api.events[0];
  EXPECT_EQ(e["involvedObject"]["kind"], "Node");
  EXPECT_EQ(e["involvedObject"]["name"], "n1");
  EXPECT_EQ(e["reason"], "HostAccessRefused");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["message"], "VPC red overlaps");
  EXPECT_EQ(e["source"]["component"], "alcor-agent");
}

TEST_F(KubernetesTest, WrongTokenIsAClearError) {
  FakeApiServer<httplib::Server> api;
  std::ofstream(token_) << "wrong";
  auto kube = makeKubernetesClient(options("http", api.port()));
  auto r = kube->podAnnotations("default", "p");
  EXPECT_EQ(r.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(r.status().message(), HasSubstr("RBAC"));
}

TEST_F(KubernetesTest, HttpsVerifiesTheServerWithTheGivenCa) {
  std::string cert = dir_.path() + "/cert.pem", key = dir_.path() + "/key.pem";
  auto gen = testing::run({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                           key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext",
                           "subjectAltName=IP:127.0.0.1"});
  ASSERT_TRUE(gen.ok()) << gen.describe();
  FakeApiServer<httplib::SSLServer> api(cert.c_str(), key.c_str());
  auto good = options("https", api.port());
  good.ca_file = cert;
  EXPECT_TRUE(makeKubernetesClient(good)->podAnnotations("default", "p").ok());
  auto untrusted = options("https", api.port());
  untrusted.ca_file = "/etc/ssl/certs/ca-certificates.crt";  // does not hold the test CA
  EXPECT_EQ(makeKubernetesClient(untrusted)->podAnnotations("default", "p").status().code(),
            StatusCode::kUnavailable);
}

cni::NetworkConfig configWith(const std::string& vpc, const std::string& subnet) {
  cni::NetworkConfig c;
  c.vpc = vpc;
  c.subnet = subnet;
  return c;
}

TEST_F(KubernetesTest, AnnotationsChooseThePodNetwork) {
  FakeApiServer<httplib::Server> api;
  auto kube = makeKubernetesClient(options("http", api.port()));
  PodNetworkDefaults defaults{"default", "cluster-vpc", "cluster-subnet"};
  cni::PodArgs plain{"default", "web", "uid", "", {}};
  auto c = choosePodNetwork(cni::NetworkConfig{}, plain, defaults, kube.get());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value->vpc, "cluster-vpc");
  EXPECT_EQ(c.value->subnet, "cluster-subnet");

  // The namespace picks its VPC: the default subnet (of another VPC) must not leak in.
  cni::PodArgs red{"red", "web", "uid", "", {}};
  c = choosePodNetwork(cni::NetworkConfig{}, red, defaults, kube.get());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value->vpc, "red-vpc");
  EXPECT_EQ(c.value->subnet, "");
  EXPECT_EQ(c.value->security_groups, (std::vector<std::string>{"sg-a", "sg-b"}));

  cni::PodArgs static_pod{"red", "static", "uid", "", {}};
  c = choosePodNetwork(cni::NetworkConfig{}, static_pod, defaults, kube.get());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value->subnet, "red-subnet-2");
  EXPECT_EQ(c.value->ip, "10.0.1.200");
  EXPECT_EQ(c.value->mac, "02:aa:bb:cc:dd:ee");

  // runtimeConfig beats the annotation.
  cni::NetworkConfig rc;
  rc.runtime_ips = {"10.0.1.7/24"};
  c = choosePodNetwork(rc, static_pod, defaults, kube.get());
  EXPECT_EQ(c.value->ip, "10.0.1.7");
}

// Capability io.kubernetes.cri.pod-annotations: the runtime's copy replaces the pod GET.
TEST_F(KubernetesTest, PodAnnotationsFromTheRuntimeSpareThePodGet) {
  FakeApiServer<httplib::Server> api;
  auto kube = makeKubernetesClient(options("http", api.port()));
  cni::NetworkConfig rc;
  rc.runtime_pod_annotations = std::map<std::string, std::string>{
      {"alcor.io/vpc", "blue-vpc"}, {"alcor.io/ip-address", "10.0.9.9"}};
  cni::PodArgs pod{"red", "static", "uid", "", {}};
  auto c = choosePodNetwork(rc, pod, {"p", "v", "s"}, kube.get());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value->vpc, "blue-vpc");  // the pod's, allowed by namespace red
  EXPECT_EQ(c.value->ip, "10.0.9.9");   // not the API's 10.0.1.200
  EXPECT_EQ(api.pod_gets, 0);
  // Without an API, only the admin's configuration allows: here the default VPC "v".
  c = choosePodNetwork(rc, pod, {"p", "v", "s"}, nullptr);
  EXPECT_FALSE(c.ok());
  rc.runtime_pod_annotations->at("alcor.io/vpc") = "v";
  c = choosePodNetwork(rc, pod, {"p", "v", "s"}, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value->vpc, "v");
  EXPECT_EQ(c.value->ip, "10.0.9.9");
}

TEST_F(KubernetesTest, ConfigBeatsDefaultsWithoutAnApi) {
  PodNetworkDefaults defaults{"default", "cluster-vpc", "cluster-subnet"};
  auto c = choosePodNetwork(configWith("v", "s"), cni::PodArgs{}, defaults, nullptr);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value->vpc, "v");
  EXPECT_EQ(c.value->subnet, "s");
  auto none = choosePodNetwork(cni::NetworkConfig{}, cni::PodArgs{}, {"p", "", ""}, nullptr);
  EXPECT_EQ(none.error.code, ErrorCode::kInvalidNetworkConfig);
}

TEST_F(KubernetesTest, AnExplicitServerBeatsTheInClusterServiceAccount) {
  setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  auto explicit_api = chooseKubernetesOptions("https://10.250.0.10:6443", "/t", "/ca");
  EXPECT_EQ(explicit_api.server, "https://10.250.0.10:6443");
  EXPECT_EQ(explicit_api.token_file, "/t");
  EXPECT_EQ(explicit_api.ca_file, "/ca");
  auto in_cluster = chooseKubernetesOptions("", "", "");
  EXPECT_EQ(in_cluster.server, "https://10.96.0.1:443");
  EXPECT_THAT(in_cluster.token_file, HasSubstr("serviceaccount/token"));
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  EXPECT_EQ(chooseKubernetesOptions("", "", "").server, "");
}

TEST_F(KubernetesTest, UnreachableApiIsTryAgainLater) {
  KubernetesClientOptions o = options("http", 1);  // nothing listens on port 1
  o.timeout = std::chrono::milliseconds(500);
  auto kube = makeKubernetesClient(o);
  cni::PodArgs pod{"default", "web", "uid", "", {}};
  auto c = choosePodNetwork(cni::NetworkConfig{}, pod, {"p", "v", ""}, kube.get());
  EXPECT_EQ(c.error.code, ErrorCode::kTryAgainLater);
  EXPECT_THAT(c.error.message, HasSubstr("Kubernetes API"));
}

}  // namespace
}  // namespace alcor::agent
