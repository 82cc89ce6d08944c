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

// The userspace datapath: the node IP moves from the NIC to br-phy. The NIC must stop answering
// ARP for it (peers' tunnels would learn the NIC's MAC, which br-phy does not take) and br-phy
// announces the address, for peers that learned the NIC's MAC before the move.
TEST(NodeSetupTest, TheNodeIpMovesToTheUnderlayBridgeAndOnlyItAnswersForIt) {
  netlink::FakeLinkManager links;
  const auto address = *netlink::IpPrefix::parse("10.250.0.11/24");
  netlink::LinkInfo nic;
  nic.name = "ul0";
  nic.mtu = 1500;
  nic.addresses = {address};
  links.addLink("", nic);
  links.addLink("", underlayBridge());
  ovsdb::FakeBridgeClient bridges;

  NodeSetupOptions o = underlayOptions();
  ASSERT_TRUE(setUpNode(bridges, links, o).ok());

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

// The NIC's default route stops working when the node IP leaves it: it moves to br-phy too. A
// restarted ovs-vswitchd recreates br-phy bare, and by then the NIC has no routes either: the
// routes come back from the state file.
TEST(NodeSetupTest, TheNicsRoutesMoveToTheBridgeAndComeBackAfterTheBridgeIsRecreated) {
  const std::string dir =
      std::filesystem::temp_directory_path() / ("alcor-node-setup-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  netlink::FakeLinkManager links;
  netlink::RouteSpec default_route;
  default_route.destination = *netlink::IpPrefix::parse("0.0.0.0/0");
  default_route.gateway = *netlink::IpAddress::parse("10.250.0.1");
  netlink::LinkInfo nic;
  nic.name = "ul0";
  nic.addresses = {*netlink::IpPrefix::parse("10.250.0.11/24")};
  nic.routes = {default_route};
  links.addLink("", nic);
  links.addLink("", underlayBridge());
  ovsdb::FakeBridgeClient bridges;
  NodeSetupOptions o = underlayOptions();
  o.underlay_routes_file = dir + "/underlay-routes";
  ASSERT_TRUE(setUpNode(bridges, links, o).ok());
  auto moved = links.getLink("", "br-phy");
  ASSERT_TRUE(moved.ok() && moved->has_value());
  EXPECT_THAT((*moved)->routes, ::testing::ElementsAre(default_route));

  // ovs-vswitchd restarted: a bare br-phy, and the NIC (in the kernel) lost its routes.
  ASSERT_TRUE(links.deleteLink("", "br-phy").ok());
  ASSERT_TRUE(links.deleteLink("", "ul0").ok());
  nic.addresses.clear();
  nic.routes.clear();
  links.addLink("", nic);
  links.addLink("", underlayBridge());
  ASSERT_TRUE(setUpNode(bridges, links, o).ok());
  auto again = links.getLink("", "br-phy");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_THAT((*again)->routes, ::testing::ElementsAre(default_route));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace alcor::agent
