// runInNetns against real namespaces: the work happens inside, the calling thread never moves.

#include "lib/netlink/netns.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/harness/netns.h"
#include "tests/harness/process.h"

namespace alcor::netlink {
namespace {

std::string threadNetns() {
  return std::filesystem::read_symlink("/proc/thread-self/ns/net").string();
}

std::string netnsOfPath(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return "";
  return "net:[" + std::to_string(st.st_ino) + "]";
}

TEST(NetnsIntegrationTest, RunsInsideAndNeverLeaksToTheCallingThread) {
  auto ns = alcor::testing::Netns::create("nlrn");
  ASSERT_TRUE(ns.ok()) << ns.status();
  std::string before = threadNetns();
  for (const std::string& form : {(*ns)->path(), (*ns)->name()}) {
    std::string inside;
    Status s = runInNetns(form, [&] {
      inside = threadNetns();
      return okStatus();
    });
    ASSERT_TRUE(s.ok()) << s;
    EXPECT_EQ(inside, netnsOfPath((*ns)->path())) << form;
    EXPECT_NE(inside, before);
    EXPECT_EQ(threadNetns(), before) << "the calling thread moved";
  }
  // An error from fn comes back as is, and still leaves the caller where it was.
  Status s = runInNetns((*ns)->name(), [] { return abortedError("fn failed"); });
  EXPECT_EQ(s, abortedError("fn failed"));
  EXPECT_EQ(threadNetns(), before);
}

TEST(NetnsIntegrationTest, AcceptsAProcessNamespacePath) {
  auto ns = alcor::testing::Netns::create("nlpr");
  ASSERT_TRUE(ns.ok()) << ns.status();
  alcor::testing::TempDir dir;
  alcor::testing::RunOptions options;
  options.netns = (*ns)->name();
  auto sleeper = alcor::testing::Daemon::start({"sleep", "30"}, dir.path() + "/sleep.log", options);
  ASSERT_TRUE(sleeper.ok()) << sleeper.status();
  std::string proc_path = "/proc/" + std::to_string(sleeper->pid()) + "/ns/net";
  // The child enters the namespace right after fork; wait until it has.
  ASSERT_TRUE(
      alcor::testing::waitFor([&] { return netnsOfPath(proc_path) == netnsOfPath((*ns)->path()); },
                              std::chrono::seconds(5)));
  std::string inside;
  Status s = runInNetns(proc_path, [&] {
    inside = threadNetns();
    return okStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(inside, netnsOfPath((*ns)->path()));
  sleeper->stop();
}

// A runtime's bind mount that never reached the agent's mount namespace leaves a plain file at
// the path: it must not pass for a namespace.
TEST(NetnsIntegrationTest, TellsANetworkNamespaceFromAPlainFileOrAnotherNamespaceKind) {
  auto ns = alcor::testing::Netns::create("nlis");
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_TRUE(isNetworkNamespace((*ns)->path()));
  EXPECT_TRUE(isNetworkNamespace((*ns)->name()));
  EXPECT_TRUE(isNetworkNamespace("/proc/self/ns/net"));
  alcor::testing::TempDir dir;
  std::string plain = dir.path() + "/netns-placeholder";
  { std::ofstream(plain) << ""; }
  EXPECT_FALSE(isNetworkNamespace(plain));
  EXPECT_FALSE(isNetworkNamespace(dir.path() + "/missing"));
  EXPECT_FALSE(isNetworkNamespace("/proc/self/ns/mnt"));  // a namespace, but not a network one
}

}  // namespace
}  // namespace alcor::netlink
