// Issue 5, "a real runtime": podman (CNI backend, runc, hermetic config, busybox rootfs) runs
// containers on a conflist alcor-cni -> portmap against a real controller, agent and OVS.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "lib/base/strings.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/one_subnet_fixture.h"
#include "tests/e2e/podman/podman_runtime.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

// podman names the namespaces it creates /run/netns/netns-<uuid>.
std::set<std::string> podmanNetnses() {
  std::set<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/var/run/netns")) {
    auto name = e.path().filename().string();
    if (startsWith(name, "netns-")) out.insert(name);
  }
  return out;
}

class PodmanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = startOneSubnetCluster({.nodes = 1});
    ASSERT_TRUE(c.ok()) << c.status().message();
    cluster = std::move(c->cluster);
    nlohmann::json alcor = cluster->cniConfig(0, c->vpc, c->subnet);
    alcor.erase("cniVersion");
    alcor.erase("name");
    nlohmann::json conflist = {
        {"cniVersion", "1.0.0"},
        {"name", "alcor-net"},
        {"plugins", {alcor, {{"type", "portmap"}, {"capabilities", {{"portMappings", true}}}}}}};
    netns_before = podmanNetnses();
    cni_cache_existed = std::filesystem::exists(kCniCache);
    auto p = PodmanRuntime::create(
        {.netns = node().ns->name(),
         .conflist = conflist,
         .cni_plugins = {Cluster::binary("alcor-cni"), "/usr/lib/cni/portmap"}});
    ASSERT_TRUE(p.ok()) << p.status().message();
    podman = std::move(*p);
  }
  void TearDown() override {
    podman.reset();
    cluster.reset();
    // libcni's result cache is the one host path podman 4.3 cannot be pointed elsewhere; leave
    // the host as it was when it held nothing before.
    std::error_code ec;
    if (!cni_cache_existed) {
      std::filesystem::remove(std::string(kCniCache) + "/results", ec);
      std::filesystem::remove(kCniCache, ec);
    }
  }
  // Cached ADD results of our network still on the host (libcni keys them by network name).
  std::vector<std::string> cachedResults() {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& e :
         std::filesystem::directory_iterator(std::string(kCniCache) + "/results", ec)) {
      if (startsWith(e.path().filename().string(), "alcor-net-")) out.push_back(e.path());
    }
    return out;
  }
  ClusterNode& node() { return cluster->node(0); }
  // NAT rules in the node namespace (where portmap ran) that mention `text`.
  std::vector<std::string> natRulesMentioning(const std::string& text) {
    std::vector<std::string> out;
    auto r = node().ns->exec({"iptables", "-t", "nat", "-S"});
    for (auto line : splitString(r.out, '\n')) {
      if (line.find(text) != std::string_view::npos) out.emplace_back(line);
    }
    return out;
  }

  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<PodmanRuntime> podman;
  std::set<std::string> netns_before;
  bool cni_cache_existed = false;
  static constexpr const char* kCniCache = "/var/lib/cni";
};

TEST_F(PodmanTest, TwoContainersPingEachOtherAndRmLeavesNothingBehind) {
  auto a = podman->runSleeper("alcor-a", {"-p", "18080:8080"});
  ASSERT_TRUE(a.ok()) << a.describe() << "\nagent log: " << node().agentLog();
  auto b = podman->runSleeper("alcor-b");
  ASSERT_TRUE(b.ok()) << b.describe() << "\nagent log: " << node().agentLog();

  const std::string ip_a = podman->ipOf("alcor-a"), ip_b = podman->ipOf("alcor-b");
  ASSERT_THAT(ip_a, HasSubstr("10.0.1."));
  ASSERT_THAT(ip_b, HasSubstr("10.0.1."));
  EXPECT_NE(ip_a, ip_b);
  auto ping_ab = podman->podman({"exec", "alcor-a", "/bin/ping", "-c", "2", "-W", "2", ip_b});
  EXPECT_TRUE(ping_ab.ok()) << ping_ab.describe();
  auto ping_ba = podman->podman({"exec", "alcor-b", "/bin/ping", "-c", "2", "-W", "2", ip_a});
  EXPECT_TRUE(ping_ba.ok()) << ping_ba.describe();
  // The container got the subnet's gateway as its default route and the pod MTU.
  auto route = podman->podman({"exec", "alcor-a", "/bin/ip", "route", "show", "default"});
  EXPECT_THAT(route.out, HasSubstr("via 10.0.1.1"));

  // Both are ports on br-int and at the controller; portmap, chained after alcor-cni, got our
  // result as prevResult and mapped the host port to a's address in the node namespace.
  EXPECT_EQ(podPorts(node()).size(), 2u);
  EXPECT_EQ(controllerPortCount(*cluster), 2);
  EXPECT_EQ(cachedResults().size(), 2u);
  EXPECT_THAT(natRulesMentioning(ip_a + ":8080"), Not(IsEmpty()));
  EXPECT_THAT(natRulesMentioning("18080"), Not(IsEmpty()));

  auto rm = podman->podman({"rm", "-f", "-t", "0", "alcor-a", "alcor-b"});
  ASSERT_TRUE(rm.ok()) << rm.describe();
  EXPECT_THAT(podPorts(node()), IsEmpty());
  EXPECT_THAT(tapLinks(node()), IsEmpty());
  EXPECT_EQ(controllerPortCount(*cluster), 0);
  EXPECT_THAT(natRulesMentioning(ip_a), IsEmpty());
  EXPECT_THAT(natRulesMentioning("18080"), IsEmpty());
  EXPECT_EQ(podmanNetnses(), netns_before);
  EXPECT_THAT(cachedResults(), IsEmpty());
  EXPECT_THAT(podman->podman({"ps", "-a", "-q"}).out, IsEmpty());
}

}  // namespace
}  // namespace alcor::testing
