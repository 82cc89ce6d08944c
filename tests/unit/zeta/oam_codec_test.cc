#include "node-agent/zeta/oam_codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/base/strings.h"

namespace alcor::agent::zeta {
namespace {

std::vector<uint8_t> fromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

OamMessage sampleInject() {
  OamMessage m;
  m.op = OamOp::kInject;
  m.key = {*Ipv4Address::parse("10.0.1.5"), *Ipv4Address::parse("10.0.1.6"), 40000, 80, 6, 21};
  m.instance_ip = *Ipv4Address::parse("10.0.1.6");
  m.node_ip = *Ipv4Address::parse("10.200.0.12");
  m.instance_mac = *MacAddress::parse("fa:16:3e:00:00:06");
  m.node_mac = *MacAddress::parse("02:00:0a:c8:00:0c");
  m.idle_timeout = 30;
  return m;
}

// Hand-assembled from the layout in oam_codec.h: op 0, 10.0.1.5:40000 -> 10.0.1.6:80 tcp,
// VNI 21, instance 10.0.1.6 fa:16:3e:00:00:06 on node 10.200.0.12 02:00:0a:c8:00:0c, idle 30 s.
constexpr const char* kInjectHex =
    "00000000"
    "0a000105"
    "0a000106"
    "9c40"
    "0050"
    "06"
    "000015"
    "0a000106"
    "0ac8000c"
    "fa163e000006"
    "02000ac8000c"
    "001e"
    "0000";

TEST(OamCodecTest, DecodesAnInject) {
  auto bytes = fromHex(kInjectHex);
  ASSERT_EQ(bytes.size(), kOamInjectPaddedSize);
  auto m = decodeOam(bytes.data(), bytes.size());
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(*m, sampleInject());
  EXPECT_EQ(formatOam(*m),
            "inject vni=21,proto=6,10.0.1.5:40000->10.0.1.6:80 via node 10.200.0.12 "
            "(02:00:0a:c8:00:0c) to 10.0.1.6 (fa:16:3e:00:00:06), idle 30s");
}

TEST(OamCodecTest, RoundTripsBothOps) {
  auto inject = sampleInject();
  auto bytes = encodeOam(inject);
  EXPECT_EQ(hexDump(bytes.data(), bytes.size()), kInjectHex);
  OamMessage del;
  del.op = OamOp::kDelete;
  del.key = inject.key;
  auto dbytes = encodeOam(del);
  ASSERT_EQ(dbytes.size(), kOamDeleteSize);
  auto back = decodeOam(dbytes.data(), dbytes.size());
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->op, OamOp::kDelete);
  EXPECT_EQ(back->key, inject.key);
  // Unpadded injects (42 bytes) are accepted too.
  EXPECT_TRUE(decodeOam(bytes.data(), kOamInjectSize).ok());
}

TEST(OamCodecTest, RejectsEveryTruncationAndGarbage) {
  auto bytes = fromHex(kInjectHex);
  for (size_t n = 0; n < bytes.size(); ++n) {
    if (n == kOamInjectSize) continue;
    EXPECT_FALSE(decodeOam(bytes.data(), n).ok()) << n;
  }
  auto bad_op = bytes;
  bad_op[3] = 7;
  EXPECT_FALSE(decodeOam(bad_op.data(), bad_op.size()).ok());
  auto zero_vni = bytes;
  zero_vni[17] = zero_vni[18] = zero_vni[19] = 0;
  EXPECT_FALSE(decodeOam(zero_vni.data(), zero_vni.size()).ok());
  auto multicast = bytes;
  multicast[28] = 0x01;
  EXPECT_FALSE(decodeOam(multicast.data(), multicast.size()).ok());
  auto longer = bytes;
  longer.push_back(0);
  EXPECT_FALSE(decodeOam(longer.data(), longer.size()).ok());
}

}  // namespace
}  // namespace alcor::agent::zeta
