// The CRI path (issue 14): containerd's CRI plugin, driven through the CRI API exactly as kubelet
// drives it, runs pod sandboxes on the conflist alcor-cni -> portmap against a real controller,
// agent and OVS. Pods get addresses and talk, hostPort works, the stop/stop/remove sequence
// leaves nothing behind, and with the agent down RunPodSandbox fails fast with a clear reason.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "lib/base/strings.h"
#include "tests/cri/containerd_runtime.h"
#include "tests/e2e/e2e_util.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

constexpr const char* kVpc = "vpc-default";
constexpr const char* kSubnet = "subnet-default";

std::set<std::string> netnsFiles() {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns", ec)) {
    out.insert(e.path().filename().string());
  }
  return out;
}

class CriTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The pods join the agent's default VPC, the host-gateway VPC: the node reaches them, as
    // kubelet's probes and hostPort DNAT need.
    auto c = Cluster::start(
        {.nodes = 1,
         .extra_agent_flags = {"--host-gateway-vpc=" + std::string(kVpc),
                               "--default-vpc=" + std::string(kVpc),
                               "--default-subnet=" + std::string(kSubnet)},
         .extra_controller_flags = {
             "--bootstrap-project=demo", "--bootstrap-vpc=" + std::string(kVpc) + ":10.0.0.0/16",
             "--bootstrap-subnet=" + std::string(kSubnet) + ":10.0.1.0/24"}});
    ASSERT_TRUE(c.ok()) << c.status().message();
    cluster = std::move(*c);
    nlohmann::json alcor = cluster->cniConfig(0, "", "");
    alcor.erase("cniVersion");
    alcor.erase("name");
    alcor["timeoutSeconds"] = 30;
    nlohmann::json conflist = {
        {"cniVersion", "1.0.0"},
        {"name", uniqueName("alcri")},
        {"plugins", {alcor, {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
    netns_before = netnsFiles();
    ports_before = podPorts(node());
    auto rt =
        ContainerdRuntime::start({.netns = node().ns->name(),
                                  .conflist = conflist,
                                  .cni_plugins = {Cluster::binary("alcor-cni"),
                                                  "/usr/lib/cni/portmap", "/usr/lib/cni/loopback"},
                                  .images = {PAUSE_IMAGE_ARCHIVE},
                                  .sandbox_image = PAUSE_IMAGE_NAME});
    ASSERT_TRUE(rt.ok()) << rt.status().message();
    runtime = std::move(*rt);
  }
  void TearDown() override {
    runtime.reset();
    cluster.reset();
  }

  ClusterNode& node() { return cluster->node(0); }
  CriClient& cri() { return runtime->cri(); }

  runtime::v1::PodSandboxConfig sandbox(const std::string& name, uint32_t attempt = 0) {
    std::string uid = "uid-" + name;
    return kubeletSandboxConfig("default", name, uid, attempt, runtime->logDirectory(uid),
                                runtime->cgroupParent());
  }
  std::string podIp(const std::string& id) {
    auto s = cri().podSandboxStatus(id);
    return s.ok() ? s->status().network().ip() : "";
  }
  std::string netnsOf(const std::string& id) {
    auto s = cri().podSandboxStatus(id, /*verbose=*/true);
    if (!s.ok()) return "";
    auto path = sandboxNetnsPath(*s);
    return path.ok() ? *path : "";
  }
  CommandResult inNetns(const std::string& netns_path, const std::string& script) {
    return run({"nsenter", "--net=" + netns_path, "sh", "-c", script});
  }
  // NAT rules in the node namespace (portmap's) that mention `text`.
  std::vector<std::string> natRulesMentioning(const std::string& text) {
    std::vector<std::string> out;
    auto rules = node().ns->exec({"iptables", "-t", "nat", "-S"});
    for (auto line : splitString(rules.out, '\n')) {
      if (line.find(text) != std::string_view::npos) out.emplace_back(line);
    }
    return out;
  }
  // Names of the pods' ports at the controller (the node's host gateway has one too).
  std::vector<std::string> controllerPodPorts() {
    std::vector<std::string> out;
    auto r = cluster->rest("GET", "/project/" + cluster->project() + "/ports");
    for (const auto& p : r.body.value("ports", nlohmann::json::array())) {
      if (p.value("device_owner", "") == "network:alcor-host-gateway") continue;
      out.push_back(p.value("name", ""));
    }
    return out;
  }

  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<ContainerdRuntime> runtime;
  std::set<std::string> netns_before;
  std::vector<std::string> ports_before;
};

TEST_F(CriTest, TwoPodsGetAddressesAndTalk) {
  auto a = cri().runPodSandbox(sandbox("pod-a"));
  ASSERT_TRUE(a.ok()) << a.status().message() << "\nagent log: " << node().agentLog();
  auto b = cri().runPodSandbox(sandbox("pod-b"));
  ASSERT_TRUE(b.ok()) << b.status().message() << "\nagent log: " << node().agentLog();

  auto status = cri().podSandboxStatus(*a);
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(status->status().state(), runtime::v1::SANDBOX_READY);
  const std::string ip_a = podIp(*a), ip_b = podIp(*b);
  EXPECT_THAT(ip_a, StartsWith("10.0.1."));
  EXPECT_THAT(ip_b, StartsWith("10.0.1."));
  EXPECT_NE(ip_a, ip_b);
  // The agent got kubelet's pod identity (K8S_POD_* in CNI_ARGS) and named the ports after it.
  EXPECT_THAT(controllerPodPorts(),
              ::testing::UnorderedElementsAre("default/pod-a", "default/pod-b"));

  const std::string ns_a = netnsOf(*a), ns_b = netnsOf(*b);
  ASSERT_FALSE(ns_a.empty());
  auto eth0 = inNetns(ns_a, "ip -4 -o addr show eth0");
  EXPECT_THAT(eth0.out, HasSubstr("inet " + ip_a + "/"));
  auto ab = inNetns(ns_a, "ping -c 2 -i 0.2 -W 2 " + ip_b);
  EXPECT_TRUE(ab.ok()) << ab.describe();
  auto ba = inNetns(ns_b, "ping -c 2 -i 0.2 -W 2 " + ip_a);
  EXPECT_TRUE(ba.ok()) << ba.describe();
  // The node reaches its pods (kubelet's HTTP probes come from the node).
  auto from_node = node().ns->exec({"ping", "-c", "2", "-i", "0.2", "-W", "2", ip_a});
  EXPECT_TRUE(from_node.ok()) << from_node.describe();
}

TEST_F(CriTest, HostPortReachesThePod) {
  auto config = sandbox("web");
  auto* pm = config.add_port_mappings();
  pm->set_protocol(runtime::v1::TCP);
  pm->set_container_port(8080);
  pm->set_host_port(18080);
  auto id = cri().runPodSandbox(config);
  ASSERT_TRUE(id.ok()) << id.status().message() << "\nagent log: " << node().agentLog();
  const std::string ip = podIp(*id), netns = netnsOf(*id);
  ASSERT_FALSE(netns.empty());
  EXPECT_THAT(natRulesMentioning(ip + ":8080"), Not(IsEmpty()));

  // A server in the pod on its container port, a client on the node dialing the host port.
  TempDir dir;
  auto server = Daemon::start({"nsenter", "--net=" + netns, "busybox", "nc", "-l", "-p", "8080"},
                              dir.path() + "/received");
  ASSERT_TRUE(server.ok());
  bool sent = waitFor(
      [&] {
        return node()
            .ns->shell("echo via-host-port | busybox nc -w 2 " + node().ip + " 18080")
            .ok();
      },
      std::chrono::seconds(10));
  EXPECT_TRUE(sent);
  server->wait(std::chrono::seconds(3));
  EXPECT_THAT(run({"cat", dir.path() + "/received"}).out, HasSubstr("via-host-port"));
}

TEST_F(CriTest, StopTwiceThenRemoveLeavesNothingBehind) {
  auto config = sandbox("short-lived");
  auto* pm = config.add_port_mappings();
  pm->set_container_port(8080);
  pm->set_host_port(18081);
  auto id = cri().runPodSandbox(config);
  ASSERT_TRUE(id.ok()) << id.status().message() << "\nagent log: " << node().agentLog();
  const std::string ip = podIp(*id);
  ASSERT_FALSE(ip.empty());
  EXPECT_EQ(controllerPodPorts().size(), 1u);
  EXPECT_NE(netnsFiles(), netns_before);
  EXPECT_THAT(runtime->cachedResults(), Not(IsEmpty()));

  // kubelet on a pod's deletion: StopPodSandbox (killPod), StopPodSandbox again (the sandbox GC
  // path, the namespace already gone), then RemovePodSandbox.
  Status stop = cri().stopPodSandbox(*id);
  ASSERT_TRUE(stop.ok()) << stop.message() << "\nagent log: " << node().agentLog();
  auto stopped = cri().podSandboxStatus(*id);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->status().state(), runtime::v1::SANDBOX_NOTREADY);
  EXPECT_THAT(controllerPodPorts(), IsEmpty());
  Status again = cri().stopPodSandbox(*id);
  EXPECT_TRUE(again.ok()) << again.message();
  Status remove = cri().removePodSandbox(*id);
  EXPECT_TRUE(remove.ok()) << remove.message();

  EXPECT_EQ(cri().podSandboxStatus(*id).status().code(), StatusCode::kNotFound);
  auto listed = cri().listPodSandbox();
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, IsEmpty());
  EXPECT_EQ(podPorts(node()), ports_before);
  EXPECT_THAT(tapLinks(node()), IsEmpty());
  EXPECT_THAT(controllerPodPorts(), IsEmpty());
  EXPECT_THAT(flowsMentioning(node(), ip), IsEmpty());
  EXPECT_THAT(natRulesMentioning(ip), IsEmpty());
  EXPECT_THAT(natRulesMentioning("18081"), IsEmpty());
  EXPECT_EQ(netnsFiles(), netns_before);
  EXPECT_THAT(runtime->cachedResults(), IsEmpty());
}

TEST_F(CriTest, AgentDownFailsFastWithAClearErrorThenTheRetryWorks) {
  cluster->stopAgent(0);
  auto started = std::chrono::steady_clock::now();
  auto failed = cri().runPodSandbox(sandbox("early"));
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(failed.ok());
  EXPECT_THAT(failed.status().message(), HasSubstr("cannot reach alcor-agent"));
  // Well within kubelet's 4-minute RunPodSandbox deadline: the runtime reports it and retries.
  EXPECT_LT(took, std::chrono::seconds(20));

  // kubelet's next sync: the agent is back, the failed attempt is cleaned up, attempt 1 works.
  ASSERT_TRUE(cluster->startAgent(0).ok());
  ASSERT_TRUE(cluster->waitAgentReady(0).ok());
  Status cleaned = runtime->removeAllSandboxes();
  EXPECT_TRUE(cleaned.ok()) << cleaned.message();
  auto retried = cri().runPodSandbox(sandbox("early", /*attempt=*/1));
  ASSERT_TRUE(retried.ok()) << retried.status().message() << "\nagent log: " << node().agentLog();
  EXPECT_THAT(podIp(*retried), StartsWith("10.0.1."));
  EXPECT_EQ(controllerPodPorts().size(), 1u);
}

}  // namespace
}  // namespace alcor::testing
