// Issue 6: on-demand resolution end to end. Two subnets of one VPC without a router, so the
// controller does not fan the pods out to each other's node. Each pod routes the other's address
// on-link, so it ARPs for it: the ARP misses the flows, the agent asks the controller
// (RequestGoalStates, ON_DEMAND), the controller pushes the neighbor, the agent re-injects the
// ARP and the flows answer it; from then on the pods talk over the overlay.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "lib/base/strings.h"
#include "tests/e2e/two_subnet_fixture.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

using OnDemandTest = TwoSubnetTest;

TEST_F(OnDemandTest, AnUnknownDestinationIsResolvedOnDemandThenReachable) {
  auto a = cluster->addPod(0, vpc, subnet_a);
  auto b = cluster->addPod(1, vpc, subnet_b);
  ASSERT_TRUE(a.ok() && b.ok()) << a.status().message() << b.status().message();
  // Not pushed beforehand: node 0 knows nothing of b.
  const std::string b_mac = podMac(*b);
  ASSERT_THAT(flowsMentioning(cluster->node(0), b_mac), IsEmpty());
  ASSERT_TRUE(a->ns->exec({"ip", "route", "add", b->ip() + "/32", "dev", "eth0"}).ok());
  ASSERT_TRUE(b->ns->exec({"ip", "route", "add", a->ip() + "/32", "dev", "eth0"}).ok());

  // The first ARP is answered once the state arrived (the punted request is re-injected).
  auto arp = a->ns->exec({"busybox", "arping", "-c", "1", "-w", "3", "-I", "eth0", b->ip()});
  EXPECT_TRUE(arp.ok()) << arp.describe();
  EXPECT_THAT(toLower(arp.out), HasSubstr(b_mac));
  EXPECT_FALSE(flowsMentioning(cluster->node(0), b_mac).empty());
  // From now on the flows answer: the responder flow for b counts the next request.
  auto again = a->ns->exec({"busybox", "arping", "-c", "1", "-w", "2", "-I", "eth0", b->ip()});
  EXPECT_TRUE(again.ok()) << again.describe();
  auto responder = cluster->node(0).ovs->ofctl(
      {"dump-flows", "br-int", "table=20,arp,arp_op=1,arp_tpa=" + b->ip()});
  EXPECT_THAT(responder.out, HasSubstr("n_packets=2,")) << responder.out;

  // Traffic both ways (node 1 resolves a on demand when b answers).
  EXPECT_TRUE(waitFor([&] { return canPing(*a, b->ip(), 1); }, std::chrono::seconds(10)));
  EXPECT_TRUE(canPing(*b, a->ip(), 2));
  EXPECT_TRUE(tcpWorks(*a, *b));
}

TEST_F(OnDemandTest, AnAddressNobodyHasStaysUnresolved) {
  auto a = cluster->addPod(0, vpc, subnet_a);
  ASSERT_TRUE(a.ok());
  auto arp = a->ns->exec({"busybox", "arping", "-c", "2", "-w", "2", "-I", "eth0", "10.0.1.200"});
  EXPECT_FALSE(arp.ok()) << arp.describe();
  EXPECT_THAT(flowsMentioning(cluster->node(0), "10.0.1.200"), IsEmpty());
}

}  // namespace
}  // namespace alcor::testing
