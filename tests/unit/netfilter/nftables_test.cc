// The parts of the nf_tables client that need no kernel: interval encoding of prefix sets and
// the checks that keep a bad table from ever being sent.

#include "lib/netfilter/nftables.h"

#include <gtest/gtest.h>
#include "tests/harness/addresses.h"

namespace alcor::netfilter {
namespace {

using alcor::testing::ip;
using alcor::testing::prefix;

TEST(NftablesTest, EncodesPrefixesAsSortedMergedIntervals) {
  auto e = intervalElements(
      {prefix("10.2.0.0/16"), prefix("10.0.0.0/16"), prefix("10.1.0.0/16"), prefix("10.0.5.0/24")});
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0], std::make_pair(ip("0.0.0.0"), true));  // nothing below the first range
  EXPECT_EQ(e[1], std::make_pair(ip("10.0.0.0"), false));
  EXPECT_EQ(e[2], std::make_pair(ip("10.3.0.0"), true));  // 10.0/16 .. 10.2/16 are one range
}

TEST(NftablesTest, RangesAtTheEdgesOfTheAddressSpaceNeedNoExtraEnd) {
  auto e = intervalElements({prefix("0.0.0.0/8"), prefix("255.0.0.0/8")});
  ASSERT_EQ(e.size(), 3u);
  EXPECT_EQ(e[0], std::make_pair(ip("0.0.0.0"), false));
  EXPECT_EQ(e[1], std::make_pair(ip("1.0.0.0"), true));
  EXPECT_EQ(e[2], std::make_pair(ip("255.0.0.0"), false));
  EXPECT_TRUE(intervalElements({}).empty());
  // Host bits are ignored: the prefix's network is what counts.
  auto host = intervalElements({prefix("10.0.0.7/24")});
  EXPECT_EQ(host[1].first, ip("10.0.0.0"));
}

TEST(NftablesTest, RefusesTablesTheKernelWouldRejectOrMisread) {
  Table t{"alcor", {{"pods", {}}}, {}};
  EXPECT_TRUE(validateTable(t).ok());
  Table unnamed = t;
  unnamed.name = "";
  EXPECT_FALSE(validateTable(unnamed).ok());
  Table twice = t;
  twice.sets.push_back({"pods", {}});
  EXPECT_FALSE(validateTable(twice).ok());
  auto refused = [&](const Chain& chain) {
    Table with = t;
    with.chains.push_back(chain);
    return !validateTable(with).ok();
  };
  auto rule = [](Condition::Kind kind, const char* value, Verdict verdict) {
    return Rule{{{kind, value, false}}, verdict};
  };
  EXPECT_TRUE(refused({"f", ChainType::kFilter, Hook::kForward, 0, {{{}, Verdict::kMasquerade}}}));
  EXPECT_TRUE(
      refused({"f",
               ChainType::kFilter,
               Hook::kForward,
               0,
               {rule(Condition::Kind::kInputInterface, "a-very-long-name", Verdict::kDrop)}}));
  EXPECT_TRUE(refused({"p",
                       ChainType::kNat,
                       Hook::kPostrouting,
                       100,
                       {rule(Condition::Kind::kSourceInSet, "other", Verdict::kMasquerade)}}));
  EXPECT_TRUE(refused({"n", ChainType::kNat, Hook::kForward, 0, {}}));
  EXPECT_FALSE(refused({"p",
                        ChainType::kNat,
                        Hook::kPostrouting,
                        100,
                        {rule(Condition::Kind::kSourceInSet, "pods", Verdict::kMasquerade)}}));
}

}  // namespace
}  // namespace alcor::netfilter
