#include "lib/netlink/fake_link_manager.h"

#include <gtest/gtest.h>

namespace alcor::netlink {
namespace {

VethSpec podVeth() {
  VethSpec spec;
  spec.host_name = "vh-pod1";
  spec.pod_netns = "/var/run/netns/pod1";
  spec.pod_ifname = "eth0";
  spec.pod_mac = *MacAddress::parse("02:00:00:00:00:05");
  spec.mtu = 1450;
  return spec;
}

class FakeLinkManagerTest : public ::testing::Test {
 protected:
  void SetUp() override { links_.addNetns("pod1"); }
  FakeLinkManager links_;
};

TEST_F(FakeLinkManagerTest, CreateVethPutsOneEndInEachNamespace) {
  auto pair = links_.createVeth(podVeth());
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_EQ(pair->pod_mac.toString(), "02:00:00:00:00:05");
  EXPECT_NE(pair->host_ifindex, pair->pod_ifindex);

  auto host = links_.getLink("", "vh-pod1");
  ASSERT_TRUE(host.ok() && *host);
  EXPECT_EQ((*host)->mtu, 1450);
  EXPECT_EQ((*host)->kind, "veth");
  // The bare name and the path address the same namespace.
  auto pod = links_.getLink("pod1", "eth0");
  ASSERT_TRUE(pod.ok() && *pod);
  EXPECT_TRUE((*pod)->up);
  EXPECT_FALSE(links_.txChecksumOffload("pod1", "eth0"));

  EXPECT_EQ(links_.createVeth(podVeth()).status().code(), StatusCode::kAlreadyExists);
}

TEST_F(FakeLinkManagerTest, DeleteRemovesBothEndsAndIsIdempotent) {
  ASSERT_TRUE(links_.createVeth(podVeth()).ok());
  ASSERT_TRUE(links_.deleteLink("pod1", "eth0").ok());
  EXPECT_FALSE(*links_.getLink("", "vh-pod1"));
  EXPECT_FALSE(*links_.getLink("pod1", "eth0"));
  EXPECT_TRUE(links_.deleteLink("pod1", "eth0").ok());
  EXPECT_TRUE(links_.deleteLink("no-such-ns", "eth0").ok());
}

TEST_F(FakeLinkManagerTest, RemovingTheNamespaceTakesTheVethAlong) {
  ASSERT_TRUE(links_.createVeth(podVeth()).ok());
  links_.removeNetns("pod1");
  EXPECT_FALSE(*links_.getLink("", "vh-pod1"));
}

TEST_F(FakeLinkManagerTest, ConfigureIsIdempotentAndReplacesRoutes) {
  ASSERT_TRUE(links_.createVeth(podVeth()).ok());
  LinkConfig config;
  config.ifname = "eth0";
  config.addresses = {*IpPrefix::parse("10.0.0.5/24")};
  config.routes = {{*IpPrefix::parse("0.0.0.0/0"), *IpAddress::parse("10.0.0.1")}};
  ASSERT_TRUE(links_.configureLink("pod1", config).ok());
  config.routes[0].gateway = *IpAddress::parse("10.0.0.254");
  ASSERT_TRUE(links_.configureLink("pod1", config).ok());
  auto link = links_.getLink("pod1", "eth0");
  ASSERT_TRUE(link.ok() && *link);
  EXPECT_EQ((*link)->addresses.size(), 1u);
  ASSERT_EQ((*link)->routes.size(), 1u);
  EXPECT_EQ((*link)->routes[0].gateway, *IpAddress::parse("10.0.0.254"));

  ASSERT_TRUE(links_.removeAddress("pod1", "eth0", config.addresses[0]).ok());
  EXPECT_TRUE((*links_.getLink("pod1", "eth0"))->addresses.empty());
  config.ifname = "eth9";
  EXPECT_EQ(links_.configureLink("pod1", config).code(), StatusCode::kNotFound);
}

TEST_F(FakeLinkManagerTest, InjectedFailuresFireOnceOrAlways) {
  links_.failNext(FakeLinkManager::kCreateVeth, internalError("boom"));
  EXPECT_EQ(links_.createVeth(podVeth()).status(), internalError("boom"));
  EXPECT_TRUE(links_.createVeth(podVeth()).ok());

  links_.failAlways(FakeLinkManager::kDeleteLink, unavailableError("busy"));
  EXPECT_FALSE(links_.deleteLink("pod1", "eth0").ok());
  EXPECT_FALSE(links_.deleteLink("pod1", "eth0").ok());
  links_.clearFailures();
  EXPECT_TRUE(links_.deleteLink("pod1", "eth0").ok());

  auto calls = links_.calls();
  ASSERT_GE(calls.size(), 2u);
  EXPECT_EQ(calls[0], "createVeth(/var/run/netns/pod1,vh-pod1)");
}

TEST_F(FakeLinkManagerTest, RecordsAnnouncementsAndOffloadChanges) {
  ASSERT_TRUE(links_.createVeth(podVeth()).ok());
  ASSERT_TRUE(links_.announceAddress("pod1", "eth0", *IpAddress::parse("10.0.0.5")).ok());
  EXPECT_EQ(links_.announcements(), std::vector<std::string>{"pod1/eth0/10.0.0.5"});
  EXPECT_EQ(links_.announceAddress("pod1", "eth1", IpAddress()).code(), StatusCode::kNotFound);
  ASSERT_TRUE(links_.setTxChecksumOffload("pod1", "eth0", true).ok());
  EXPECT_TRUE(links_.txChecksumOffload("pod1", "eth0"));
  auto all = links_.listLinks("pod1");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 2u);  // lo and eth0
}

}  // namespace
}  // namespace alcor::netlink
