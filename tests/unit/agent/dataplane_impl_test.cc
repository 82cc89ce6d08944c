// DataplaneImpl against the in-memory OpenFlow switch: minimal diffs in one bundle, restore
// without touching live flows, retries after failures.

#include "node-agent/dataplane/dataplane_impl.h"

#include <gtest/gtest.h>

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
                    .update([&](NetworkState& s, ChangeSet&) {
                      if (s.vpcs.empty()) addVpc(s);
                      addPort(s, id, "vpc-a", ("10.1.0." + std::to_string(ofport + 10)).c_str(),
                              ("fa:16:3e:00:00:" + std::to_string(ofport + 10)).c_str(), ofport);
                    })
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
                  .update([](NetworkState& s, ChangeSet&) {
                    s.interfaces.erase("p1");
                    s.ports.erase("p1");
                  })
                  .ok());
  EXPECT_EQ(countCookie(of.flows(), makeCookie(CookieCategory::kPort, "p1")), 0u);
}

TEST_F(DataplaneImplTest, RestartKeepsLiveFlowsUntilRestoreFinishes) {
  auto both = [](NetworkState& s, ChangeSet&) {
    addVpc(s);
    addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 1);
    addPort(s, "p2", "vpc-a", "10.1.0.6", "fa:16:3e:00:00:06", 2);
  };
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
  ASSERT_TRUE(dataplane.update([](NetworkState& s, ChangeSet&) { s.ports.erase("p2"); }).ok());
  EXPECT_EQ(countCookie(of.flows(), p2), 0u);
  EXPECT_EQ(countCookie(of.flows(), p1), countCookie(before, p1));
}

TEST_F(DataplaneImplTest, FlowsNobodyRelearnedGoWhenTheRestoreEnds) {
  {
    DataplaneImpl first(of, DataplaneOptions{{100}, ""});
    ASSERT_TRUE(first.start().ok());
    first.finishRestore();
    ASSERT_TRUE(first
                    .update([](NetworkState& s, ChangeSet&) {
                      addVpc(s);
                      addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 1);
                    })
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
  Status st = dataplane.update([](NetworkState& s, ChangeSet&) {
    addVpc(s);
    addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 1);
  });
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
  EXPECT_EQ(of.flows(), before);
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

}  // namespace
}  // namespace alcor::agent
