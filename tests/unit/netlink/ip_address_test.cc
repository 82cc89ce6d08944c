#include "lib/netlink/ip_address.h"

#include <gtest/gtest.h>

namespace alcor::netlink {
namespace {

TEST(IpAddressTest, ParsesAndFormatsBothFamilies) {
  auto v4 = IpAddress::parse("10.0.0.5");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_TRUE(v4->isV4());
  EXPECT_EQ(v4->toString(), "10.0.0.5");
  EXPECT_EQ(v4->v4(), *Ipv4Address::parse("10.0.0.5"));
  EXPECT_EQ(v4->bitLength(), 32);

  auto v6 = IpAddress::parse("FD00:0:0::0005");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_TRUE(v6->isV6());
  EXPECT_EQ(v6->toString(), "fd00::5");
  EXPECT_EQ(v6->byteLength(), 16);
}

TEST(IpAddressTest, RejectsGarbage) {
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "fd00:::1", "hello", "10.0.0.1/24", "::g"}) {
    EXPECT_FALSE(IpAddress::parse(bad).ok()) << bad;
  }
  uint8_t five[5] = {};
  EXPECT_FALSE(IpAddress::fromBytes(five, 5).ok());
}

TEST(IpAddressTest, ConvertsFromBytesAndOrders) {
  uint8_t raw[4] = {192, 168, 1, 2};
  auto a = IpAddress::fromBytes(raw, 4);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->toString(), "192.168.1.2");
  EXPECT_EQ(*a, IpAddress(*Ipv4Address::parse("192.168.1.2")));
  EXPECT_LT(*IpAddress::parse("10.0.0.1"), *IpAddress::parse("10.0.0.2"));
  EXPECT_TRUE(IpAddress().isUnspecified());
  EXPECT_TRUE(IpAddress::parse("::")->isUnspecified());
  EXPECT_FALSE(IpAddress::parse("::1")->isUnspecified());
}

TEST(IpPrefixTest, ParsesNetworkAndContains) {
  auto p = IpPrefix::parse("10.1.2.3/16");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->toString(), "10.1.2.3/16");
  EXPECT_EQ(p->network().toString(), "10.1.0.0");
  EXPECT_TRUE(p->contains(*IpAddress::parse("10.1.200.1")));
  EXPECT_FALSE(p->contains(*IpAddress::parse("10.2.0.1")));
  EXPECT_FALSE(p->contains(*IpAddress::parse("fd00::1")));

  auto v6 = IpPrefix::parse("fd00:1:2:3::9/62");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->network().toString(), "fd00:1:2::");
  EXPECT_TRUE(IpPrefix::parse("0.0.0.0/0")->isDefault());
  EXPECT_EQ(IpPrefix::parse("10.0.0.1")->length(), 32);
  EXPECT_EQ(IpPrefix::parse("fd00::1")->length(), 128);
  EXPECT_EQ(IpPrefix(*Ipv4Prefix::parse("10.0.0.0/8")).toString(), "10.0.0.0/8");
}

TEST(IpPrefixTest, RejectsBadLengths) {
  for (const char* bad :
       {"10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/8x", "fd00::/129", "/24"}) {
    EXPECT_FALSE(IpPrefix::parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace alcor::netlink
