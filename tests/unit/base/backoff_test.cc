#include "lib/base/backoff.h"

#include <gtest/gtest.h>

namespace alcor {
namespace {

using std::chrono::milliseconds;

TEST(BackoffTest, GrowsToMaxWithJitterAndResets) {
  Backoff b(milliseconds(100), milliseconds(1000));
  milliseconds expected_cap(100);
  for (int i = 0; i < 8; ++i) {
    auto d = b.nextDelay();
    EXPECT_GE(d, expected_cap / 2);
    EXPECT_LE(d, expected_cap);
    expected_cap = std::min(milliseconds(1000), expected_cap * 2);
  }
  EXPECT_EQ(b.current(), milliseconds(1000));
  b.reset();
  EXPECT_LE(b.nextDelay(), milliseconds(100));
}

}  // namespace
}  // namespace alcor
