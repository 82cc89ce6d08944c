// Issue 6: two nodes joined by the VXLAN overlay — neighbors pushed by the controller, ARP
// answered by flows, DHCP answered by the agent.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "lib/base/strings.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/one_subnet_fixture.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

class OverlayTest : public OneSubnetTest {
 protected:
  OverlayTest() : OneSubnetTest({.nodes = 2}) {}
};

TEST_F(OverlayTest, PodsOnTwoNodesTalkOverVxlan) {
  auto a = cluster->addPod(0, vpc, subnet);
  auto b = cluster->addPod(1, vpc, subnet);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message() << b.status().message();
  EXPECT_TRUE(canPing(*a, b->ip(), 3));
  EXPECT_TRUE(canPing(*b, a->ip(), 3));
  EXPECT_TRUE(tcpWorks(*a, *b));
  // Node 0 sends b's MAC into the tunnel towards node 1's IP.
  auto to_b = flowsMentioning(cluster->node(0), "dl_dst=" + podMac(*b));
  std::string tunnel_flow;
  for (const auto& f : to_b) {
    if (f.find("tun_dst") != std::string::npos) tunnel_flow = f;
  }
  EXPECT_THAT(tunnel_flow, HasSubstr(cluster->node(1).ip + "->tun_dst"));
}

TEST_F(OverlayTest, ArpForARemotePodIsAnsweredOnTheLocalNode) {
  auto a = cluster->addPod(0, vpc, subnet);
  auto b = cluster->addPod(1, vpc, subnet);
  ASSERT_TRUE(a.ok() && b.ok());
  // Answered by node 0's ArpResponder flow: the request never crosses the tunnel.
  auto r = a->ns->exec({"busybox", "arping", "-c", "1", "-w", "2", "-I", "eth0", b->ip()});
  EXPECT_TRUE(r.ok()) << r.describe();
  EXPECT_THAT(toLower(r.out), HasSubstr(podMac(*b)));
  auto responder = cluster->node(0).ovs->ofctl(
      {"dump-flows", "br-int", "table=20,arp,arp_op=1,arp_tpa=" + b->ip()});
  EXPECT_THAT(responder.out, HasSubstr("n_packets=1,")) << responder.out;
  // Node 1 saw no ARP request from the tunnel for b.
  auto remote = cluster->node(1).ovs->ofctl(
      {"dump-flows", "br-int", "table=20,arp,arp_op=1,arp_tpa=" + b->ip()});
  EXPECT_THAT(remote.out, HasSubstr("n_packets=0,")) << remote.out;
}

TEST_F(OverlayTest, DeletingARemotePodRemovesItsNeighborFlows) {
  auto a = cluster->addPod(0, vpc, subnet);
  auto b = cluster->addPod(1, vpc, subnet);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(canPing(*a, b->ip()));
  const std::string mac = podMac(*b);
  ASSERT_FALSE(flowsMentioning(cluster->node(0), mac).empty());
  ASSERT_TRUE(cluster->delPod(*b, vpc, subnet).ok());
  bool gone = waitFor([&] { return flowsMentioning(cluster->node(0), mac).empty(); },
                      std::chrono::seconds(10));
  EXPECT_TRUE(gone) << joinStrings(flowsMentioning(cluster->node(0), mac), "\n");
}

TEST_F(OverlayTest, DhcpClientInAPodGetsItsPortAddressFromTheAgent) {
  auto a = cluster->addPod(0, vpc, subnet);
  ASSERT_TRUE(a.ok());
  const std::string ip = a->ip();
  TempDir dir;
  const std::string script = dir.path() + "/udhcpc.sh";
  {
    std::ofstream s(script);
    s << "#!/bin/sh\n"
         "case \"$1\" in bound|renew) echo \"$ip $mask $router $mtu\" > "
      << dir.path() << "/lease;; esac\n";
  }
  run({"chmod", "+x", script});
  // The address is already configured by CNI; the lease must agree with it.
  auto r = a->ns->exec(
      {"busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-t", "5", "-T", "1", "-s", script});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto lease = run({"cat", dir.path() + "/lease"});
  EXPECT_THAT(lease.out, HasSubstr(ip + " 24 10.0.1.1")) << lease.out;
}

}  // namespace
}  // namespace alcor::testing
