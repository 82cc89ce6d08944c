// The underlay MTU the agent derives the pod MTU from: read from the underlay interface, or from
// the interface that holds the node IP; a missing one is an error that says what to fix.

#include "node-agent/host/node_setup.h"

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
  netlink::LinkInfo bridge;  // vswitchd's tap device for br-phy
  bridge.name = "br-phy";
  links.addLink("", bridge);
  ovsdb::FakeBridgeClient bridges;

  NodeSetupOptions o;
  o.datapath_type = "netdev";
  o.underlay_bridge = "br-phy";
  o.underlay_interface = "ul0";
  o.node_ip = "10.250.0.11";
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

}  // namespace
}  // namespace alcor::agent
