#include "lib/base/uuid.h"

#include <gtest/gtest.h>

#include <set>

namespace alcor {
namespace {

TEST(UuidTest, GeneratesDistinctVersion4Uuids) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string u = newUuid();
    ASSERT_TRUE(isUuid(u)) << u;
    EXPECT_EQ(u[14], '4');
    EXPECT_TRUE(seen.insert(u).second);
  }
  EXPECT_FALSE(isUuid("not-a-uuid"));
  EXPECT_FALSE(isUuid("0123456789abcdef0123456789abcdef0123"));
}

}  // namespace
}  // namespace alcor
