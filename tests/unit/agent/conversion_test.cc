#include "node-agent/goalstate/conversion.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace alcor::agent {
namespace {

using ::testing::HasSubstr;

schema::SubnetConfiguration goodSubnet() {
  schema::SubnetConfiguration c;
  c.set_id("s1");
  c.set_vpc_id("v1");
  c.set_cidr("10.0.1.0/24");
  c.set_tunnel_id(5001);
  c.mutable_gateway()->set_ip_address("10.0.1.1");
  c.mutable_gateway()->set_mac_address("aa:bb:cc:dd:ee:01");
  c.add_dns_entry_list()->set_entry("10.0.0.53");
  auto* mtu = c.add_extra_dhcp_options();
  mtu->set_name("mtu");
  mtu->set_value("1450");
  auto* routes = c.add_extra_dhcp_options();
  routes->set_name("classless-static-route");
  routes->set_value("192.168.0.0/16,10.0.1.254;172.16.0.0/12,10.0.1.253");
  return c;
}

TEST(ConversionTest, SubnetWithOptions) {
  auto s = toSubnet(goodSubnet());
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->vni, 5001u);
  EXPECT_EQ(s->mtu, 1450);
  ASSERT_EQ(s->host_routes.size(), 2u);
  EXPECT_EQ(s->host_routes[1].destination.toString(), "172.16.0.0/12");
  EXPECT_EQ(s->gateway_mac.toString(), "aa:bb:cc:dd:ee:01");
}

TEST(ConversionTest, SubnetErrorsNameTheProblem) {
  auto c = goodSubnet();
  c.set_cidr("10.0.1.0/33");
  EXPECT_THAT(toSubnet(c).status().message(), HasSubstr("CIDR"));
  c = goodSubnet();
  c.mutable_gateway()->set_ip_address("10.0.2.1");
  EXPECT_THAT(toSubnet(c).status().message(), HasSubstr("outside"));
  c = goodSubnet();
  c.set_tunnel_id(1ull << 24);
  EXPECT_THAT(toSubnet(c).status().message(), HasSubstr("24 bits"));
  c = goodSubnet();
  c.mutable_extra_dhcp_options(1)->set_value("nonsense");
  EXPECT_FALSE(toSubnet(c).ok());
}

TEST(ConversionTest, PortNeedsUnicastMacAndFixedIps) {
  schema::PortConfiguration p;
  p.set_id("p1");
  p.set_mac_address("fa:16:3e:00:00:01");
  EXPECT_THAT(toPort(p).status().message(), HasSubstr("no fixed_ips"));
  auto* ip = p.add_fixed_ips();
  ip->set_subnet_id("s1");
  ip->set_ip_address("10.0.1.5");
  auto* pair = p.add_allow_address_pairs();
  pair->set_ip_address("10.0.1.100");
  ASSERT_TRUE(toPort(p).ok());
  EXPECT_EQ(toPort(p)->allowed_address_pairs[0].ip.length(), 32);
  p.set_mac_address("01:00:5e:00:00:01");
  EXPECT_THAT(toPort(p).status().message(), HasSubstr("unicast"));
}

TEST(ConversionTest, ZetaGatewayNeedsAnOamPort) {
  schema::GatewayConfiguration g;
  g.set_id("gw");
  g.set_gateway_type(schema::ZETA);
  auto* d = g.add_destinations();
  d->set_ip_address("10.200.0.100");
  d->set_mac_address("02:00:00:00:01:00");
  EXPECT_FALSE(toGateway(g).ok());
  g.mutable_zeta_info()->set_port_inband_operation(8300);
  auto gw = toGateway(g);
  ASSERT_TRUE(gw.ok());
  EXPECT_EQ(gw->oam_port, 8300);
  EXPECT_EQ(gw->destinations.size(), 1u);
}

TEST(ConversionTest, SecurityGroupRulesValidatePortsAndPrefixes) {
  schema::SecurityGroupConfiguration sg;
  sg.set_id("sg");
  auto* r = sg.add_security_group_rules();
  r->set_id("r1");
  r->set_direction(schema::SecurityGroupConfiguration::INGRESS);
  r->set_protocol(schema::TCP);
  r->set_port_range_min(80);
  r->set_port_range_max(90);
  r->set_remote_ip_prefix("10.0.0.0/8");
  auto ok = toSecurityGroup(sg);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->rules[0].remote_prefix->toString(), "10.0.0.0/8");
  r->set_port_range_min(100);
  EXPECT_FALSE(toSecurityGroup(sg).ok());
  r->set_port_range_min(80);
  r->set_ethertype(schema::IPV6);
  r->set_remote_ip_prefix("fd00::/64");
  EXPECT_TRUE(toSecurityGroup(sg).ok());
}

TEST(ConversionTest, NeighborKeyDefaultsFromType) {
  schema::NeighborConfiguration n;
  n.set_id("p2");
  n.set_mac_address("fa:16:3e:00:00:02");
  n.set_host_ip_address("10.200.0.12");
  auto* ip = n.add_fixed_ips();
  ip->set_neighbor_type(schema::L3);
  ip->set_subnet_id("s2");
  ip->set_ip_address("10.0.2.5");
  auto nb = toNeighbor(n, "");
  ASSERT_TRUE(nb.ok());
  EXPECT_EQ(nb->key, "L3/p2");
  EXPECT_EQ(toNeighbor(n, "custom")->key, "custom");
  n.set_host_ip_address("");
  EXPECT_FALSE(toNeighbor(n, "").ok());
}

}  // namespace
}  // namespace alcor::agent
