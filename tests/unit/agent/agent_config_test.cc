#include "node-agent/config/agent_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace alcor::agent {
namespace {

using ::testing::HasSubstr;

Status parse(AgentConfig& c, std::vector<std::string> args) {
  FlagSet f("alcor-agent", "test");
  registerAgentFlags(f, c);
  RETURN_IF_ERROR(f.parse(args));
  return finalizeAgentConfig(c);
}

TEST(AgentConfigTest, DerivesDefaults) {
  AgentConfig c;
  ASSERT_TRUE(parse(c, {"--node-name=n1", "--node-ip=10.200.0.11", "--ovs-rundir=/tmp/ovs"}).ok());
  EXPECT_EQ(c.node_id, "n1");
  EXPECT_EQ(c.grpc_listen, "10.200.0.11:50001");
  EXPECT_EQ(c.ovsdb, "unix:/tmp/ovs/db.sock");
  EXPECT_EQ(c.underlay_mtu, 0);  // read from the underlay interface at start-up
  EXPECT_TRUE(c.masquerade);
  EXPECT_TRUE(c.service_cidrs.empty());
  AgentConfig given;
  ASSERT_TRUE(parse(given, {"--node-ip=10.0.0.1", "--underlay-mtu=9000",
                            "--service-cidr=10.96.0.0/12, 10.100.0.0/16"})
                  .ok());
  EXPECT_EQ(given.podMtu(), 8950);
  ASSERT_EQ(given.service_cidrs.size(), 2u);
  EXPECT_EQ(given.service_cidrs[1].toString(), "10.100.0.0/16");
}

TEST(AgentConfigTest, ChecksMtusOnceTheUnderlayMtuIsKnown) {
  AgentConfig c;
  ASSERT_TRUE(parse(c, {"--node-ip=10.0.0.1", "--pod-mtu=1400"}).ok());
  c.underlay_mtu = 1500;  // as read from the interface
  EXPECT_TRUE(checkMtus(c).ok());
  c.underlay_mtu = 1300;
  EXPECT_THAT(checkMtus(c).message(), HasSubstr("pod MTU 1400 must be between 576 and the underlay "
                                                "MTU 1300"));
  c.underlay_mtu = 1000;
  EXPECT_THAT(checkMtus(c).message(), HasSubstr("underlay MTU 1000"));
}

TEST(AgentConfigTest, RejectsBadValuesWithClearMessages) {
  AgentConfig a;
  EXPECT_THAT(parse(a, {"--node-name=n"}).message(), HasSubstr("--node-ip"));
  AgentConfig b;
  EXPECT_THAT(parse(b, {"--node-ip=10.0.0.300"}).message(), HasSubstr("IPv4"));
  AgentConfig c;
  EXPECT_THAT(parse(c, {"--node-ip=10.0.0.1", "--datapath-type=dpdk"}).message(),
              HasSubstr("system or netdev"));
  AgentConfig d;
  EXPECT_THAT(parse(d, {"--node-ip=10.0.0.1", "--underlay-mtu=1500", "--pod-mtu=9000"}).message(),
              HasSubstr("MTU"));
  AgentConfig f;
  EXPECT_THAT(parse(f, {"--node-ip=10.0.0.1", "--service-cidr=10.96.0.0/33"}).message(),
              HasSubstr("--service-cidr: 10.96.0.0/33 is not an IPv4 CIDR"));
  AgentConfig e;
  EXPECT_THAT(parse(e, {"--node-ip=10.0.0.1", "--underlay-interface=eth1"}).message(),
              HasSubstr("--underlay-bridge"));
  AgentConfig g;
  EXPECT_THAT(parse(g, {"--node-ip=10.0.0.1", "--kube-api-server=10.0.0.2:6443"}).message(),
              HasSubstr("https://"));
  AgentConfig h;
  EXPECT_THAT(parse(h, {"--node-ip=10.0.0.1", "--kube-token-file=/t"}).message(),
              HasSubstr("need --kube-api-server"));
}

TEST(AgentConfigTest, TakesAnExplicitKubernetesApi) {
  AgentConfig c;
  ASSERT_TRUE(parse(c, {"--node-ip=10.0.0.1", "--kube-api-server=https://10.0.0.2:6443",
                        "--kube-token-file=/run/t", "--kube-ca-file=/run/ca.crt"})
                  .ok());
  EXPECT_EQ(c.kube_api_server, "https://10.0.0.2:6443");
  EXPECT_EQ(c.kube_token_file, "/run/t");
  EXPECT_EQ(c.kube_ca_file, "/run/ca.crt");
}

}  // namespace
}  // namespace alcor::agent
