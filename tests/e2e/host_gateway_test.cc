// Host access: pods of the host-gateway VPC and the node they run on reach each other through
// the host gateway port (kubelet probes, kube-proxy services, node-local DNS); pods of other VPCs
// do not.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/e2e/e2e_util.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;

TEST(HostGatewayTest, PodsOfTheHostVpcAndTheNodeReachEachOther) {
  auto c =
      Cluster::start({.nodes = 2,
                      .extra_agent_flags = {"--host-gateway-vpc=vpc-default"},
                      .extra_controller_flags = {"--bootstrap-project=demo",
                                                 "--bootstrap-vpc=vpc-default:10.0.0.0/16",
                                                 "--bootstrap-subnet=subnet-default:10.0.1.0/24"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto& cluster = **c;
  auto pod = cluster.addPod(0, "vpc-default", "subnet-default");
  auto remote = cluster.addPod(1, "vpc-default", "subnet-default");
  ASSERT_TRUE(pod.ok() && remote.ok()) << pod.status().message();
  ClusterNode& node = cluster.node(0);

  // The node routes the VPC's subnet through its host gateway port (within a second).
  bool routed = waitFor(
      [&] {
        return node.ns->exec({"ip", "route", "show", "10.0.1.0/24"}).out.find("alcor-gw0") !=
               std::string::npos;
      },
      std::chrono::seconds(5));
  ASSERT_TRUE(routed) << node.ns->exec({"ip", "route"}).out;
  // Pod -> node IP, and node -> pod (kubelet's probes come from the node).
  EXPECT_TRUE(canPing(*pod, node.ip, 3));
  auto from_node = node.ns->exec({"ping", "-c", "2", "-i", "0.2", "-W", "1", pod->ip()});
  EXPECT_TRUE(from_node.ok()) << from_node.out;
  // TCP from the node to a server in the pod.
  TempDir dir;
  RunOptions in_pod;
  in_pod.netns = pod->ns->name();
  auto server = Daemon::start({"busybox", "nc", "-l", "-p", "8081"}, dir.path() + "/got", in_pod);
  ASSERT_TRUE(server.ok());
  bool sent = waitFor(
      [&] { return node.ns->shell("echo probe | busybox nc -w 2 " + pod->ip() + " 8081").ok(); },
      std::chrono::seconds(5));
  EXPECT_TRUE(sent);
  server->wait(std::chrono::seconds(3));
  EXPECT_THAT(run({"cat", dir.path() + "/got"}).out, HasSubstr("probe"));
  // The remote pod reaches its own node, not through this one.
  EXPECT_TRUE(canPing(*remote, cluster.node(1).ip, 3));

  // A pod of another VPC has no host access.
  auto red = cluster.createVpcAndSubnet("10.0.0.0/16", "10.0.1.0/24");
  ASSERT_TRUE(red.ok());
  auto other = cluster.addPod(0, red->first, red->second);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(canPing(*other, node.ip));
}

}  // namespace
}  // namespace alcor::testing
