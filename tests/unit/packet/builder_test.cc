#include "lib/packet/builder.h"

#include <gtest/gtest.h>

#include "lib/packet/packet.h"
#include "tests/harness/addresses.h"

namespace alcor::packet {
namespace {

using alcor::testing::ip;
using alcor::testing::mac;

const MacAddress kServerMac = mac("02:00:0a:00:00:01");
const Ipv4Address kServerIp = ip("10.0.0.1");
const MacAddress kClientMac = mac("02:00:0a:00:00:05");

DhcpMessage offer() {
  DhcpMessage m;
  m.op = kBootReply;
  m.xid = 42;
  m.yiaddr = ip("10.0.0.5");
  m.chaddr = kClientMac;
  m.message_type = DhcpMessageType::kOffer;
  m.server_id = kServerIp;
  m.lease_time = 3600;
  m.subnet_mask = ip("255.255.255.0");
  m.routers = {kServerIp};
  m.mtu = 1450;
  return m;
}

struct Delivery {
  MacAddress dst_mac;
  std::string dst_ip;
  uint16_t dst_port;
};

Delivery deliveryOf(const Bytes& frame) {
  auto p = parsePacket(frame);
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  EXPECT_TRUE(p->ipv4_checksum_ok);
  EXPECT_TRUE(p->udp_checksum_ok);
  EXPECT_EQ(p->ethernet.src, kServerMac);
  EXPECT_EQ(p->ipv4->src, kServerIp);
  EXPECT_EQ(p->udp->src_port, kDhcpServerPort);
  return {p->ethernet.dst, p->ipv4->dst.toString(), p->udp->dst_port};
}

TEST(BuilderTest, DhcpReplyFrameCarriesTheMessageWithValidChecksums) {
  DhcpMessage m = offer();
  Bytes frame = buildDhcpReplyFrame(m, kServerMac, kServerIp);
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->ipv4_checksum_ok);
  EXPECT_TRUE(p->udp_checksum_ok);
  EXPECT_EQ(p->ipv4->ttl, 64);
  auto back = parseDhcp(p->payload(frame));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, m);
}

TEST(BuilderTest, DhcpReplyIsAddressedPerRfc2131) {
  DhcpMessage m = offer();
  Delivery unicast = deliveryOf(buildDhcpReplyFrame(m, kServerMac, kServerIp));
  EXPECT_EQ(unicast.dst_mac, kClientMac);
  EXPECT_EQ(unicast.dst_ip, "10.0.0.5");
  EXPECT_EQ(unicast.dst_port, kDhcpClientPort);

  m.flags = kDhcpBroadcastFlag;
  Delivery broadcast = deliveryOf(buildDhcpReplyFrame(m, kServerMac, kServerIp));
  EXPECT_TRUE(broadcast.dst_mac.isBroadcast());
  EXPECT_EQ(broadcast.dst_ip, "255.255.255.255");

  m.flags = 0;
  m.ciaddr = ip("10.0.0.5");  // renewing client: unicast to ciaddr
  m.message_type = DhcpMessageType::kAck;
  Delivery renew = deliveryOf(buildDhcpReplyFrame(m, kServerMac, kServerIp));
  EXPECT_EQ(renew.dst_mac, kClientMac);
  EXPECT_EQ(renew.dst_ip, "10.0.0.5");

  m.message_type = DhcpMessageType::kNak;  // NAKs are always broadcast
  Delivery nak = deliveryOf(buildDhcpReplyFrame(m, kServerMac, kServerIp));
  EXPECT_TRUE(nak.dst_mac.isBroadcast());
  EXPECT_EQ(nak.dst_ip, "255.255.255.255");

  m.giaddr = ip("10.1.0.1");  // relayed: back to the relay's server port
  Delivery relay = deliveryOf(buildDhcpReplyFrame(m, kServerMac, kServerIp));
  EXPECT_EQ(relay.dst_ip, "10.1.0.1");
  EXPECT_EQ(relay.dst_port, kDhcpServerPort);
}

TEST(BuilderTest, ArpReplyAnswersTheRequester) {
  Bytes frame = buildArpReply(mac("02:00:00:00:00:09"), ip("10.0.0.9"), kClientMac, ip("10.0.0.5"));
  EXPECT_EQ(frame.size(), 60u);  // padded to the Ethernet minimum
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ethernet.dst, kClientMac);
  EXPECT_EQ(p->ethernet.src, mac("02:00:00:00:00:09"));
  ASSERT_TRUE(p->arp);
  EXPECT_EQ(p->arp->op, kArpReply);
  EXPECT_EQ(p->arp->sender_mac, mac("02:00:00:00:00:09"));
  EXPECT_EQ(p->arp->sender_ip, ip("10.0.0.9"));
  EXPECT_EQ(p->arp->target_mac, kClientMac);
  EXPECT_EQ(p->arp->target_ip, ip("10.0.0.5"));
  EXPECT_FALSE(p->arp->isGratuitous());
}

TEST(BuilderTest, GratuitousArpIsABroadcastAnnouncement) {
  Bytes frame = buildGratuitousArp(kClientMac, ip("10.0.0.5"));
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->ethernet.dst.isBroadcast());
  ASSERT_TRUE(p->arp);
  EXPECT_EQ(p->arp->op, kArpRequest);
  EXPECT_TRUE(p->arp->isGratuitous());
  EXPECT_EQ(p->arp->sender_mac, kClientMac);
  EXPECT_TRUE(p->arp->target_mac.isZero());
}

TEST(BuilderTest, BareEthernetPayloadAndUdpWithoutEthernetPadding) {
  Bytes frame = PacketBuilder()
                    .ethernet(kServerMac, kClientMac)
                    .ipv4(kServerIp, ip("10.0.0.5"), 3)
                    .udp(5000, 6000)
                    .payload(Bytes{1, 2, 3, 4, 5})
                    .build();
  EXPECT_EQ(frame.size(), 14u + 20 + 8 + 5);
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ipv4->ttl, 3);
  EXPECT_EQ(p->udp->length, 13);
  EXPECT_EQ(p->payload(frame)[4], 5);
}

}  // namespace
}  // namespace alcor::packet
