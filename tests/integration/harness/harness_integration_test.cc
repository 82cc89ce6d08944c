// The harness itself: command runner, namespaces, and an isolated OVS that switches traffic
// between two pod namespaces and leaves nothing behind.

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "tests/harness/netns.h"
#include "tests/harness/ovs_sandbox.h"
#include "tests/harness/ovs_test_fixture.h"
#include "tests/harness/process.h"

namespace alcor::testing {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

bool processAlive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

TEST(ProcessTest, RunCapturesOutputExitCodeAndStdin) {
  auto r = run({"sh", "-c", "cat; echo err >&2; exit 3"}, {.stdin_data = "hello"});
  EXPECT_EQ(r.exit_code, 3);
  EXPECT_EQ(r.out, "hello");
  EXPECT_EQ(r.err, "err\n");
}

TEST(ProcessTest, RunKillsOnTimeout) {
  RunOptions o;
  o.timeout = std::chrono::milliseconds(200);
  auto r = run({"sleep", "10"}, o);
  EXPECT_EQ(r.exit_code, -1);
  EXPECT_THAT(r.err, HasSubstr("timeout"));
}

TEST(ProcessTest, DaemonStopsByPid) {
  TempDir dir;
  auto d = Daemon::start({"sleep", "30"}, dir.path() + "/log");
  ASSERT_TRUE(d.ok());
  pid_t pid = d->pid();
  EXPECT_TRUE(processAlive(pid));
  EXPECT_EQ(d->stop(), -SIGTERM);
  EXPECT_FALSE(processAlive(pid));
}

TEST(ProcessTest, UniqueNamesFitInterfaceNames) {
  std::string a = uniqueName("pod"), b = uniqueName("pod");
  EXPECT_NE(a, b);
  EXPECT_LE(a.size(), 15u);
}

TEST(NetnsTest, CreatedWithLoopbackUpAndDeleted) {
  std::string name;
  {
    auto ns = Netns::create("t");
    ASSERT_TRUE(ns.ok()) << ns.status();
    name = (*ns)->name();
    EXPECT_TRUE(netnsExists(name));
    auto r = (*ns)->exec({"ip", "-o", "link", "show", "lo"});
    EXPECT_THAT(r.out, HasSubstr("UP"));
  }
  EXPECT_FALSE(netnsExists(name));
}

TEST(OvsSandboxTest, SwitchesTrafficBetweenTwoPodsAndLeavesNothingBehind) {
  std::string node_name, pod_a_name, pod_b_name, run_dir;
  pid_t ovsdb_pid = -1, vswitchd_pid = -1;
  std::string host_a = uniqueName("hva"), host_b = uniqueName("hvb");
  {
    auto node = Netns::create("node");
    auto pod_a = Netns::create("poda");
    auto pod_b = Netns::create("podb");
    ASSERT_TRUE(node.ok() && pod_a.ok() && pod_b.ok());
    node_name = (*node)->name();
    pod_a_name = (*pod_a)->name();
    pod_b_name = (*pod_b)->name();

    auto ovs = OvsSandbox::start(node_name);
    ASSERT_TRUE(ovs.ok()) << ovs.status();
    run_dir = (*ovs)->runDir();
    ovsdb_pid = (*ovs)->ovsdbPid();
    vswitchd_pid = (*ovs)->vswitchdPid();
    EXPECT_TRUE(processAlive(ovsdb_pid));
    EXPECT_TRUE(processAlive(vswitchd_pid));

    ASSERT_TRUE((*ovs)->addBridge("br0").ok());
    ASSERT_TRUE(addVethPair(node_name, host_a, pod_a_name, "eth0").ok());
    ASSERT_TRUE(addVethPair(node_name, host_b, pod_b_name, "eth0").ok());
    ASSERT_TRUE((*pod_a)->exec({"ip", "addr", "add", "10.99.0.1/24", "dev", "eth0"}).ok());
    ASSERT_TRUE((*pod_b)->exec({"ip", "addr", "add", "10.99.0.2/24", "dev", "eth0"}).ok());
    auto r = (*ovs)->vsctl({"add-port", "br0", host_a, "--", "set", "interface", host_a,
                            "ofport_request=1", "--", "add-port", "br0", host_b, "--", "set",
                            "interface", host_b, "ofport_request=2"});
    ASSERT_TRUE(r.ok()) << r.describe();
    EXPECT_THAT((*ovs)->vsctl({"show"}).out, HasSubstr(host_a));

    // fail_mode=secure: nothing passes until a flow allows it.
    auto blocked = (*pod_a)->exec({"ping", "-c1", "-W1", "10.99.0.2"});
    EXPECT_FALSE(blocked.ok());
    ASSERT_TRUE((*ovs)->ofctl({"add-flow", "br0", "priority=0,actions=NORMAL"}).ok());
    EXPECT_THAT((*ovs)->dumpFlows("br0"), Contains(HasSubstr("actions=NORMAL")));
    auto ping = (*pod_a)->exec({"ping", "-c2", "-i0.2", "-W2", "10.99.0.2"});
    EXPECT_TRUE(ping.ok()) << ping.describe();
    // TCP needs the pod-side checksum offload off (addVethPair does it).
    TempDir tmp;
    RunOptions in_pod_b;
    in_pod_b.netns = pod_b_name;
    auto server =
        Daemon::start({"busybox", "nc", "-l", "-p", "7777"}, tmp.path() + "/nc.out", in_pod_b);
    ASSERT_TRUE(server.ok());
    auto connect = (*pod_a)->shell(
        "for i in 1 2 3 4 5 6 7 8 9 10; do echo hi | busybox nc -w 2 10.99.0.2 7777 && exit 0; "
        "sleep 0.1; done; exit 1");
    EXPECT_TRUE(connect.ok()) << connect.describe();
    server->wait(std::chrono::seconds(3));
    server->stop();
    std::ifstream received(tmp.path() + "/nc.out");
    std::string got((std::istreambuf_iterator<char>(received)), std::istreambuf_iterator<char>());
    EXPECT_EQ(got, "hi\n");

    ASSERT_TRUE((*ovs)->stop().ok());
    EXPECT_THAT((*ovs)->unexpectedLogLines(), ::testing::IsEmpty());
  }
  EXPECT_FALSE(processAlive(ovsdb_pid));
  EXPECT_FALSE(processAlive(vswitchd_pid));
  EXPECT_FALSE(netnsExists(node_name));
  EXPECT_FALSE(netnsExists(pod_a_name));
  EXPECT_FALSE(netnsExists(pod_b_name));
  EXPECT_FALSE(std::filesystem::exists(run_dir));
  auto root_links = linkNames("");
  EXPECT_THAT(root_links, Not(Contains(host_a)));
  EXPECT_THAT(root_links, Not(Contains(host_b)));
}

class OvsFixtureTest : public OvsNamespaceTest {};

TEST_F(OvsFixtureTest, ReportsUnexpectedLogLines) {
  ASSERT_TRUE(ovs_->addBridge("br0").ok());
  // A bad controller target makes vswitchd log an ERR/WARN line the check must catch.
  ovs_->vsctl({"set-controller", "br0", "unix:/nonexistent/x.sock"});
  ASSERT_TRUE(
      waitFor([&] { return !ovs_->unexpectedLogLines().empty(); }, std::chrono::seconds(5)));
  ovs_->allowLogPattern("nonexistent|remote exploit|x.sock");
  EXPECT_THAT(ovs_->unexpectedLogLines(), ::testing::IsEmpty());
}

}  // namespace
}  // namespace alcor::testing
