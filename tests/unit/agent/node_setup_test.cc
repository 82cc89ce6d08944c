// The underlay MTU the agent derives the pod MTU from: read from the underlay interface, or from
// the interface that holds the node IP; a missing one is an error that says what to fix.

#include "node-agent/host/node_setup.h"

#include <unistd.h>

#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/netlink/fake_link_manager.h"
#include "lib/ovsdb/fake_bridge_client.h"

namespace alcor::agent {
namespace {

using ::testing::HasSubstr;

TEST(NodeSetupTest, UnderlayMtuComesFromTheInterfaceThatCarriesTheTunnel) {
  netlink::FakeLinkManager links;
  netlink::LinkInfo nic;
  nic.name = "eth1";
  nic.mtu = 9000;
  nic.addresses = {*netlink::IpPrefix::parse("192.168.5.10/24")};
  links.addLink("", nic);
  EXPECT_EQ(*underlayMtu(links, "eth1", "192.168.5.10"), 9000);
  EXPECT_EQ(*underlayMtu(links, "", "192.168.5.10"), 9000);  // found by the node IP

  auto missing = underlayMtu(links, "eth9", "192.168.5.10");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(),
              HasSubstr("underlay interface eth9 does not exist on this node"));
  auto nobody = underlayMtu(links, "", "192.168.5.11");
  EXPECT_THAT(nobody.status().message(), HasSubstr("no interface of this node holds the node IP"));
}

// The userspace datapath with node IP 10.250.0.11 on the NIC ul0, and vswitchd's tap device
// for br-phy.
NodeSetupOptions underlayOptions() {
  NodeSetupOptions o;
  o.datapath_type = "netdev";
  o.underlay_bridge = "br-phy";
  o.underlay_interface = "ul0";
  o.node_ip = "10.250.0.11";
  return o;
}

netlink::LinkInfo underlayBridge() {
  netlink::LinkInfo bridge;
  bridge.name = "br-phy";
  return bridge;
}

netlink::RouteSpec defaultRoute() {
  netlink::RouteSpec route;
  route.destination = *netlink::IpPrefix::parse("0.0.0.0/0");
  route.gateway = *netlink::IpAddress::parse("10.250.0.1");
  return route;
}

// The NIC with the node IP and the default route, as the node booted.
netlink::LinkInfo underlayNic() {
  netlink::LinkInfo nic;
  nic.name = "ul0";
  nic.addresses = {*netlink::IpPrefix::parse("10.250.0.11/24")};
  nic.routes = {defaultRoute()};
  return nic;
}

// A state directory of its own (removed by the test).
std::string stateDir(const std::string& name) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("alcor-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  return dir;
}

// The userspace datapath: the node IP moves from the NIC to br-phy. The NIC must stop answering
// ARP for it (peers' tunnels would learn the NIC's MAC, which br-phy does not take) and br-phy
// announces the address, for peers that learned the NIC's MAC before the move.
TEST(NodeSetupTest, TheNodeIpMovesToTheUnderlayBridgeAndOnlyItAnswersForIt) {
  netlink::FakeLinkManager links;
  const auto address = *netlink::IpPrefix::parse("10.250.0.11/24");
  netlink::LinkInfo nic;
  nic.name = "ul0";
  nic.mtu = 1500;
  nic.mac = *MacAddress::parse("02:00:0a:fa:00:0b");
  nic.addresses = {address};
  links.addLink("", nic);
  links.addLink("", underlayBridge());
  ovsdb::FakeBridgeClient bridges;

  NodeSetupOptions o = underlayOptions();
  ASSERT_TRUE(setUpNode(bridges, links, o).ok());
  // br-phy has the NIC's MAC: peers' tunnel neighbor caches stay right while the node IP moves
  // between the two (it goes back to the NIC while OVS is away).
  ASSERT_TRUE(bridges.bridge("br-phy").has_value());
  EXPECT_EQ(bridges.bridge("br-phy")->other_config["hwaddr"], "02:00:0a:fa:00:0b");

  auto moved = links.getLink("", "br-phy");
  ASSERT_TRUE(moved.ok() && moved->has_value());
  EXPECT_THAT((*moved)->addresses, ::testing::Contains(address));
  auto left = links.getLink("", "ul0");
  ASSERT_TRUE(left.ok() && left->has_value());
  EXPECT_THAT((*left)->addresses, ::testing::Not(::testing::Contains(address)));
  EXPECT_TRUE(links.arpForOwnAddressesOnly("", "ul0"));
  EXPECT_FALSE(links.arpForOwnAddressesOnly("", "br-phy"));
  EXPECT_THAT(links.announcements(), ::testing::ElementsAre("/br-phy/10.250.0.11"));
}

// A node of the userspace datapath whose node IP and default route were moved to br-phy, its
// routes kept in a state file.
class UnderlayNodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    links_.addLink("", underlayNic());
    links_.addLink("", underlayBridge());
    o_.underlay_routes_file = dir_ + "/underlay-routes";
    ASSERT_TRUE(setUpNode(bridges_, links_, o_).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // The NIC as the kernel leaves it once its address went: no address, no routes.
  void bareNic() {
    ASSERT_TRUE(links_.deleteLink("", "ul0").ok());
    netlink::LinkInfo nic = underlayNic();
    nic.addresses.clear();
    nic.routes.clear();
    links_.addLink("", nic);
  }
  netlink::LinkInfo link(const std::string& name) {
    auto l = links_.getLink("", name);
    EXPECT_TRUE(l.ok() && l->has_value()) << name;
    return l.ok() && l->has_value() ? **l : netlink::LinkInfo{};
  }

  const std::string dir_ = stateDir("node-setup");
  const netlink::IpPrefix address_ = *netlink::IpPrefix::parse("10.250.0.11/24");
  netlink::FakeLinkManager links_;
  ovsdb::FakeBridgeClient bridges_;
  NodeSetupOptions o_ = underlayOptions();
};

// The NIC's default route stops working when the node IP leaves it: it moves to br-phy too. A
// restarted ovs-vswitchd recreates br-phy bare, and by then the NIC has no routes either: the
// routes come back from the state file.
TEST_F(UnderlayNodeTest, TheNicsRoutesMoveToTheBridgeAndComeBackAfterTheBridgeIsRecreated) {
  EXPECT_THAT(link("br-phy").routes, ::testing::ElementsAre(defaultRoute()));

  // ovs-vswitchd restarted: a bare br-phy, and the NIC (in the kernel) lost its routes.
  ASSERT_TRUE(links_.deleteLink("", "br-phy").ok());
  bareNic();
  links_.addLink("", underlayBridge());
  ASSERT_TRUE(setUpNode(bridges_, links_, o_).ok());
  EXPECT_THAT(link("br-phy").routes, ::testing::ElementsAre(defaultRoute()));
}

// OVS away (its pod deleted, say): br-phy's device went with ovs-vswitchd and the node IP with
// it. The IP and the kept routes go back to the NIC, so the node stays reachable (its kubelet
// must reach the API server to start OVS again), and move to br-phy again once it is back.
TEST_F(UnderlayNodeTest, WhileOvsIsAwayTheNodeIpAndRoutesAreBackOnTheNic) {
  // ovs-vswitchd killed: br-phy's device stays, with no process behind it, holding the node IP.
  bareNic();
  auto kept = releaseUnderlay(links_, o_);
  ASSERT_TRUE(kept.ok()) << kept.status().message();
  EXPECT_TRUE(*kept) << "br-phy holds the node IP, but OVS is away: it must move";
  EXPECT_THAT(link("ul0").addresses, ::testing::ElementsAre(address_));
  EXPECT_THAT(link("ul0").routes, ::testing::ElementsAre(defaultRoute()));
  EXPECT_THAT(link("br-phy").addresses, ::testing::IsEmpty());
  EXPECT_THAT(links_.announcements(), ::testing::Contains("/ul0/10.250.0.11"));
  // Idempotent: a second loss of the connection changes nothing.
  const size_t announced = links_.announcements().size();
  auto again = releaseUnderlay(links_, o_);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(links_.announcements().size(), announced);

  // ovs-vswitchd gone for good with its device; then back with a bare br-phy.
  ASSERT_TRUE(links_.deleteLink("", "br-phy").ok());
  ASSERT_TRUE(releaseUnderlay(links_, o_).ok());
  links_.addLink("", underlayBridge());
  ASSERT_TRUE(setUpNode(bridges_, links_, o_).ok());
  EXPECT_THAT(link("br-phy").addresses, ::testing::ElementsAre(address_));
  EXPECT_THAT(link("br-phy").routes, ::testing::ElementsAre(defaultRoute()));
  EXPECT_THAT(link("ul0").addresses, ::testing::Not(::testing::Contains(address_)));
}

TEST(NodeSetupTest, ReleasingTheUnderlayNeedsTheNicAndDoesNothingWithoutABridge) {
  netlink::FakeLinkManager links;
  NodeSetupOptions o = underlayOptions();
  auto missing = releaseUnderlay(links, o);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("ul0"));
  o.underlay_bridge.clear();  // the kernel datapath: the node IP never moved
  const size_t calls = links.calls().size();
  auto none = releaseUnderlay(links, o);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(*none);
  EXPECT_EQ(links.calls().size(), calls);
}

}  // namespace
}  // namespace alcor::agent
