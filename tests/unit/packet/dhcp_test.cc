#include "lib/packet/dhcp.h"

#include <gtest/gtest.h>

#include "lib/packet/packet.h"
#include "tests/harness/addresses.h"
#include "tests/unit/packet/captures.h"

namespace alcor::packet {
namespace {

using testing::fromHex;

using alcor::testing::ip;
using alcor::testing::prefix;

// The BOOTP payload of a captured frame (Ethernet 14 + IPv4 20 + UDP 8).
Bytes dhcpPayload(std::string_view hex) {
  Bytes frame = fromHex(hex);
  return Bytes(frame.begin() + 42, frame.end());
}

TEST(DhcpTest, ParsesCapturedUdhcpcDiscover) {
  auto m = parseDhcp(dhcpPayload(testing::kUdhcpcDiscover));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->op, kBootRequest);
  EXPECT_EQ(m->xid, 0x1979ae1cu);
  EXPECT_EQ(m->chaddr.toString(), "52:54:00:12:34:56");
  EXPECT_FALSE(m->broadcast());
  EXPECT_TRUE(m->ciaddr.isUnspecified());
  EXPECT_EQ(m->message_type, DhcpMessageType::kDiscover);
  EXPECT_EQ(m->parameter_request_list, (std::vector<uint8_t>{1, 3, 6, 12, 15, 28, 42, 121}));
  EXPECT_TRUE(m->requestsOption(dhcp_option::kClasslessStaticRoutes));
  EXPECT_FALSE(m->requestsOption(dhcp_option::kInterfaceMtu));
  ASSERT_TRUE(m->client_id);
  EXPECT_EQ(*m->client_id, fromHex("01525400123456"));
  // Unknown to the typed model, kept in wire order: 57 (max message size), 60 (vendor class).
  ASSERT_EQ(m->other_options.size(), 2u);
  EXPECT_EQ(m->other_options[0], (DhcpOption{57, {0x02, 0x40}}));
  EXPECT_EQ(m->other_options[1].code, 60);
  EXPECT_EQ(std::string(m->other_options[1].data.begin(), m->other_options[1].data.end()),
            "udhcp 1.35.0");
}

TEST(DhcpTest, ParsesCapturedDnsmasqOffer) {
  auto m = parseDhcp(dhcpPayload(testing::kDnsmasqOffer));
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->op, kBootReply);
  EXPECT_EQ(m->xid, 0x1979ae1cu);
  EXPECT_EQ(m->message_type, DhcpMessageType::kOffer);
  EXPECT_EQ(m->yiaddr, ip("10.9.0.58"));
  EXPECT_EQ(m->siaddr, ip("10.9.0.1"));
  EXPECT_EQ(m->server_id, ip("10.9.0.1"));
  EXPECT_EQ(m->lease_time, 3600u);
  EXPECT_EQ(m->renewal_time, 1800u);
  EXPECT_EQ(m->rebinding_time, 3150u);
  EXPECT_EQ(m->subnet_mask, ip("255.255.255.0"));
  EXPECT_EQ(m->domain_name, "example.test");
  EXPECT_EQ(m->dns_servers, std::vector<Ipv4Address>{ip("10.9.0.2")});
  EXPECT_EQ(m->routers, std::vector<Ipv4Address>{ip("10.9.0.1")});
  ASSERT_EQ(m->classless_routes.size(), 1u);
  EXPECT_EQ(m->classless_routes[0], (ClasslessRoute{prefix("10.20.0.0/16"), ip("10.9.0.1")}));
  ASSERT_EQ(m->other_options.size(), 1u);  // 28 broadcast address
  EXPECT_EQ(m->other_options[0].code, 28);
}

TEST(DhcpTest, SerializeParseRoundTripsEveryTypedOption) {
  DhcpMessage m;
  m.op = kBootReply;
  m.xid = 0xdeadbeef;
  m.secs = 3;
  m.flags = kDhcpBroadcastFlag;
  m.ciaddr = ip("0.0.0.0");
  m.yiaddr = ip("10.0.0.5");
  m.siaddr = ip("10.0.0.1");
  m.giaddr = ip("0.0.0.0");
  m.chaddr = *MacAddress::parse("02:aa:bb:cc:dd:ee");
  m.sname = "alcor";
  m.message_type = DhcpMessageType::kAck;
  m.server_id = ip("10.0.0.1");
  m.requested_ip = ip("10.0.0.5");
  m.lease_time = 86400;
  m.renewal_time = 43200;
  m.rebinding_time = 75600;
  m.subnet_mask = ip("255.255.255.0");
  m.routers = {ip("10.0.0.1")};
  m.dns_servers = {ip("10.96.0.10"), ip("8.8.8.8")};
  m.domain_name = "svc.cluster.local";
  m.host_name = "pod-a";
  m.mtu = 1450;
  m.classless_routes = {{prefix("0.0.0.0/0"), ip("10.0.0.1")},
                        {prefix("10.229.0.128/25"), ip("0.0.0.0")}};
  m.parameter_request_list = {1, 3, 6, 26, 121};
  m.client_id = Bytes{1, 2, 0xaa, 0xbb, 0xcc, 0xdd, 0xee};
  m.other_options = {{43, {1, 2, 3}}, {252, {}}};
  Bytes wire = serializeDhcp(m);
  EXPECT_GE(wire.size(), 300u);
  EXPECT_EQ(wire[240], dhcp_option::kMessageType);  // 53 leads the options
  auto back = parseDhcp(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
}

TEST(DhcpTest, LongOptionsAreSplitAndJoined) {
  DhcpMessage m;
  m.message_type = DhcpMessageType::kAck;
  for (int i = 0; i < 100; ++i) m.dns_servers.push_back(Ipv4Address(0x0a000000u + i));  // 400 B
  Bytes wire = serializeDhcp(m);
  auto back = parseDhcp(wire);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->dns_servers, m.dns_servers);
}

TEST(DhcpTest, ClasslessRoutesUseRfc3442Encoding) {
  std::vector<ClasslessRoute> routes = {
      {prefix("0.0.0.0/0"), ip("10.0.0.1")},     {prefix("10.0.0.0/8"), ip("10.0.0.2")},
      {prefix("10.17.0.0/16"), ip("10.0.0.3")},  {prefix("10.229.0.128/25"), ip("10.0.0.4")},
      {prefix("192.168.1.7/32"), ip("0.0.0.0")},
  };
  Bytes expected = fromHex(
      "00"
      "0a000001"
      "080a"
      "0a000002"
      "100a11"
      "0a000003"
      "190ae50080"
      "0a000004"
      "20c0a80107"
      "00000000");
  EXPECT_EQ(encodeClasslessRoutes(routes), expected);
  auto decoded = decodeClasslessRoutes(expected);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, routes);

  EXPECT_FALSE(decodeClasslessRoutes(fromHex("210a000000000000000000")).ok());  // /33
  EXPECT_FALSE(decodeClasslessRoutes(fromHex("100a11")).ok());                  // no router
  EXPECT_FALSE(decodeClasslessRoutes(fromHex("080a01"
                                             "0a000001"))
                   .ok());  // host bits
}

TEST(DhcpTest, RejectsMalformedMessages) {
  Bytes good = dhcpPayload(testing::kUdhcpcDiscover);
  EXPECT_FALSE(parseDhcp(ByteView(good).first(239)).ok());
  Bytes no_cookie = good;
  no_cookie[236] = 0;
  EXPECT_FALSE(parseDhcp(no_cookie).ok());
  Bytes bad_op = good;
  bad_op[0] = 7;
  EXPECT_FALSE(parseDhcp(bad_op).ok());
  // Option running past the end: 53 with length 200 at the very end.
  Bytes overrun(good.begin(), good.begin() + 240);
  overrun.insert(overrun.end(), {53, 200, 1});
  EXPECT_FALSE(parseDhcp(overrun).ok());
  // Typed options with the wrong size or value.
  auto withOption = [&](std::initializer_list<uint8_t> option) {
    Bytes b(good.begin(), good.begin() + 240);
    b.insert(b.end(), option);
    b.push_back(dhcp_option::kEnd);
    return b;
  };
  EXPECT_FALSE(parseDhcp(withOption({1, 3, 255, 255, 255})).ok());
  EXPECT_FALSE(parseDhcp(withOption({53, 1, 9})).ok());
  EXPECT_FALSE(parseDhcp(withOption({3, 6, 10, 0, 0, 1, 10, 0})).ok());
  EXPECT_FALSE(parseDhcp(withOption({26, 2, 0, 10})).ok());
  EXPECT_FALSE(parseDhcp(withOption({12, 0})).ok());
  // Without END the options simply stop at the end of the bytes.
  auto no_end = parseDhcp(Bytes(good.begin(), good.begin() + 243));
  ASSERT_TRUE(no_end.ok()) << no_end.status();
  EXPECT_EQ(no_end->message_type, DhcpMessageType::kDiscover);
}

TEST(DhcpTest, GarbageNeverParsesAsAMessage) {
  Bytes garbage(400);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
  EXPECT_FALSE(parseDhcp(garbage).ok());
  EXPECT_FALSE(parseDhcp({}).ok());
}

}  // namespace
}  // namespace alcor::packet
