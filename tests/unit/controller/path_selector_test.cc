// --southbound=auto's rule (controller/mq/path_selector.h): a VPC moves to NATS above `up`
// ports, back to gRPC below `down`, and stays where it is in between (hysteresis); each VPC on
// its own.

#include "controller/mq/path_selector.h"

#include <gtest/gtest.h>

namespace alcor::controller {
namespace {

TEST(VpcPathSelectorTest, MovesAboveUpAndBackBelowDownWithHysteresis) {
  VpcPathSelector s({.up = 1000, .down = 100});
  EXPECT_EQ(s.observe("v", 1000), PathSwitch::kNone);  // not above
  EXPECT_FALSE(s.onMq("v"));
  EXPECT_EQ(s.observe("v", 1001), PathSwitch::kToMq);
  EXPECT_TRUE(s.onMq("v"));
  EXPECT_EQ(s.observe("v", 1002), PathSwitch::kNone);
  // Between the thresholds it stays on NATS, however often the count moves there.
  for (uint64_t n : {999u, 500u, 100u, 700u}) {
    EXPECT_EQ(s.observe("v", n), PathSwitch::kNone) << n;
    EXPECT_TRUE(s.onMq("v")) << n;
  }
  EXPECT_EQ(s.observe("v", 99), PathSwitch::kToGrpc);
  EXPECT_FALSE(s.onMq("v"));
  // ... and on gRPC again until it is above `up` once more.
  EXPECT_EQ(s.observe("v", 500), PathSwitch::kNone);
  EXPECT_EQ(s.observe("v", 1000), PathSwitch::kNone);
  EXPECT_FALSE(s.onMq("v"));
  EXPECT_EQ(s.observe("v", 5000), PathSwitch::kToMq);
  EXPECT_EQ(s.switches(), 3u);
}

TEST(VpcPathSelectorTest, EachVpcHasItsOwnPath) {
  VpcPathSelector s({.up = 3, .down = 1});
  EXPECT_EQ(s.observe("a", 4), PathSwitch::kToMq);
  EXPECT_EQ(s.observe("b", 2), PathSwitch::kNone);
  EXPECT_TRUE(s.onMq("a"));
  EXPECT_FALSE(s.onMq("b"));
  EXPECT_EQ(s.vpcsOnMq(), 1u);
  EXPECT_EQ(s.observe("b", 4), PathSwitch::kToMq);
  EXPECT_EQ(s.vpcsOnMq(), 2u);
  EXPECT_EQ(s.observe("a", 0), PathSwitch::kToGrpc);  // its last port deleted
  EXPECT_EQ(s.vpcsOnMq(), 1u);
  EXPECT_TRUE(s.onMq("b"));
}

TEST(VpcPathSelectorTest, EqualThresholdsStillNeedACrossing) {
  // up == down: above 5 to NATS, below 5 back; exactly 5 keeps the current path.
  VpcPathSelector s({.up = 5, .down = 5});
  EXPECT_EQ(s.observe("v", 5), PathSwitch::kNone);
  EXPECT_EQ(s.observe("v", 6), PathSwitch::kToMq);
  EXPECT_EQ(s.observe("v", 5), PathSwitch::kNone);
  EXPECT_TRUE(s.onMq("v"));
  EXPECT_EQ(s.observe("v", 4), PathSwitch::kToGrpc);
}

TEST(VpcPathSelectorTest, ThresholdsAreValidated) {
  EXPECT_TRUE(validateThresholds({.up = 1000, .down = 100}).ok());
  EXPECT_TRUE(validateThresholds({.up = 3, .down = 3}).ok());
  // Back below 0 ports never happens; down above up would flap between the two.
  EXPECT_EQ(validateThresholds({.up = 3, .down = 0}).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(validateThresholds({.up = 3, .down = 4}).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace alcor::controller
