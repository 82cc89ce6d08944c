// Message-level codec tests: each message family encodes to what ovs-ofctl decodes, round-trips,
// and garbage never crashes the decoder.

#include <gtest/gtest.h>

#include <random>

#include "lib/openflow/messages.h"
#include "tests/unit/openflow/ofp_print.h"

namespace alcor::openflow {
namespace {

using testing::fromHex;
using testing::ofpPrint;

void expectRoundTrip(const Message& m) {
  auto decoded = decode(encode(m));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, m);
}

TEST(MessagesTest, Hello) {
  Message m{7, Hello{}};
  EXPECT_EQ(ofpPrint(encode(m)), "OFPT_HELLO (OF1.5) (xid=0x7):\n version bitmap: 0x06");
  expectRoundTrip(m);
}

TEST(MessagesTest, EchoAndBarrierAndFeatures) {
  EXPECT_EQ(ofpPrint(encode(Message{1, EchoRequest{{1, 2}}})),
            "OFPT_ECHO_REQUEST (OF1.5) (xid=0x1): 2 bytes of payload\n"
            "00000000  01 02                                           |..              |");
  EXPECT_EQ(ofpPrint(encode(Message{2, BarrierRequest{}})),
            "OFPT_BARRIER_REQUEST (OF1.5) (xid=0x2):");
  EXPECT_EQ(ofpPrint(encode(Message{3, FeaturesRequest{}})),
            "OFPT_FEATURES_REQUEST (OF1.5) (xid=0x3):");
  expectRoundTrip(Message{1, EchoRequest{{1, 2}}});
  expectRoundTrip(Message{1, EchoReply{{3}}});
  expectRoundTrip(Message{2, BarrierRequest{}});
  expectRoundTrip(Message{2, BarrierReply{}});
  expectRoundTrip(Message{3, FeaturesRequest{}});
  expectRoundTrip(Message{3, FeaturesReply{0x1234, 0, 254, 0, 0x4f}});
}

TEST(MessagesTest, PacketInFormatAndSetConfig) {
  EXPECT_EQ(ofpPrint(encode(Message{4, SetPacketInFormat{}})),
            "NXT_SET_PACKET_IN_FORMAT (OF1.5) (xid=0x4): format=nxt_packet_in2");
  EXPECT_EQ(ofpPrint(encode(Message{5, SetConfig{}})),
            "OFPT_SET_CONFIG (OF1.5) (xid=0x5): frags=normal miss_send_len=65535");
  expectRoundTrip(Message{4, SetPacketInFormat{}});
  expectRoundTrip(Message{5, SetConfig{}});
}

TEST(MessagesTest, ErrorIsReadable) {
  Error e{2, 4, 0, {}};
  EXPECT_EQ(errorText(e), "OFPBAC_BAD_OUT_PORT (type 2, code 4)");
  EXPECT_EQ(errorText(Error{3, 2, 0, {}}), "OFPBIC_BAD_TABLE_ID (type 3, code 2)");
  EXPECT_EQ(errorText(Error{99, 1, 0, {}}), "OpenFlow error type 99 code 1");
  // The data is the start of the failed request; ovs-ofctl decodes it too.
  auto request = encode(Message{9, BarrierRequest{}});
  Message m{9, Error{2, 4, 0, request}};
  EXPECT_EQ(ofpPrint(encode(m)),
            "OFPT_ERROR (OF1.5) (xid=0x9): OFPBAC_BAD_OUT_PORT\n"
            "OFPT_BARRIER_REQUEST (OF1.5) (xid=0x9):");
  expectRoundTrip(m);
  expectRoundTrip(Message{9, Error{0xffff, 3, 0x2320, {1}}});
}

TEST(MessagesTest, BundleControlAndAdd) {
  Message open{10, BundleControl{7, BundleControl::kOpenRequest, kBundleAtomic | kBundleOrdered}};
  EXPECT_EQ(ofpPrint(encode(open)),
            "OFPT_BUNDLE_CONTROL (OF1.5) (xid=0xa):\n bundle_id=0x7 type=OPEN_REQUEST "
            "flags=atomic ordered");
  expectRoundTrip(open);
  Message commit{11, BundleControl{7, BundleControl::kCommitRequest, kBundleAtomic}};
  EXPECT_EQ(ofpPrint(encode(commit)),
            "OFPT_BUNDLE_CONTROL (OF1.5) (xid=0xb):\n bundle_id=0x7 type=COMMIT_REQUEST "
            "flags=atomic");
  expectRoundTrip(commit);
  expectRoundTrip(Message{12, BundleControl{7, BundleControl::kDiscardRequest, 0}});

  Flow f;
  f.table = 1;
  f.priority = 5;
  f.match = ipv4Match();
  f.actions = {output(2)};
  Message add{13, BundleAdd{7, kBundleAtomic, FlowMod::add(f)}};
  EXPECT_EQ(ofpPrint(encode(add)),
            "OFPT_BUNDLE_ADD_MESSAGE (OF1.5) (xid=0xd):\n bundle_id=0x7 flags=atomic\n"
            "OFPT_FLOW_MOD (OF1.5) (xid=0xd): ADD table:1 priority=5,ip actions=output:2");
  expectRoundTrip(add);
}

TEST(MessagesTest, FlowModCommands) {
  Flow f;
  f.table = 3;
  f.cookie = 0x10;
  f.match = ipv4Match();
  FlowMod del{FlowMod::kDelete, f, 0xff};
  del.flow.table = kTableAll;
  EXPECT_EQ(ofpPrint(encode(Message{1, del})),
            "OFPT_FLOW_MOD (OF1.5) (xid=0x1): DEL table:255 ip cookie:0x10/0xff actions=drop");
  expectRoundTrip(Message{1, del});
  FlowMod strict{FlowMod::kDeleteStrict, f};
  EXPECT_EQ(ofpPrint(encode(Message{1, strict})),
            "OFPT_FLOW_MOD (OF1.5) (xid=0x1): DEL_STRICT table:3 ip actions=drop");
  expectRoundTrip(Message{1, strict});
  FlowMod mod{FlowMod::kModifyStrict, f};
  mod.flow.actions = {output(1)};
  EXPECT_EQ(ofpPrint(encode(Message{1, mod})),
            "OFPT_FLOW_MOD (OF1.5) (xid=0x1): MOD_STRICT table:3 ip actions=output:1");
  expectRoundTrip(Message{1, mod});
}

TEST(MessagesTest, GroupMod) {
  GroupMod g;
  g.group_id = 5;
  g.type = GroupMod::kSelect;
  g.buckets = {{0, 10, {output(1)}}, {1, 20, {output(2)}}};
  EXPECT_EQ(ofpPrint(encode(Message{1, g})),
            "OFPT_GROUP_MOD (OF1.5) (xid=0x1):\n ADD group_id=5,type=select,"
            "bucket=bucket_id:0,weight:10,actions=output:1,"
            "bucket=bucket_id:1,weight:20,actions=output:2");
  expectRoundTrip(Message{1, g});
  GroupMod all;
  all.group_id = 6;
  all.buckets = {{0, 0, {output(1)}}, {1, 0, {loadReg(0, 1), output(2)}}};
  EXPECT_EQ(ofpPrint(encode(Message{2, all})),
            "OFPT_GROUP_MOD (OF1.5) (xid=0x2):\n ADD group_id=6,type=all,"
            "bucket=bucket_id:0,actions=output:1,"
            "bucket=bucket_id:1,actions=set_field:0x1->reg0,output:2");
  expectRoundTrip(Message{2, all});
  GroupMod del{GroupMod::kDelete, GroupMod::kAll, kGroupAll, {}};
  EXPECT_EQ(ofpPrint(encode(Message{3, del})),
            "OFPT_GROUP_MOD (OF1.5) (xid=0x3):\n DEL group_id=4294967292,type=all");
  expectRoundTrip(Message{3, del});
}

std::vector<uint8_t> sampleFrame() {
  // Broadcast ARP request 10.0.0.1 -> who has 10.0.0.2.
  return fromHex(
      "ffffffffffff0a000000000108060001080006040001"
      "0a00000000010a000001000000000000"
      "0a000002");
}

TEST(MessagesTest, PacketOut) {
  PacketOut p;
  p.actions = {output(2)};
  p.data = sampleFrame();
  std::string text = ofpPrint(encode(Message{1, p}));
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "OFPT_PACKET_OUT (OF1.5) (xid=0x1): in_port=CONTROLLER actions=output:2 "
            "data_len=42");
  EXPECT_NE(text.find("arp,vlan_tci=0x0000,dl_src=0a:00:00:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,"
                      "arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1"),
            std::string::npos)
      << text;
  expectRoundTrip(Message{1, p});
}

TEST(MessagesTest, PacketIn2) {
  PacketIn p;
  p.table_id = 3;
  p.cookie = 0x99;
  p.reason = PacketInReason::kAction;
  p.match.in_port = 2;
  p.match.reg[1] = Masked<uint32_t>(0x10);
  p.match.metadata = Masked<uint64_t>(0x7);
  p.data = sampleFrame();
  p.total_len = static_cast<uint32_t>(p.data.size());
  p.userdata = {1, 2, 3, 4};
  std::string text = ofpPrint(encode(Message{0, p}));
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "NXT_PACKET_IN2 (OF1.5) (xid=0x0): table_id=3 cookie=0x99 total_len=42 "
            "reg1=0x10,metadata=0x7,in_port=2 (via action) data_len=42 (unbuffered)");
  EXPECT_NE(text.find("userdata=01.02.03.04"), std::string::npos) << text;
  expectRoundTrip(Message{0, p});
}

TEST(MessagesTest, FlowStats) {
  FlowStatsRequest q;
  q.table = 3;
  q.cookie = 0x5;
  q.cookie_mask = 0xff;
  EXPECT_EQ(ofpPrint(encode(Message{1, q})), "OFPST_FLOW request (OF1.5) (xid=0x1): table=3");
  expectRoundTrip(Message{1, q});
  FlowStatsReply r;
  Flow f;
  f.table = 3;
  f.priority = 7;
  f.match = tcpMatch();
  f.actions = {output(1)};
  r.flows = {f, Flow{}};
  r.more = true;
  expectRoundTrip(Message{2, r});
  std::string text = ofpPrint(encode(Message{2, r}));
  EXPECT_NE(text.find("table=3, n_packets=?, n_bytes=?, priority=7,tcp actions=output:1"),
            std::string::npos)
      << text;
}

TEST(MessagesTest, RejectsBadHeaders) {
  EXPECT_FALSE(decode({}).ok());
  EXPECT_FALSE(decode(fromHex("0600")).ok());
  EXPECT_FALSE(decode(fromHex("0614000900000001")).ok());  // length 9, 8 given
  EXPECT_FALSE(decode(fromHex("0614000400000001")).ok());  // length below header
  EXPECT_FALSE(decode(fromHex("0114000800000001")).ok());  // OpenFlow 1.0 barrier
  EXPECT_TRUE(decode(fromHex("0614000800000001")).ok());   // a valid barrier
}

TEST(MessagesTest, GarbageNeverCrashes) {
  // Random mutations of valid messages: the decoder must return, ok or not.
  std::vector<std::vector<uint8_t>> seeds;
  Flow f;
  f.match = tcpMatch();
  f.actions = {Ct{true, 1, std::nullopt, 2, Nat{}, {SetField{Field::kCtMark, 1, std::nullopt}}},
               controller({1, 2})};
  seeds.push_back(encode(Message{1, FlowMod::add(f)}));
  seeds.push_back(encode(Message{1, BundleAdd{1, 1, FlowMod::add(f)}}));
  PacketIn p;
  p.data = sampleFrame();
  p.userdata = {9};
  seeds.push_back(encode(Message{1, p}));
  GroupMod g;
  g.type = GroupMod::kSelect;
  g.buckets = {{0, 1, {output(1)}}};
  seeds.push_back(encode(Message{1, g}));
  std::mt19937 rng(1234);
  for (int i = 0; i < 20000; ++i) {
    auto bytes = seeds[i % seeds.size()];
    int flips = 1 + rng() % 4;
    for (int k = 0; k < flips; ++k) bytes[8 + rng() % (bytes.size() - 8)] = rng();
    (void)decode(bytes);
  }
}

}  // namespace
}  // namespace alcor::openflow
