#include "lib/cni/types.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace alcor::cni {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

TEST(CniVersionTest, SupportsThreeOhToOneOne) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"}) {
    EXPECT_TRUE(isSupportedVersion(v)) << v;
  }
  EXPECT_FALSE(isSupportedVersion("0.2.0"));
  EXPECT_FALSE(isSupportedVersion("2.0.0"));
  EXPECT_LT(compareVersions("0.4.0", "1.0.0"), 0);
  EXPECT_EQ(compareVersions("1.1.0", "1.1.0"), 0);
  EXPECT_GT(compareVersions("1.1.0", "0.3.1"), 0);
  EXPECT_EQ(json::parse(versionJson("0.4.0"))["supportedVersions"].size(), 5u);
}

TEST(CniCommandTest, ParsesEveryVerb) {
  for (const char* c : {"ADD", "DEL", "CHECK", "GC", "STATUS", "VERSION"}) {
    auto parsed = parseCommand(c);
    ASSERT_TRUE(parsed) << c;
    EXPECT_EQ(commandName(*parsed), c);
  }
  EXPECT_FALSE(parseCommand("add"));
  EXPECT_FALSE(parseCommand(""));
}

TEST(CniEnvironmentTest, RequiresWhatEachVerbNeeds) {
  Environment full{"ADD", "c1", "/var/run/netns/p", "eth0", "", ""};
  EXPECT_EQ(validateEnvironment(Command::kAdd, full).code, ErrorCode::kOk);
  Environment no_netns = full;
  no_netns.netns = "";
  EXPECT_EQ(validateEnvironment(Command::kAdd, no_netns).code, ErrorCode::kInvalidEnvironment);
  EXPECT_EQ(validateEnvironment(Command::kCheck, no_netns).code, ErrorCode::kInvalidEnvironment);
  // DEL tolerates a netns the runtime already removed.
  EXPECT_EQ(validateEnvironment(Command::kDel, no_netns).code, ErrorCode::kOk);
  Environment no_id = full;
  no_id.container_id = "";
  auto err = validateEnvironment(Command::kDel, no_id);
  EXPECT_EQ(err.code, ErrorCode::kInvalidEnvironment);
  EXPECT_THAT(err.message, HasSubstr("CNI_CONTAINERID"));
  Environment bad_if = full;
  bad_if.ifname = "a-very-long-interface-name";
  EXPECT_EQ(validateEnvironment(Command::kAdd, bad_if).code, ErrorCode::kInvalidEnvironment);
  EXPECT_EQ(validateEnvironment(Command::kGc, Environment{}).code, ErrorCode::kOk);
  EXPECT_EQ(validateEnvironment(Command::kStatus, Environment{}).code, ErrorCode::kOk);
}

TEST(CniArgsTest, ParsesKubernetesArgs) {
  auto a = parseCniArgs(
      "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=web-0;"
      "K8S_POD_UID=1234;K8S_POD_INFRA_CONTAINER_ID=abc");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a.value->pod_namespace, "default");
  EXPECT_EQ(a.value->pod_name, "web-0");
  EXPECT_EQ(a.value->pod_uid, "1234");
  EXPECT_EQ(a.value->infra_container_id, "abc");
  EXPECT_EQ(a.value->all.at("IgnoreUnknown"), "1");
  EXPECT_TRUE(parseCniArgs("").ok());
  EXPECT_FALSE(parseCniArgs("K8S_POD_NAME").ok());
  EXPECT_FALSE(parseCniArgs("=x").ok());
}

TEST(NetworkConfigTest, ParsesAlcorKeysRuntimeConfigAndPrevResult) {
  auto c = parseNetworkConfig(R"({
    "cniVersion": "1.1.0", "name": "alcor", "type": "alcor-cni",
    "agentSocket": "/run/alcor/cni.sock", "timeoutSeconds": 30,
    "project": "p1", "vpc": "v1", "subnet": "s1", "securityGroups": ["sg1"], "mtu": 1450,
    "runtimeConfig": {"ips": ["10.0.1.9/24"], "mac": "02:00:00:00:00:09",
                      "io.kubernetes.cri.pod-annotations": {"alcor.io/vpc": "v2", "n": 1}},
    "prevResult": {"cniVersion": "1.1.0", "ips": [{"address": "10.0.1.9/24"}]},
    "cni.dev/valid-attachments": [{"containerID": "c1", "ifname": "eth0"}]
  })");
  ASSERT_TRUE(c.ok()) << c.error.message;
  const NetworkConfig& n = *c.value;
  EXPECT_EQ(n.cni_version, "1.1.0");
  EXPECT_EQ(n.agent_socket, "/run/alcor/cni.sock");
  EXPECT_EQ(n.timeout_seconds, 30);
  EXPECT_EQ(n.vpc, "v1");
  EXPECT_EQ(n.security_groups, std::vector<std::string>{"sg1"});
  EXPECT_EQ(n.mtu, 1450);
  EXPECT_EQ(n.runtime_ips, std::vector<std::string>{"10.0.1.9/24"});
  EXPECT_EQ(n.runtime_mac, "02:00:00:00:00:09");
  ASSERT_TRUE(n.runtime_pod_annotations.has_value());  // string values only
  EXPECT_EQ(*n.runtime_pod_annotations,
            (std::map<std::string, std::string>{{"alcor.io/vpc", "v2"}}));
  EXPECT_TRUE(n.prev_result.is_object());
  ASSERT_EQ(n.valid_attachments.size(), 1u);
  EXPECT_EQ(n.valid_attachments[0].container_id, "c1");
}

TEST(NetworkConfigTest, DefaultsSocketAndTimeout) {
  auto c = parseNetworkConfig(R"({"cniVersion": "0.4.0", "name": "n", "type": "alcor-cni"})");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c.value->agent_socket, "/var/run/alcor/cni.sock");
  EXPECT_EQ(c.value->timeout_seconds, 100);
}

struct BadConfig {
  const char* input;
  ErrorCode code;
  const char* mentions;
};

class BadNetworkConfigTest : public ::testing::TestWithParam<BadConfig> {};

TEST_P(BadNetworkConfigTest, IsRejectedWithTheRightCode) {
  auto c = parseNetworkConfig(GetParam().input);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error.code, GetParam().code) << c.error.message;
  EXPECT_THAT(c.error.message, HasSubstr(GetParam().mentions));
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadNetworkConfigTest,
    ::testing::Values(
        BadConfig{"", ErrorCode::kDecodingFailure, "not valid JSON"},
        BadConfig{"{not json", ErrorCode::kDecodingFailure, "not valid JSON"},
        BadConfig{"[1,2]", ErrorCode::kDecodingFailure, "object"},
        BadConfig{R"({"name": "n"})", ErrorCode::kInvalidNetworkConfig, "cniVersion"},
        BadConfig{R"({"cniVersion": "0.2.0"})", ErrorCode::kIncompatibleVersion, "0.2.0"},
        BadConfig{R"({"cniVersion": 1})", ErrorCode::kInvalidNetworkConfig, "cniVersion"},
        BadConfig{R"({"cniVersion": "1.0.0", "agentSocket": "rel/path"})",
                  ErrorCode::kInvalidNetworkConfig, "agentSocket"},
        BadConfig{R"({"cniVersion": "1.0.0", "timeoutSeconds": 600})",
                  ErrorCode::kInvalidNetworkConfig, "timeoutSeconds"},
        BadConfig{R"({"cniVersion": "1.0.0", "timeoutSeconds": "5"})",
                  ErrorCode::kInvalidNetworkConfig, "timeoutSeconds"},
        BadConfig{R"({"cniVersion": "1.0.0", "mtu": 10})", ErrorCode::kInvalidNetworkConfig, "mtu"},
        BadConfig{R"({"cniVersion": "1.0.0", "securityGroups": "sg"})",
                  ErrorCode::kInvalidNetworkConfig, "securityGroups"},
        BadConfig{R"({"cniVersion": "1.0.0", "runtimeConfig": []})",
                  ErrorCode::kInvalidNetworkConfig, "runtimeConfig"},
        BadConfig{R"({"cniVersion": "1.0.0", "runtimeConfig": {"ips": [1]}})",
                  ErrorCode::kInvalidNetworkConfig, "ips"},
        BadConfig{R"({"cniVersion": "1.0.0",
                     "runtimeConfig": {"io.kubernetes.cri.pod-annotations": ["a"]}})",
                  ErrorCode::kInvalidNetworkConfig, "io.kubernetes.cri.pod-annotations"},
        BadConfig{R"({"cniVersion": "1.0.0", "prevResult": "x"})", ErrorCode::kInvalidNetworkConfig,
                  "prevResult"},
        BadConfig{R"({"cniVersion": "1.1.0", "cni.dev/valid-attachments": [{"ifname": "e"}]})",
                  ErrorCode::kInvalidNetworkConfig, "valid-attachments"}));

Result sampleResult() {
  Result r;
  r.interfaces = {{"eth0", "fa:16:3e:00:00:01", 1450, "/var/run/netns/p"}};
  r.ips = {{"10.0.1.5/24", "10.0.1.1", 0}};
  r.routes = {{"0.0.0.0/0", "10.0.1.1", 0}};
  r.dns.nameservers = {"10.0.0.53"};
  return r;
}

TEST(ResultTest, OldVersionsCarryIpVersionAndNoMtu) {
  for (const char* v : {"0.3.0", "0.3.1", "0.4.0"}) {
    json j = encodeResult(sampleResult(), v);
    EXPECT_EQ(j["cniVersion"], v);
    EXPECT_EQ(j["ips"][0]["version"], "4");
    EXPECT_EQ(j["ips"][0]["interface"], 0);
    EXPECT_FALSE(j["interfaces"][0].contains("mtu"));
  }
}

TEST(ResultTest, OneOhDropsIpVersionAndOneOneAddsMtu) {
  json j10 = encodeResult(sampleResult(), "1.0.0");
  EXPECT_FALSE(j10["ips"][0].contains("version"));
  EXPECT_FALSE(j10["interfaces"][0].contains("mtu"));
  json j11 = encodeResult(sampleResult(), "1.1.0");
  EXPECT_EQ(j11["interfaces"][0]["mtu"], 1450);
  EXPECT_EQ(j11["dns"]["nameservers"][0], "10.0.0.53");
}

TEST(ResultTest, DecodesWhatItEncodesInEveryVersion) {
  for (const auto& v : supportedVersions()) {
    auto back = decodeResult(encodeResult(sampleResult(), v));
    ASSERT_TRUE(back.ok()) << v;
    EXPECT_EQ(back.value->ips, sampleResult().ips);
    EXPECT_EQ(back.value->routes, sampleResult().routes);
    EXPECT_EQ(back.value->dns, sampleResult().dns);
    EXPECT_EQ(back.value->interfaces[0].name, "eth0");
  }
  EXPECT_FALSE(decodeResult(json::parse(R"({"ips": [{"gateway": "1.1.1.1"}]})")).ok());
  EXPECT_FALSE(decodeResult(json::parse(R"({"interfaces": {}})")).ok());
}

TEST(ErrorJsonTest, HasSpecShape) {
  json j = json::parse(errorJson("1.0.0", {ErrorCode::kTryAgainLater, "agent down", "dial"}));
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  EXPECT_EQ(j["code"], 11);
  EXPECT_EQ(j["msg"], "agent down");
  EXPECT_EQ(j["details"], "dial");
  EXPECT_EQ(json::parse(errorJson("", {ErrorCode::kIoFailure, "x", ""}))["cniVersion"], "1.1.0");
}

}  // namespace
}  // namespace alcor::cni
