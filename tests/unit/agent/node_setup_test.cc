// The underlay MTU the agent derives the pod MTU from: read from the underlay interface, or from
// the interface that holds the node IP; a missing one is an error that says what to fix.

#include "node-agent/host/node_setup.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/netlink/fake_link_manager.h"

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

}  // namespace
}  // namespace alcor::agent
