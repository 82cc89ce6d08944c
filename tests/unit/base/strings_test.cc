#include "lib/base/strings.h"

#include <gtest/gtest.h>

namespace alcor {
namespace {

TEST(StringsTest, SplitsTrimsAndJoins) {
  EXPECT_EQ(splitString("a,,b", ','), (std::vector<std::string_view>{"a", "b"}));
  EXPECT_EQ(splitString("a,,b", ',', false), (std::vector<std::string_view>{"a", "", "b"}));
  EXPECT_EQ(trimSpace("  x y \n"), "x y");
  EXPECT_EQ(joinStrings({"a", "b", "c"}, "-"), "a-b-c");
  EXPECT_EQ(toLower("AbC"), "abc");
  EXPECT_TRUE(startsWith("K8S_POD_NAME=x", "K8S_"));
  EXPECT_TRUE(endsWith("x.conflist", ".conflist"));
}

TEST(StringsTest, ParsesWholeNumbersOnly) {
  EXPECT_EQ(parseInt<int>("42"), 42);
  EXPECT_EQ(parseInt<int>("-3"), -3);
  EXPECT_FALSE(parseInt<int>("42x"));
  EXPECT_FALSE(parseInt<int>(""));
  EXPECT_FALSE(parseInt<uint8_t>("256"));
  EXPECT_EQ(parseInt<uint32_t>("ff", 16), 255u);
  EXPECT_EQ(parseDouble("1.5"), 1.5);
  EXPECT_FALSE(parseDouble("1.5.2"));
  EXPECT_EQ(hexDump("\x01\xab", 2), "01ab");
}

}  // namespace
}  // namespace alcor
