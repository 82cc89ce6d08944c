// Issue 5: the CNI path end to end on one node — real controller, agent, OVS and alcor-cni.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/one_subnet_fixture.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class CniPathTest : public OneSubnetTest {
 protected:
  CniPathTest() : OneSubnetTest({.nodes = 1}) {}
  ClusterNode& node() { return cluster->node(0); }
  int cniCode(const CommandResult& r) {
    auto j = nlohmann::json::parse(r.out, nullptr, false);
    return j.is_object() && j.contains("code") ? j["code"].get<int>() : 0;
  }
};

TEST_F(CniPathTest, TwoPodsOfAVpcTalkOverIcmpAndTcp) {
  auto a = cluster->addPod(0, vpc, subnet);
  auto b = cluster->addPod(0, vpc, subnet);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message() << b.status().message();
  EXPECT_NE(a->ip(), b->ip());
  EXPECT_TRUE(canPing(*a, b->ip()));
  EXPECT_TRUE(tcpWorks(*a, *b));
  // The result carries the pod interface inside its sandbox, the address with its gateway.
  EXPECT_EQ(a->result["ips"][0]["gateway"], "10.0.1.1");
  EXPECT_THAT(a->result["ips"][0]["address"].get<std::string>(), HasSubstr("/24"));
  auto link = a->ns->exec({"ip", "-o", "link", "show", "eth0"});
  EXPECT_THAT(link.out, HasSubstr(podMac(*a)));
  EXPECT_THAT(link.out, HasSubstr("mtu 1450"));
  auto route = a->ns->exec({"ip", "route", "show", "default"});
  EXPECT_THAT(route.out, HasSubstr("via 10.0.1.1"));
}

TEST_F(CniPathTest, PodsOfDifferentVpcsCannotTalkEvenWithOverlappingAddresses) {
  auto red = cluster->createVpcAndSubnet("10.0.0.0/16", "10.0.1.0/24");
  ASSERT_TRUE(red.ok());
  auto a = cluster->addPod(0, vpc, subnet);
  auto b = cluster->addPod(0, vpc, subnet);
  auto x = cluster->addPod(0, red->first, red->second);
  ASSERT_TRUE(a.ok() && b.ok() && x.ok());
  EXPECT_EQ(x->ip(), a->ip());  // each VPC has its own address space
  EXPECT_FALSE(canPing(*x, b->ip()));
  EXPECT_FALSE(canPing(*b, x->ip() == b->ip() ? a->ip() : "10.0.1.250"));
  EXPECT_TRUE(canPing(*a, b->ip()));
}

TEST_F(CniPathTest, DelLeavesNothingBehindAndTheAddressIsReused) {
  auto a = cluster->addPod(0, vpc, subnet);
  ASSERT_TRUE(a.ok()) << a.status().message();
  const std::string ip = a->ip(), mac = podMac(*a);
  ASSERT_EQ(podPorts(node()).size(), 1u);
  ASSERT_FALSE(flowsMentioning(node(), mac).empty());
  ASSERT_EQ(controllerPortCount(*cluster), 1);

  auto del = cluster->delPod(*a, vpc, subnet);
  ASSERT_TRUE(del.ok()) << del.describe();
  EXPECT_THAT(podPorts(node()), IsEmpty());
  EXPECT_THAT(tapLinks(node()), IsEmpty());
  EXPECT_THAT(flowsMentioning(node(), mac), IsEmpty());
  EXPECT_THAT(flowsMentioning(node(), "nw_dst=" + ip), IsEmpty());
  EXPECT_EQ(controllerPortCount(*cluster), 0);
  EXPECT_FALSE(a->ns->exec({"ip", "link", "show", "eth0"}).ok());

  // DEL again (kubelet retries): still success.
  EXPECT_TRUE(cluster->delPod(*a, vpc, subnet).ok());
  // The address is free again: the controller hands it out when asked for it.
  auto port = cluster->rest(
      "POST", "/project/" + cluster->project() + "/ports",
      {{"port",
        {{"network_id", vpc}, {"fixed_ips", {{{"subnet_id", subnet}, {"ip_address", ip}}}}}}});
  EXPECT_EQ(port.status, 201) << port.raw;
}

TEST_F(CniPathTest, TwentyConcurrentAddsThenDels) {
  constexpr int kPods = 20;
  std::vector<std::unique_ptr<Netns>> namespaces;
  for (int i = 0; i < kPods; ++i) {
    auto ns = Netns::create("cc");
    ASSERT_TRUE(ns.ok());
    namespaces.push_back(std::move(*ns));
  }
  auto config = cluster->cniConfig(0, vpc, subnet);
  std::vector<std::future<CommandResult>> adds;
  for (int i = 0; i < kPods; ++i) {
    adds.push_back(std::async(std::launch::async, [&, i] {
      return cluster->cni(0, "ADD", config, "cc" + std::to_string(i), namespaces[i]->path());
    }));
  }
  std::set<std::string> ips;
  for (auto& f : adds) {
    auto r = f.get();
    ASSERT_TRUE(r.ok()) << r.describe();
    auto j = nlohmann::json::parse(r.out);
    ips.insert(j["ips"][0]["address"].get<std::string>());
  }
  EXPECT_EQ(ips.size(), static_cast<size_t>(kPods));
  EXPECT_EQ(podPorts(node()).size(), static_cast<size_t>(kPods));
  EXPECT_EQ(controllerPortCount(*cluster), kPods);

  std::vector<std::future<CommandResult>> dels;
  for (int i = 0; i < kPods; ++i) {
    dels.push_back(std::async(std::launch::async, [&, i] {
      return cluster->cni(0, "DEL", config, "cc" + std::to_string(i), namespaces[i]->path());
    }));
  }
  for (auto& f : dels) {
    auto r = f.get();
    EXPECT_TRUE(r.ok()) << r.describe();
  }
  EXPECT_THAT(podPorts(node()), IsEmpty());
  EXPECT_THAT(tapLinks(node()), IsEmpty());
  EXPECT_EQ(controllerPortCount(*cluster), 0);
}

TEST_F(CniPathTest, SecondAddForTheSameContainerFails) {
  auto a = cluster->addPod(0, vpc, subnet);
  ASSERT_TRUE(a.ok());
  auto r =
      cluster->cni(0, "ADD", cluster->cniConfig(0, vpc, subnet), a->container_id, a->ns->path());
  EXPECT_FALSE(r.ok());
  EXPECT_NE(cniCode(r), 0) << r.out;
  EXPECT_EQ(podPorts(node()).size(), 1u);
  EXPECT_EQ(controllerPortCount(*cluster), 1);
  // The first attachment is untouched.
  EXPECT_FALSE(flowsMentioning(node(), podMac(*a)).empty());
  EXPECT_TRUE(a->ns->exec({"ip", "link", "show", "eth0"}).ok());
}

TEST_F(CniPathTest, DelOfAnUnknownContainerSucceeds) {
  auto r = cluster->cni(0, "DEL", cluster->cniConfig(0, vpc, subnet), "never-added",
                        "/var/run/netns/does-not-exist");
  EXPECT_TRUE(r.ok()) << r.describe();
}

TEST_F(CniPathTest, MalformedInputIsRejectedAndNothingIsCreated) {
  auto ns = Netns::create("bad");
  ASSERT_TRUE(ns.ok());
  RunOptions o;
  o.netns = node().ns->name();
  o.env = {{"CNI_COMMAND", "ADD"},
           {"CNI_CONTAINERID", "bad1"},
           {"CNI_NETNS", (*ns)->path()},
           {"CNI_IFNAME", "eth0"},
           {"CNI_PATH", "/usr/lib/cni"}};
  o.stdin_data = "{not json";
  auto r = run({Cluster::binary("alcor-cni")}, o);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(cniCode(r), 6) << r.out;
  o.stdin_data = R"({"cniVersion":"1.0.0","name":"alcor","type":"alcor-cni","mtu":"big"})";
  r = run({Cluster::binary("alcor-cni")}, o);
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(std::vector<int>({6, 7}), ::testing::Contains(cniCode(r))) << r.out;
  EXPECT_THAT(podPorts(node()), IsEmpty());
  EXPECT_EQ(controllerPortCount(*cluster), 0);
}

TEST_F(CniPathTest, AgentDownGivesTryAgainLaterQuickly) {
  cluster->stopAgent(0);
  auto ns = Netns::create("down");
  ASSERT_TRUE(ns.ok());
  auto started = std::chrono::steady_clock::now();
  auto r = cluster->cni(0, "ADD", cluster->cniConfig(0, vpc, subnet), "down1", (*ns)->path());
  auto took = std::chrono::steady_clock::now() - started;
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(cniCode(r), 11) << r.out;
  EXPECT_THAT(r.out, HasSubstr(node().cniSocket()));
  EXPECT_LT(took, std::chrono::seconds(100));  // inside the plugin's deadline, not a hang
  EXPECT_EQ(controllerPortCount(*cluster), 0);
}

TEST_F(CniPathTest, AgentRestartKeepsPodsTalkingAndRebuildsItsState) {
  auto a = cluster->addPod(0, vpc, subnet);
  auto b = cluster->addPod(0, vpc, subnet);
  ASSERT_TRUE(a.ok() && b.ok());
  // Ping through the restart: 150 probes 20 ms apart.
  auto pinger = std::async(std::launch::async, [&] {
    return a->ns->exec({"ping", "-c", "150", "-i", "0.02", "-W", "1", b->ip()},
                       {.timeout = std::chrono::seconds(30)});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto flows_before = node().ovs->dumpFlows("br-int");
  cluster->stopAgent(0);
  ASSERT_TRUE(cluster->startAgent(0).ok());
  ASSERT_TRUE(cluster->waitAgentReady(0).ok());
  auto ping = pinger.get();
  EXPECT_THAT(ping.out, HasSubstr(" 0% packet loss")) << ping.out;
  EXPECT_EQ(podPorts(node()).size(), 2u);  // no duplicate ports
  EXPECT_TRUE(canPing(*b, a->ip()));
  // DEL after the restart still finds the attachment.
  EXPECT_TRUE(cluster->delPod(*a, vpc, subnet).ok());
  EXPECT_EQ(podPorts(node()).size(), 1u);
  EXPECT_FALSE(flows_before.empty());
}

}  // namespace
}  // namespace alcor::testing
