// Issue 10: reliability scenarios — restarts of the agent, ovs-vswitchd and the controller under
// traffic, and ADD/DEL churn while daemons are killed at random. Each asserts zero loss or zero
// leaks; scripts/reliability.sh runs them with larger counts and prints the figures.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <future>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/one_subnet_fixture.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

int envInt(const char* name, int fallback) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : fallback;
}

// Continuous ping in the background: `count` probes `interval_ms` apart.
std::future<CommandResult> pingInBackground(const Pod& from, const std::string& ip, int count,
                                            int interval_ms = 20) {
  return std::async(std::launch::async, [&from, ip, count, interval_ms] {
    return from.ns->exec({"ping", "-c", std::to_string(count), "-i",
                          std::to_string(interval_ms / 1000.0), "-W", "1", ip},
                         {.timeout = std::chrono::seconds(120)});
  });
}

int lostProbes(const CommandResult& ping) {
  // "N packets transmitted, M received"
  auto t = ping.out.find(" packets transmitted, ");
  if (t == std::string::npos) return -1;
  auto start = ping.out.rfind('\n', t);
  int sent = std::atoi(ping.out.c_str() + (start == std::string::npos ? 0 : start + 1));
  int received = std::atoi(ping.out.c_str() + t + 22);
  return sent - received;
}

TEST(ReliabilityTest, AgentRestartDropsNoPingBetweenPodsOfSeveralNodes) {
  auto c = startOneSubnetCluster({.nodes = 3});
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto& cluster = *c->cluster;
  std::vector<Pod> pods;
  for (int i = 0; i < 3; ++i) {
    auto p = cluster.addPod(i, c->vpc, c->subnet);
    ASSERT_TRUE(p.ok()) << p.status().message();
    pods.push_back(std::move(*p));
  }
  // Warm up every path: the userspace datapath drops the first tunnel packet to a node whose
  // underlay MAC it has not resolved yet.
  ASSERT_TRUE(canPing(pods[0], pods[1].ip()));
  ASSERT_TRUE(canPing(pods[1], pods[2].ip()));
  ASSERT_TRUE(canPing(pods[2], pods[0].ip()));
  // Traffic through node 2 (index 1) in both directions, and between the other two nodes.
  auto p01 = pingInBackground(pods[0], pods[1].ip(), 200);
  auto p12 = pingInBackground(pods[1], pods[2].ip(), 200);
  auto p20 = pingInBackground(pods[2], pods[0].ip(), 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  cluster.stopAgent(1);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(cluster.startAgent(1).ok());
  ASSERT_TRUE(cluster.waitAgentReady(1).ok());
  for (auto* f : {&p01, &p12, &p20}) {
    auto r = f->get();
    EXPECT_EQ(lostProbes(r), 0) << r.out;
  }
  // The restarted agent still owns its pod: its DEL works and cleans up.
  auto del = cluster.delPod(pods[1], c->vpc, c->subnet);
  EXPECT_TRUE(del.ok()) << del.describe();
  EXPECT_THAT(podPorts(cluster.node(1)), IsEmpty());
}

// Two nodes, one subnet, `local` pods on node 0 and one on node 1.
struct TwoNodes {
  std::unique_ptr<Cluster> cluster;
  std::vector<Pod> local;
  Pod remote;
};

StatusOr<TwoNodes> twoNodes(int local) {
  TwoNodes t;
  ASSIGN_OR_RETURN(auto c, startOneSubnetCluster({.nodes = 2}));
  t.cluster = std::move(c.cluster);
  for (int i = 0; i < local; ++i) {
    ASSIGN_OR_RETURN(auto pod, t.cluster->addPod(0, c.vpc, c.subnet));
    t.local.push_back(std::move(pod));
  }
  ASSIGN_OR_RETURN(t.remote, t.cluster->addPod(1, c.vpc, c.subnet));
  return t;
}

long long msSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                               start)
      .count();
}

TEST(ReliabilityTest, VswitchdRestartIsRepairedByTheAgent) {
  auto t = twoNodes(2);
  ASSERT_TRUE(t.ok()) << t.status().message();
  auto& cluster = *t->cluster;
  const auto flows_before = cluster.node(0).ovs->dumpFlows("br-int");
  ASSERT_TRUE(cluster.node(0).ovs->restartVswitchd().ok());
  const auto restarted = std::chrono::steady_clock::now();
  // The agent reconnects, replays every flow and puts the node IP back on br-phy.
  bool restored = waitFor(
      [&] { return cluster.node(0).ovs->dumpFlows("br-int").size() == flows_before.size(); },
      std::chrono::seconds(10));
  EXPECT_TRUE(restored);
  std::cout << "vswitchd restart: " << flows_before.size() << " flows back after "
            << msSince(restarted) << " ms\n";
  EXPECT_EQ(cluster.node(0).ovs->dumpFlows("br-int"), flows_before);
  EXPECT_TRUE(canPing(t->local[0], t->local[1].ip(), 3));
  EXPECT_TRUE(canPing(t->local[0], t->remote.ip(), 3));
  cluster.node(0).ovs->allowLogPattern(".*");  // a killed datapath logs its teardown
}

// The userspace datapath's node IP sits on br-phy, a device of ovs-vswitchd: while OVS is away
// (its pod deleted) the agent puts it back on the NIC, so the node stays reachable (its kubelet
// must reach the API server to get OVS back), and onto br-phy again once OVS is back.
TEST(ReliabilityTest, WhileVswitchdIsAwayTheNodeIpIsOnTheNic) {
  auto t = twoNodes(1);
  ASSERT_TRUE(t.ok()) << t.status().message();
  auto& cluster = *t->cluster;
  const Pod& local = t->local[0];
  const Pod& remote = t->remote;
  ASSERT_TRUE(canPing(local, remote.ip()));
  ClusterNode& node = cluster.node(0);
  auto holder = [&] {  // the device with the node IP, per `ip` (the oracle)
    auto r = node.ns->exec({"ip", "-4", "-o", "addr", "show", "to", node.ip});
    std::istringstream line(r.out);
    std::string index, device;
    line >> index >> device;
    return device;
  };
  auto reaches = [&] {  // the node answers on its IP from the underlay
    return cluster.infra().exec({"ping", "-c", "1", "-W", "1", node.ip}).ok();
  };
  ASSERT_EQ(holder(), "br-phy");

  ASSERT_TRUE(node.ovs->stopVswitchd().ok());
  const auto stopped = std::chrono::steady_clock::now();
  EXPECT_TRUE(waitFor([&] { return holder() == "ul0"; }, std::chrono::seconds(10)))
      << "holder: '" << holder() << "'";
  EXPECT_TRUE(waitFor(reaches, std::chrono::seconds(5))) << "the node is cut off without OVS";
  std::cout << "vswitchd stopped: node IP on ul0 and answering after " << msSince(stopped)
            << " ms\n";

  ASSERT_TRUE(node.ovs->startVswitchd().ok());
  const auto started = std::chrono::steady_clock::now();
  EXPECT_TRUE(waitFor([&] { return holder() == "br-phy" && reaches(); }, std::chrono::seconds(20)))
      << "holder: '" << holder() << "'";
  std::cout << "vswitchd started: node IP on br-phy and answering after " << msSince(started)
            << " ms\n";
  node.ovs->allowLogPattern(".*");  // a stopped datapath logs its teardown
  // The pods talk again: br-phy has the NIC's MAC, so the peer's tunnel neighbor cache, which
  // learnt the node IP while it was on the NIC, is still right.
  EXPECT_TRUE(waitFor([&] { return canPing(local, remote.ip(), 1); }, std::chrono::seconds(20)));
}

TEST(ReliabilityTest, ControllerRestartKeepsEveryResource) {
  auto c = startOneSubnetCluster({.nodes = 1, .persistent_controller = true});
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto& cluster = *c->cluster;
  auto a = cluster.addPod(0, c->vpc, c->subnet);
  auto b = cluster.addPod(0, c->vpc, c->subnet);
  ASSERT_TRUE(a.ok() && b.ok());
  auto before = cluster.rest("GET", "/project/" + cluster.project() + "/ports");
  cluster.stopController();
  EXPECT_TRUE(canPing(*a, b->ip()));  // the data plane does not need the controller
  ASSERT_TRUE(cluster.startController().ok());
  auto after = cluster.rest("GET", "/project/" + cluster.project() + "/ports");
  ASSERT_EQ(after.status, 200);
  EXPECT_EQ(after.body["ports"].size(), before.body["ports"].size());
  EXPECT_EQ(cluster.rest("GET", "/project/" + cluster.project() + "/vpcs/" + c->vpc).status, 200);
  // Allocations survive: a new pod gets a fresh address, and it can talk to the old ones.
  auto d = cluster.addPod(0, c->vpc, c->subnet);
  ASSERT_TRUE(d.ok()) << d.status().message();
  EXPECT_NE(d->ip(), a->ip());
  EXPECT_NE(d->ip(), b->ip());
  EXPECT_TRUE(canPing(*d, a->ip()));
}

// ADD/DEL cycles while the agent or the controller is killed at random. Every CNI call must
// return success or a CNI error code; after a final clean-up pass nothing is left anywhere.
TEST(ReliabilityTest, ChurnWithRandomKillsLeaksNothing) {
  const int cycles = envInt("ALCOR_CHURN_CYCLES", 40);
  // A short restore grace: flows a killed agent left are removed 2 s after it re-registers.
  auto c = startOneSubnetCluster(
      {.nodes = 1, .extra_agent_flags = {"--restore-grace=2"}, .persistent_controller = true});
  ASSERT_TRUE(c.ok()) << c.status().message();
  auto& cluster = *c->cluster;
  const auto config = cluster.cniConfig(0, c->vpc, c->subnet);
  std::vector<std::unique_ptr<Netns>> namespaces;
  for (int i = 0; i < 4; ++i) namespaces.push_back(std::move(*Netns::create("churn")));

  // The killer thread only kills; the test thread restarts what died, as a supervisor would
  // (daemons must be started by the long-lived thread: the harness gives them PDEATHSIG).
  std::mutex daemons;
  std::atomic<bool> done{false};
  std::atomic<int> kills{0};
  std::thread killer([&] {
    std::mt19937 rng(42);
    while (!done) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300 + rng() % 700));
      if (done) break;
      std::lock_guard lock(daemons);
      if (rng() % 2) {
        cluster.killAgent(0);
      } else {
        cluster.killController();
      }
      ++kills;
    }
  });
  auto superviseOnce = [&] {
    std::lock_guard lock(daemons);
    if (!cluster.controllerRunning()) (void)cluster.startController();
    if (!cluster.node(0).agent.running()) (void)cluster.startAgent(0);
  };
  int ok = 0, errors = 0;
  std::set<int> codes;
  for (int i = 0; i < cycles; ++i) {
    const std::string id = "churn" + std::to_string(i % 4);
    const std::string ns = namespaces[i % 4]->path();
    for (const char* cmd : {"ADD", "DEL"}) {
      superviseOnce();
      auto r = cluster.cni(0, cmd, config, id, ns);
      if (r.ok()) {
        ++ok;
        continue;
      }
      ++errors;
      auto j = nlohmann::json::parse(r.out, nullptr, false);
      ASSERT_TRUE(j.is_object() && j.contains("code") && j.contains("msg"))
          << cmd << " returned something that is not a CNI error: " << r.describe();
      codes.insert(j["code"].get<int>());
    }
  }
  done = true;
  killer.join();
  // Everything up again, then a clean-up pass like kubelet's retries.
  superviseOnce();
  Status ready = cluster.waitAgentReady(0);
  ASSERT_TRUE(ready.ok()) << ready.message();
  for (int i = 0; i < 4; ++i) {
    auto r = cluster.cni(0, "DEL", config, "churn" + std::to_string(i), namespaces[i]->path());
    EXPECT_TRUE(r.ok()) << r.describe();
  }
  // Ports the agent could not release while the controller was down are released later.
  bool released =
      waitFor([&] { return controllerPortCount(cluster) == 0; }, std::chrono::seconds(30));
  EXPECT_TRUE(released) << controllerPortCount(cluster) << " controller port(s) left";
  EXPECT_THAT(podPorts(cluster.node(0)), IsEmpty());
  EXPECT_THAT(tapLinks(cluster.node(0)), IsEmpty());
  auto portFlows = [&] {
    std::vector<std::string> out;
    for (const auto& f : cluster.node(0).ovs->dumpFlows("br-int")) {
      if (f.find("cookie=0x2") != std::string::npos) out.push_back(f);
    }
    return out;
  };
  waitFor([&] { return portFlows().empty(); }, std::chrono::seconds(10));
  EXPECT_THAT(portFlows(), IsEmpty());
  std::cout << "churn: " << cycles << " cycles, " << kills << " kills, " << ok
            << " calls succeeded, " << errors << " returned CNI errors\n";
}

}  // namespace
}  // namespace alcor::testing
