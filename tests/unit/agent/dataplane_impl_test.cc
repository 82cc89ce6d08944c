// DataplaneImpl against the in-memory OpenFlow switch: minimal diffs in one bundle, restore
// without touching live flows, retries after failures; incremental programming: a change
// recomputes and sends only its owners' flows, a CNI ADD sends its port's flows once whichever
// of plug and GoalState comes first, readers and later writers do not wait for a bundle in
// flight, and the owners of a failed pass are retried by the next one.

#include "node-agent/dataplane/dataplane_impl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "lib/openflow/fake_connection.h"
#include "node-agent/pipeline/cookie.h"
#include "tests/unit/agent/test_state.h"

namespace alcor::agent {
namespace {

using namespace alcor::agent::testing;
using pipeline::CookieCategory;
using pipeline::makeCookie;

size_t countCookie(const std::vector<openflow::Flow>& flows, uint64_t cookie) {
  size_t n = 0;
  for (const auto& f : flows) n += f.cookie == cookie;
  return n;
}

class DataplaneImplTest : public ::testing::Test {
 protected:
  DataplaneImplTest() : dataplane(of, DataplaneOptions{{100}, ""}) {}
  void addVpcAndPort(const std::string& id, uint32_t ofport) {
    ASSERT_TRUE(dataplane
                    .update(tracked([&](NetworkState& s) {
                      if (s.vpcs.empty()) addVpc(s);
                      addPort(s, id, "vpc-a", ("10.1.0." + std::to_string(ofport + 10)).c_str(),
                              ("fa:16:3e:00:00:" + std::to_string(ofport + 10)).c_str(), ofport);
                    }))
                    .ok());
  }
  openflow::FakeConnection of;
  DataplaneImpl dataplane;
};

TEST_F(DataplaneImplTest, StartInstallsThePipelineDefaults) {
  ASSERT_TRUE(dataplane.start().ok());
  auto flows = of.flows();
  EXPECT_GT(flows.size(), 10u);
  EXPECT_EQ(countCookie(flows, makeCookie(CookieCategory::kStatic, "static")), flows.size());
  EXPECT_EQ(of.bundleCount(), 1u);
}

TEST_F(DataplaneImplTest, AnUpdateSendsOnlyTheDifferenceInOneBundle) {
  ASSERT_TRUE(dataplane.start().ok());
  dataplane.finishRestore();
  addVpcAndPort("p1", 1);
  size_t bundles = of.bundleCount();
  auto p1 = countCookie(of.flows(), makeCookie(CookieCategory::kPort, "p1"));
  EXPECT_GT(p1, 5u);
  // The same state again: nothing to send.
  ASSERT_TRUE(dataplane.update([](NetworkState&, ChangeSet&) {}).ok());
  EXPECT_EQ(of.bundleCount(), bundles);
  // A second port adds its flows and leaves p1's alone.
  addVpcAndPort("p2", 2);
  EXPECT_EQ(of.bundleCount(), bundles + 1);
  EXPECT_EQ(countCookie(of.flows(), makeCookie(CookieCategory::kPort, "p1")), p1);
  EXPECT_EQ(countCookie(of.flows(), makeCookie(CookieCategory::kPort, "p2")), p1);
}

TEST_F(DataplaneImplTest, RemovingAPortRemovesItsFlows) {
  ASSERT_TRUE(dataplane.start().ok());
  dataplane.finishRestore();
  addVpcAndPort("p1", 1);
  ASSERT_TRUE(dataplane
                  .update(tracked([](NetworkState& s) {
                    s.interfaces.erase("p1");
                    s.ports.erase("p1");
                  }))
                  .ok());
  EXPECT_EQ(countCookie(of.flows(), makeCookie(CookieCategory::kPort, "p1")), 0u);
}

TEST_F(DataplaneImplTest, RestartKeepsLiveFlowsUntilRestoreFinishes) {
  auto both = tracked([](NetworkState& s) {
    addVpc(s);
    addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 1);
    addPort(s, "p2", "vpc-a", "10.1.0.6", "fa:16:3e:00:00:06", 2);
  });
  {
    DataplaneImpl first(of, DataplaneOptions{{100}, ""});
    ASSERT_TRUE(first.start().ok());
    first.finishRestore();
    ASSERT_TRUE(first.update(both).ok());
  }
  const auto before = of.flows();
  const size_t bundles = of.bundleCount();
  const uint64_t p1 = makeCookie(CookieCategory::kPort, "p1");
  const uint64_t p2 = makeCookie(CookieCategory::kPort, "p2");
  // A new agent starts with an empty state: nothing may be deleted yet.
  ASSERT_TRUE(dataplane.start().ok());
  EXPECT_EQ(of.flows(), before);
  EXPECT_EQ(of.bundleCount(), bundles);  // defaults were already there: no bundle at all
  // It relearns everything: still nothing changes on the switch.
  ASSERT_TRUE(dataplane.update(both).ok());
  EXPECT_EQ(of.flows(), before);
  EXPECT_EQ(of.bundleCount(), bundles);
  // p2 goes away before the restore is over: a relearned object's flows go at once...
  ASSERT_TRUE(dataplane.update(tracked([](NetworkState& s) { s.ports.erase("p2"); })).ok());
  EXPECT_EQ(countCookie(of.flows(), p2), 0u);
  EXPECT_EQ(countCookie(of.flows(), p1), countCookie(before, p1));
}

TEST_F(DataplaneImplTest, FlowsNobodyRelearnedGoWhenTheRestoreEnds) {
  {
    DataplaneImpl first(of, DataplaneOptions{{100}, ""});
    ASSERT_TRUE(first.start().ok());
    first.finishRestore();
    ASSERT_TRUE(first
                    .update(tracked([](NetworkState& s) {
                      addVpc(s);
                      addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 1);
                    }))
                    .ok());
  }
  const uint64_t p1 = makeCookie(CookieCategory::kPort, "p1");
  const size_t p1_flows = countCookie(of.flows(), p1);
  ASSERT_TRUE(dataplane.start().ok());
  ASSERT_TRUE(dataplane.update([](NetworkState&, ChangeSet&) {}).ok());
  EXPECT_EQ(countCookie(of.flows(), p1), p1_flows);  // kept: the controller may re-push it
  dataplane.finishRestore();
  EXPECT_EQ(countCookie(of.flows(), p1), 0u);
}

TEST_F(DataplaneImplTest, FlowsOfOthersAreLeftAlone) {
  openflow::Flow foreign;
  foreign.table = 0;
  foreign.priority = 5;
  foreign.cookie = 0x42;
  ASSERT_TRUE(of.bundle({openflow::FlowMod::add(foreign)}).ok());
  ASSERT_TRUE(dataplane.start().ok());
  dataplane.finishRestore();
  EXPECT_EQ(countCookie(of.flows(), 0x42), 1u);
}

TEST_F(DataplaneImplTest, AFailedBundleIsRetriedByResync) {
  ASSERT_TRUE(dataplane.start().ok());
  dataplane.finishRestore();
  of.failNext(unavailableError("switch went away"));
  Status st = dataplane.update(tracked([](NetworkState& s) {
    addVpc(s);
    addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 1);
  }));
  EXPECT_FALSE(st.ok());
  EXPECT_TRUE(dataplane.needsResync());
  EXPECT_EQ(countCookie(of.flows(), makeCookie(CookieCategory::kPort, "p1")), 0u);
  ASSERT_TRUE(dataplane.resync().ok());
  EXPECT_FALSE(dataplane.needsResync());
  EXPECT_GT(countCookie(of.flows(), makeCookie(CookieCategory::kPort, "p1")), 0u);
}

TEST_F(DataplaneImplTest, ReconnectReplaysEverything) {
  ASSERT_TRUE(dataplane.start().ok());
  dataplane.finishRestore();
  addVpcAndPort("p1", 1);
  const auto before = of.flows();
  of.setReconnectHandler([&] { ASSERT_TRUE(dataplane.resync().ok()); });
  of.simulateReconnect();
  // The same flows; their order within a priority means nothing to the switch.
  EXPECT_THAT(of.flows(), ::testing::UnorderedElementsAreArray(before));
}

TEST_F(DataplaneImplTest, WaitForPortsReturnsWhenFlowsAreInstalled) {
  ASSERT_TRUE(dataplane.start().ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    addVpcAndPort("p1", 1);
  });
  auto ready = dataplane.waitForPorts({"p1"}, deadline);
  later.join();
  EXPECT_EQ(ready, std::set<std::string>{"p1"});
  // A port that never gets an interface is not reported.
  auto none = dataplane.waitForPorts(
      {"p9"}, std::chrono::steady_clock::now() + std::chrono::milliseconds(20));
  EXPECT_TRUE(none.empty());
}

size_t addsWithCookie(const std::vector<openflow::FlowMod>& mods, uint64_t cookie) {
  size_t n = 0;
  for (const auto& m : mods) n += m.command == openflow::FlowMod::kAdd && m.flow.cookie == cookie;
  return n;
}

class DataplaneIncrementalTest : public ::testing::Test {
 protected:
  DataplaneIncrementalTest() : dataplane(of, DataplaneOptions{{100}, ""}) {}
  void SetUp() override {
    ASSERT_TRUE(dataplane.start().ok());
    dataplane.finishRestore();
  }
  // Port p<i> at 10.1.0.<10+i>, ofport i (0: not plugged).
  Status addPort(int i, uint32_t ofport) {
    const std::string ip = "10.1.0." + std::to_string(10 + i);
    const std::string mac = "fa:16:3e:00:01:" + std::to_string(10 + i);
    return dataplane.update(tracked([&](NetworkState& s) {
      if (s.vpcs.empty()) addVpc(s);
      testing::addPort(s, "p" + std::to_string(i), "vpc-a", ip.c_str(), mac.c_str(), ofport);
    }));
  }
  Status addNeighbors(int from, int to) {
    return dataplane.update(tracked([&](NetworkState& s) {
      for (int i = from; i < to; ++i) {
        const std::string ip = "10.1.0." + std::to_string(100 + i);
        const std::string mac = "fa:16:3e:00:02:" + std::to_string(10 + i);
        addNeighbor(s, "n" + std::to_string(i), "vpc-a", ip.c_str(), mac.c_str(), "192.168.0.20");
      }
    }));
  }
  openflow::FakeConnection of;
  DataplaneImpl dataplane;
};

TEST_F(DataplaneIncrementalTest, ANeighborChangeRecomputesAndSendsOnlyThatNeighbor) {
  ASSERT_TRUE(addPort(1, 1).ok());
  ASSERT_TRUE(addNeighbors(0, 50).ok());
  const DataplaneStats before = dataplane.stats();
  ASSERT_TRUE(addNeighbors(50, 51).ok());
  const DataplaneStats after = dataplane.stats();
  EXPECT_EQ(after.owners_recomputed - before.owners_recomputed, 1u);
  EXPECT_EQ(after.bundles - before.bundles, 1u);
  // Its ARP answer and its tunnel flow, nothing else.
  const uint64_t cookie = makeCookie(CookieCategory::kNeighbor, "L2/n50");
  EXPECT_EQ(after.flow_mods - before.flow_mods, 2u);
  EXPECT_EQ(countCookie(of.flows(), cookie), 2u);
}

TEST_F(DataplaneIncrementalTest, AnAddSendsItsPortsFlowsOnceWhicheverArrivesFirst) {
  ASSERT_TRUE(addPort(1, 1).ok());
  const uint64_t p2 = makeCookie(CookieCategory::kPort, "p2");
  const uint64_t p3 = makeCookie(CookieCategory::kPort, "p3");
  // p2: the interface is plugged first, its GoalState comes second (the usual CNI ADD).
  ASSERT_TRUE(dataplane
                  .update([](NetworkState& s, ChangeSet& c) {
                    s.interfaces["p2"] = LocalInterface{"p2", "tapp2", 2};
                    c.interfaces.insert("p2");
                  })
                  .ok());
  EXPECT_EQ(countCookie(of.flows(), p2), 0u);
  ASSERT_TRUE(addPort(2, 2).ok());
  // p3: the GoalState first, then the interface.
  ASSERT_TRUE(addPort(3, 0).ok());
  ASSERT_TRUE(dataplane
                  .update([](NetworkState& s, ChangeSet& c) {
                    s.interfaces["p3"] = LocalInterface{"p3", "tapp3", 3};
                    c.interfaces.insert("p3");
                  })
                  .ok());
  const auto installed = of.flows();
  const auto mods = of.appliedMods();
  ASSERT_GT(countCookie(installed, p2), 5u);
  EXPECT_EQ(addsWithCookie(mods, p2), countCookie(installed, p2));
  ASSERT_GT(countCookie(installed, p3), 5u);
  EXPECT_EQ(addsWithCookie(mods, p3), countCookie(installed, p3));
  // Resending the same GoalState finds nothing to do.
  const size_t bundles = of.bundleCount();
  ASSERT_TRUE(addPort(3, 3).ok());
  EXPECT_EQ(of.bundleCount(), bundles);
}

TEST_F(DataplaneIncrementalTest, ReadersAndLaterWritersDoNotWaitForABundleInFlight) {
  ASSERT_TRUE(addPort(1, 1).ok());
  std::promise<void> entered, release;
  std::shared_future<void> released = release.get_future().share();
  bool first = true;
  of.setBundleHook([&] {
    if (!std::exchange(first, false)) return;
    entered.set_value();
    released.wait();
  });
  std::thread writer([&] { EXPECT_TRUE(addPort(2, 2).ok()); });
  entered.get_future().wait();  // p2's bundle is held inside the switch

  auto reader = std::async(std::launch::async, [&] {
    bool has_p2 = false;
    dataplane.read([&](const NetworkState& s) { has_p2 = s.ports.count("p2") > 0; });
    return has_p2;
  });
  const bool read_in_time = reader.wait_for(std::chrono::seconds(5)) == std::future_status::ready;
  // A later change is accepted and computed meanwhile; its bundle follows p2's.
  auto later = std::async(std::launch::async, [&] { return addNeighbors(0, 1).ok(); });
  const bool later_waits =
      later.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout;
  bool neighbor_in_state = false;
  dataplane.read([&](const NetworkState& s) { neighbor_in_state = s.neighbors.count("L2/n0"); });
  release.set_value();
  writer.join();
  EXPECT_TRUE(read_in_time);
  EXPECT_TRUE(reader.get());  // the state change is visible before the switch took it
  EXPECT_TRUE(later_waits);
  EXPECT_TRUE(neighbor_in_state);
  EXPECT_TRUE(later.get());
  EXPECT_GT(countCookie(of.flows(), makeCookie(CookieCategory::kPort, "p2")), 5u);
  EXPECT_EQ(countCookie(of.flows(), makeCookie(CookieCategory::kNeighbor, "L2/n0")), 2u);
}

TEST_F(DataplaneIncrementalTest, TheOwnersOfAFailedPassAreRetriedByTheNextOne) {
  ASSERT_TRUE(addPort(1, 1).ok());
  of.failNext(unavailableError("switch busy"));
  EXPECT_FALSE(addPort(2, 2).ok());
  const uint64_t p2 = makeCookie(CookieCategory::kPort, "p2");
  EXPECT_EQ(countCookie(of.flows(), p2), 0u);
  EXPECT_TRUE(dataplane.needsResync());
  // An unrelated change brings p2's flows along.
  ASSERT_TRUE(addNeighbors(0, 1).ok());
  EXPECT_GT(countCookie(of.flows(), p2), 5u);
  EXPECT_EQ(dataplane.waitForPorts({"p2"}, std::chrono::steady_clock::now()),
            std::set<std::string>{"p2"});
}

}  // namespace
}  // namespace alcor::agent
