#include "lib/netlink/netns.h"

#include <gtest/gtest.h>

#include <thread>

namespace alcor::netlink {
namespace {

TEST(NetnsTest, PathAcceptsNamesAndPaths) {
  EXPECT_EQ(netnsPath(""), "");
  EXPECT_EQ(netnsPath("pod1"), "/var/run/netns/pod1");
  EXPECT_EQ(netnsPath("/proc/42/ns/net"), "/proc/42/ns/net");
  EXPECT_EQ(netnsPath("/var/run/netns/x"), "/var/run/netns/x");
}

TEST(NetnsTest, EmptyNamespaceRunsInlineOnTheCallingThread) {
  std::thread::id inside;
  Status s = runInNetns("", [&] {
    inside = std::this_thread::get_id();
    return invalidArgumentError("from fn");
  });
  EXPECT_EQ(inside, std::this_thread::get_id());
  EXPECT_EQ(s, invalidArgumentError("from fn"));
}

TEST(NetnsTest, MissingNamespaceIsNotFoundAndFnDoesNotRun) {
  bool ran = false;
  Status s = runInNetns("alcor-no-such-netns-xyz", [&] {
    ran = true;
    return okStatus();
  });
  EXPECT_EQ(s.code(), StatusCode::kNotFound) << s;
  EXPECT_FALSE(ran);
  EXPECT_FALSE(netnsExists("alcor-no-such-netns-xyz"));
  EXPECT_TRUE(netnsExists(""));
}

TEST(NetnsTest, OwnNamespaceByPathRunsOnAnotherThread) {
  std::thread::id inside;
  Status s = runInNetns("/proc/self/ns/net", [&] {
    inside = std::this_thread::get_id();
    return okStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_NE(inside, std::this_thread::get_id());
}

}  // namespace
}  // namespace alcor::netlink
