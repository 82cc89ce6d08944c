#include "lib/ovsdb/fake_bridge_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

namespace alcor::ovsdb {
namespace {

using namespace std::chrono_literals;

auto soon() { return std::chrono::steady_clock::now() + 2s; }

TEST(FakeBridgeClientTest, BridgesAndPortsLifecycle) {
  FakeBridgeClient fake;
  ASSERT_TRUE(fake.ensureBridge({.name = "br-int", .datapath_type = "netdev"}).ok());
  EXPECT_TRUE(*fake.bridgeExists("br-int"));
  ASSERT_TRUE(fake.addPorts("br-int", {{.name = "a", .external_ids = {{"pod", "x"}}},
                                       {.name = "b", .ofport_request = 10}})
                  .ok());
  auto ofports = fake.waitForOfports({"a", "b"}, soon());
  ASSERT_TRUE(ofports.ok()) << ofports.status();
  EXPECT_EQ(ofports->at("a"), 1);
  EXPECT_EQ(ofports->at("b"), 10);
  auto pods = fake.listPorts("br-int", {{"pod", "x"}});
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->size(), 1u);
  EXPECT_EQ((*pods)[0].name, "a");
  // Re-adding updates in place.
  ASSERT_TRUE(fake.addPorts("br-int", {{.name = "a", .external_ids = {{"pod", "y"}}}}).ok());
  EXPECT_EQ(fake.port("br-int", "a")->external_ids.at("pod"), "y");
  EXPECT_EQ(fake.listPorts("br-int")->size(), 3u);  // a, b and the bridge's local port
  ASSERT_TRUE(fake.deletePorts("br-int", {"a", "missing"}).ok());
  EXPECT_FALSE(fake.port("br-int", "a").has_value());
  ASSERT_TRUE(fake.deleteBridge("br-int").ok());
  ASSERT_TRUE(fake.deleteBridge("br-int").ok());
  EXPECT_FALSE(*fake.bridgeExists("br-int"));
}

TEST(FakeBridgeClientTest, InjectedFailuresChangeNothing) {
  FakeBridgeClient fake;
  ASSERT_TRUE(fake.ensureBridge({.name = "br"}).ok());
  fake.injectFailure("addPorts", unavailableError("ovsdb down"), 1);
  EXPECT_EQ(fake.addPorts("br", {{.name = "a"}}).code(), StatusCode::kUnavailable);
  EXPECT_FALSE(fake.port("br", "a").has_value());
  EXPECT_TRUE(fake.addPorts("br", {{.name = "a"}}).ok());
  EXPECT_EQ(fake.callCount("addPorts"), 2);
}

TEST(FakeBridgeClientTest, PortErrorsAndMissingPorts) {
  FakeBridgeClient fake;
  ASSERT_TRUE(fake.ensureBridge({.name = "br"}).ok());
  fake.failPortCreation("bad", "could not open network device bad (No such device)");
  ASSERT_TRUE(fake.addPorts("br", {{.name = "bad"}}).ok());
  auto r = fake.waitForOfports({"bad"}, soon());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("No such device"));
  auto missing = fake.waitForOfports({"nope"}, std::chrono::steady_clock::now() + 50ms);
  EXPECT_EQ(missing.status().code(), StatusCode::kDeadlineExceeded);
}

TEST(FakeBridgeClientTest, WaitForOfportsSeesPortsAddedLater) {
  FakeBridgeClient fake;
  ASSERT_TRUE(fake.ensureBridge({.name = "br"}).ok());
  std::thread adder([&] {
    std::this_thread::sleep_for(50ms);
    (void)fake.addPorts("br", {{.name = "late"}});
  });
  auto r = fake.waitForOfports({"late"}, soon());
  adder.join();
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->at("late"), 1);
}

TEST(FakeBridgeClientTest, RejectsDuplicateNamesAndTakenOfports) {
  FakeBridgeClient fake;
  ASSERT_TRUE(fake.ensureBridge({.name = "br"}).ok());
  ASSERT_TRUE(fake.ensureBridge({.name = "br2"}).ok());
  EXPECT_FALSE(fake.addPorts("br", {{.name = "a"}, {.name = "a"}}).ok());
  ASSERT_TRUE(fake.addPorts("br", {{.name = "a", .ofport_request = 5}}).ok());
  EXPECT_FALSE(fake.addPorts("br", {{.name = "b", .ofport_request = 5}}).ok());
  EXPECT_FALSE(fake.addPorts("br2", {{.name = "a"}}).ok());
  EXPECT_EQ(fake.addPorts("nobridge", {{.name = "c"}}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(fake.setFlowRestoreWait(true).ok());
  EXPECT_TRUE(fake.flowRestoreWait());
}

}  // namespace
}  // namespace alcor::ovsdb
