#include "lib/base/net_types.h"

#include <gtest/gtest.h>

namespace alcor {
namespace {

TEST(Ipv4AddressTest, ParsesAndFormatsDottedQuad) {
  auto a = Ipv4Address::parse("10.0.1.254");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->value(), 0x0a0001feu);
  EXPECT_EQ(a->toString(), "10.0.1.254");
  EXPECT_EQ(Ipv4Address::fromNetworkOrder(a->networkOrder()), *a);
}

TEST(Ipv4AddressTest, RejectsMalformedInput) {
  for (const char* bad : {"", "10.0.0", "10.0.0.1.2", "256.0.0.1", "01.0.0.1", "10..0.1",
                          "10.0.0.1 ", "a.b.c.d", "1.2.3.4/24", "-1.0.0.0", "1234.1.1.1"}) {
    EXPECT_FALSE(Ipv4Address::parse(bad).ok()) << bad;
  }
}

TEST(Ipv4PrefixTest, ComputesNetworkBroadcastAndContainment) {
  auto p = Ipv4Prefix::parse("10.0.1.77/24");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->network().toString(), "10.0.1.0");
  EXPECT_EQ(p->broadcast().toString(), "10.0.1.255");
  EXPECT_EQ(p->size(), 256u);
  EXPECT_TRUE(p->contains(*Ipv4Address::parse("10.0.1.5")));
  EXPECT_FALSE(p->contains(*Ipv4Address::parse("10.0.2.5")));
  EXPECT_EQ(Ipv4Prefix::parse("0.0.0.0/0")->mask(), 0u);
  EXPECT_EQ(Ipv4Prefix::parse("1.2.3.4/32")->mask(), 0xffffffffu);
}

TEST(Ipv4PrefixTest, StrictRejectsHostBits) {
  EXPECT_FALSE(Ipv4Prefix::parse("10.0.1.77/24", /*strict=*/true).ok());
  EXPECT_TRUE(Ipv4Prefix::parse("10.0.1.0/24", /*strict=*/true).ok());
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08",
                          "x/24", "10.0.0.0/24/1"}) {
    EXPECT_FALSE(Ipv4Prefix::parse(bad).ok()) << bad;
  }
}

TEST(Ipv4PrefixTest, Overlaps) {
  auto a = *Ipv4Prefix::parse("10.0.0.0/16");
  auto b = *Ipv4Prefix::parse("10.0.5.0/24");
  auto c = *Ipv4Prefix::parse("10.1.0.0/16");
  EXPECT_TRUE(a.overlaps(b));
  EXPECT_TRUE(b.overlaps(a));
  EXPECT_FALSE(a.overlaps(c));
}

TEST(MacAddressTest, ParsesBothCasesAndSeparators) {
  auto m = MacAddress::parse("FA:16:3e:00:00:01");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->toString(), "fa:16:3e:00:00:01");
  EXPECT_EQ(MacAddress::parse("fa-16-3e-00-00-01")->toString(), "fa:16:3e:00:00:01");
  EXPECT_TRUE(m->isLocallyAdministered());
  EXPECT_FALSE(m->isMulticast());
  EXPECT_EQ(MacAddress::fromUint64(m->toUint64()), *m);
  EXPECT_TRUE(MacAddress::parse("ff:ff:ff:ff:ff:ff")->isBroadcast());
}

TEST(MacAddressTest, RejectsMalformedInput) {
  for (const char* bad : {"", "fa:16:3e:00:00", "fa:16:3e:00:00:0g", "fa:16-3e:00:00:01",
                          "fa16.3e00.0001", "fa:16:3e:00:00:011"}) {
    EXPECT_FALSE(MacAddress::parse(bad).ok()) << bad;
  }
}

TEST(Ipv6Test, ValidatesText) {
  EXPECT_TRUE(isValidIpv6("fd00::1"));
  EXPECT_FALSE(isValidIpv6("10.0.0.1"));
  EXPECT_FALSE(isValidIpv6("fd00:::1"));
}

}  // namespace
}  // namespace alcor
