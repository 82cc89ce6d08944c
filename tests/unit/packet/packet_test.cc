#include "lib/packet/packet.h"

#include <gtest/gtest.h>

#include "lib/packet/builder.h"
#include "lib/packet/checksum.h"
#include "lib/packet/dhcp.h"
#include "tests/harness/addresses.h"
#include "tests/unit/packet/captures.h"

namespace alcor::packet {
namespace {

using testing::fromHex;

using alcor::testing::ip;
using alcor::testing::mac;

TEST(ChecksumTest, MatchesRfc1071Example) {
  // RFC 1071 section 3: the words 0001 f203 f4f5 f6f7 sum to ddf2 -> checksum 220d.
  Bytes data = fromHex("0001f203f4f5f6f7");
  EXPECT_EQ(internetChecksum(data), 0x220d);
  // An odd trailing byte is padded with zero.
  EXPECT_EQ(internetChecksum(fromHex("0001f203f4f5f6")), 0x2304);
}

TEST(ChecksumTest, AccumulatorHandlesOddChunks) {
  Bytes data = fromHex("450000730000400040110000c0a80001c0a800c7");
  ChecksumAccumulator acc;
  acc.add(ByteView(data).first(3));
  acc.add(ByteView(data).subspan(3));
  EXPECT_EQ(acc.finish(), internetChecksum(data));
}

TEST(Ipv4Test, ParsesKnownHeaderAndVerifiesChecksum) {
  // A textbook header (192.168.0.1 -> 192.168.0.199, UDP, checksum b861) plus 95 payload bytes.
  Bytes packet = fromHex("45000073000040004011b861c0a80001c0a800c7");
  packet.resize(0x73, 0xab);
  auto parsed = parseIpv4(packet);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->checksum_ok);
  EXPECT_EQ(parsed->header.checksum, 0xb861);
  EXPECT_TRUE(parsed->header.dont_fragment);
  EXPECT_EQ(parsed->header.protocol, kIpProtoUdp);
  EXPECT_EQ(parsed->header.src, ip("192.168.0.1"));
  EXPECT_EQ(parsed->header.dst, ip("192.168.0.199"));
  EXPECT_EQ(parsed->payload.size(), 0x73u - 20);

  packet[10] ^= 0x01;
  auto corrupted = parseIpv4(packet);
  ASSERT_TRUE(corrupted.ok());
  EXPECT_FALSE(corrupted->checksum_ok);
}

TEST(Ipv4Test, WriteThenParseRoundTrips) {
  Ipv4Header h;
  h.src = ip("10.0.0.1");
  h.dst = ip("10.0.0.2");
  h.protocol = kIpProtoTcp;
  h.identification = 0x1234;
  h.dont_fragment = true;
  h.ttl = 17;
  h.options = {0x01, 0x01, 0x01, 0x00};  // NOP NOP NOP EOL
  Bytes out;
  writeIpv4(out, h, 10);
  out.resize(out.size() + 10, 0);
  auto parsed = parseIpv4(out);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->checksum_ok);
  h.total_length = 34;
  h.checksum = parsed->header.checksum;
  EXPECT_EQ(parsed->header, h);
}

TEST(Ipv4Test, RejectsBadVersionLengthAndTruncation) {
  Bytes good = fromHex("45000073000040004011b861c0a80001c0a800c7");
  good.resize(0x73);
  Bytes v6 = good;
  v6[0] = 0x65;
  EXPECT_FALSE(parseIpv4(v6).ok());
  Bytes short_ihl = good;
  short_ihl[0] = 0x44;
  EXPECT_FALSE(parseIpv4(short_ihl).ok());
  EXPECT_FALSE(parseIpv4(ByteView(good).first(60)).ok());  // total length says 115
  EXPECT_FALSE(parseIpv4(ByteView(good).first(19)).ok());
  Bytes ihl_past_end = good;
  ihl_past_end[0] = 0x4f;
  EXPECT_FALSE(parseIpv4(ByteView(ihl_past_end).first(40)).ok());
}

TEST(ParsePacketTest, ParsesCapturedDhcpDiscover) {
  Bytes frame = fromHex(testing::kUdhcpcDiscover);
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->ethernet.dst.isBroadcast());
  EXPECT_EQ(p->ethernet.src, mac("52:54:00:12:34:56"));
  ASSERT_TRUE(p->ipv4);
  EXPECT_TRUE(p->ipv4_checksum_ok);
  ASSERT_TRUE(p->udp);
  EXPECT_TRUE(p->udp_checksum_ok);  // tcpdump agreed: "udp sum ok"
  EXPECT_TRUE(p->isDhcp());
  EXPECT_EQ(p->payload_length, 300u);
  auto tuple = p->fiveTuple();
  ASSERT_TRUE(tuple);
  EXPECT_EQ(tuple->toString(), "udp 0.0.0.0:68 -> 255.255.255.255:67");
  auto dhcp = parseDhcp(p->payload(frame));
  ASSERT_TRUE(dhcp.ok()) << dhcp.status();
  EXPECT_EQ(dhcp->message_type, DhcpMessageType::kDiscover);
}

TEST(ParsePacketTest, ReportsTheWrongUdpChecksumOfTheCapturedOffer) {
  Bytes frame = fromHex(testing::kDnsmasqOffer);
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->ipv4_checksum_ok);
  ASSERT_TRUE(p->udp);
  EXPECT_EQ(p->udp->checksum, 0x15a1);
  EXPECT_FALSE(p->udp_checksum_ok);
  // Fixing the field to what tcpdump computed makes it verify.
  frame[14 + 20 + 6] = 0x5f;
  frame[14 + 20 + 7] = 0x84;
  auto fixed = parsePacket(frame);
  ASSERT_TRUE(fixed.ok());
  EXPECT_TRUE(fixed->udp_checksum_ok);
}

TEST(ParsePacketTest, ParsesVlanTaggedArp) {
  ArpPacket arp{kArpRequest, mac("02:00:00:00:00:01"), ip("10.0.0.1"), MacAddress(),
                ip("10.0.0.2")};
  Bytes frame = PacketBuilder()
                    .ethernet(mac("02:00:00:00:00:01"), kBroadcastMac, uint16_t{0x2064})
                    .arp(arp)
                    .build();
  EXPECT_EQ(frame.size(), 14u + 4 + 28);
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->ethernet.vlan_tci);
  EXPECT_EQ(p->ethernet.vlanId(), 100);
  EXPECT_EQ(p->ethernet.ether_type, kEtherTypeArp);
  ASSERT_TRUE(p->arp);
  EXPECT_EQ(*p->arp, arp);
  EXPECT_FALSE(p->fiveTuple());
}

TEST(ParsePacketTest, ParsesTcpWithOptions) {
  TcpHeader tcp;
  tcp.src_port = 40000;
  tcp.dst_port = 80;
  tcp.seq = 0x01020304;
  tcp.flags = tcp_flags::kSyn;
  tcp.window = 64240;
  tcp.options = {0x02, 0x04, 0x05, 0xb4};  // MSS 1460
  Bytes body = {'h', 'i'};
  Bytes frame = PacketBuilder()
                    .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                    .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
                    .tcp(tcp)
                    .payload(body)
                    .build();
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->tcp);
  EXPECT_EQ(p->tcp->options, tcp.options);
  EXPECT_EQ(p->tcp->seq, tcp.seq);
  EXPECT_EQ(p->tcp->flags, tcp_flags::kSyn);
  // The TCP checksum over the pseudo header verifies.
  ByteView segment = ByteView(frame).subspan(34);
  EXPECT_EQ(transportChecksumV4(ip("10.0.0.1"), ip("10.0.0.2"), kIpProtoTcp, segment), 0);
  EXPECT_EQ(p->payload_length, 2u);
  EXPECT_EQ(p->fiveTuple()->toString(), "tcp 10.0.0.1:40000 -> 10.0.0.2:80");
}

TEST(ParsePacketTest, ParsesIcmpEcho) {
  Bytes data(56, 0x42);
  Bytes frame = PacketBuilder()
                    .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                    .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
                    .icmpEcho(true, 0x1234, 7)
                    .payload(data)
                    .build();
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_TRUE(p->icmp);
  EXPECT_TRUE(p->icmp->isEcho());
  EXPECT_EQ(p->icmp->identifier(), 0x1234);
  EXPECT_EQ(p->icmp->sequence(), 7);
  auto parsed = parseIcmp(ByteView(frame).subspan(34));
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(parsed->checksum_ok);
  EXPECT_EQ(p->fiveTuple()->toString(), "icmp 10.0.0.1 -> 10.0.0.2");
}

TEST(ParsePacketTest, ParsesNeighborAdvertisement) {
  Ipv6Bytes addr{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x05};
  Bytes frame = buildUnsolicitedNeighborAdvertisement(mac("02:00:00:00:00:05"), addr);
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->ethernet.dst, mac("33:33:00:00:00:01"));
  ASSERT_TRUE(p->ipv6);
  EXPECT_EQ(p->ipv6->hop_limit, 255);
  ASSERT_TRUE(p->icmpv6);
  EXPECT_EQ(p->icmpv6->type, kIcmpv6NeighborAdvertisement);
  EXPECT_TRUE(p->icmpv6->checksum_ok);
  EXPECT_TRUE(p->icmpv6->override_flag);
  EXPECT_FALSE(p->icmpv6->solicited);
  EXPECT_EQ(p->icmpv6->target, addr);
  EXPECT_EQ(p->icmpv6->target_link_address, mac("02:00:00:00:00:05"));
  EXPECT_EQ(p->fiveTuple()->toString(), "icmpv6 fd00::5 -> ff02::1");
}

TEST(ParsePacketTest, ParsesNeighborSolicitationWithSourceOption) {
  Ipv6Header h;
  h.next_header = kIpProtoIcmpv6;
  h.hop_limit = 255;
  h.src = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  h.dst = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0x02};
  Icmpv6Message ns;
  ns.type = kIcmpv6NeighborSolicitation;
  ns.target = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02};
  ns.source_link_address = mac("02:00:00:00:00:01");
  Bytes icmp;
  writeNeighborDiscovery(icmp, h.src, h.dst, ns);
  EXPECT_EQ(icmp.size(), 32u);
  auto parsed = parseIcmpv6(h, icmp);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_TRUE(parsed->checksum_ok);
  EXPECT_EQ(parsed->target, ns.target);
  EXPECT_EQ(parsed->source_link_address, ns.source_link_address);
  EXPECT_FALSE(parsed->target_link_address);

  icmp[25] = 0;  // option length 0 would loop forever in a naive parser
  EXPECT_FALSE(parseIcmpv6(h, icmp).ok());
}

TEST(ParsePacketTest, StopsAtUnknownEtherTypeAndFragments) {
  Bytes frame = PacketBuilder()
                    .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                    .payload(Bytes{1, 2, 3})
                    .build();
  frame[12] = 0x88;
  frame[13] = 0xcc;  // LLDP
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok());
  EXPECT_FALSE(p->ipv4);
  EXPECT_EQ(p->payload_length, 3u);

  Ipv4Header frag;
  frag.src = ip("10.0.0.1");
  frag.dst = ip("10.0.0.2");
  frag.fragment_offset = 100;
  Bytes fragmented = PacketBuilder()
                         .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                         .ipv4(frag)
                         .udp(1, 2)
                         .payload(Bytes(10, 0))
                         .build();
  auto f = parsePacket(fragmented);
  ASSERT_TRUE(f.ok()) << f.status();
  ASSERT_TRUE(f->ipv4);
  EXPECT_FALSE(f->udp);
}

TEST(ParsePacketTest, RejectsTruncatedLayers) {
  Bytes frame = fromHex(testing::kUdhcpcDiscover);
  for (size_t len : {0, 5, 13, 14, 20, 33, 34, 41}) {
    EXPECT_FALSE(parsePacket(ByteView(frame).first(len)).ok()) << "length " << len;
  }
  // UDP length field larger than the IP payload.
  Bytes bad_udp = frame;
  bad_udp[14 + 20 + 4] = 0x7f;
  EXPECT_FALSE(parsePacket(bad_udp).ok());
  // ARP with a non-Ethernet hardware type.
  Bytes arp = buildGratuitousArp(mac("02:00:00:00:00:01"), ip("10.0.0.1"));
  arp[15] = 6;
  EXPECT_FALSE(parsePacket(arp).ok());
  EXPECT_FALSE(
      parsePacket(ByteView(buildGratuitousArp(mac("02:00:00:00:00:01"), ip("10.0.0.1"))).first(30))
          .ok());
}

TEST(ParsePacketTest, ToleratesEthernetPadding) {
  // A 42-byte ARP padded to 60 bytes, and a short UDP packet padded likewise: IP total length
  // bounds the payload, so padding is not taken as data.
  Bytes frame = PacketBuilder()
                    .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
                    .ipv4(ip("10.0.0.1"), ip("10.0.0.2"))
                    .udp(1000, 2000)
                    .payload(Bytes{9})
                    .padToMinimum()
                    .build();
  EXPECT_EQ(frame.size(), 60u);
  auto p = parsePacket(frame);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_TRUE(p->udp_checksum_ok);
  EXPECT_EQ(p->payload_length, 1u);
}

}  // namespace
}  // namespace alcor::packet
