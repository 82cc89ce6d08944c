// The nftables table the agent installs for its host-reachable VPCs: masquerade only traffic
// from pod CIDRs to outside every pod and service CIDR that leaves by a non-gateway interface,
// and no forwarding between two VPCs' gateways.

#include "node-agent/host/node_nat.h"

#include <gtest/gtest.h>
#include "tests/harness/addresses.h"

namespace alcor::agent {
namespace {

using netfilter::Condition;
using netfilter::Verdict;

using alcor::testing::prefix;

TEST(NodeNatTest, MasqueradesPodTrafficLeavingThePodAndServiceCidrsByTheUnderlay) {
  NodeNatOptions o;
  o.service_cidrs = {prefix("10.96.0.0/12")};
  auto t = NftablesNodeNat::tableFor(
      o, {{"alcor-gw0", {prefix("10.0.0.0/16")}}, {"alcor-gw1", {prefix("10.1.0.0/16")}}});
  EXPECT_EQ(t.name, "alcor");
  ASSERT_EQ(t.sets.size(), 4u);  // every pod CIDR, the services, then each VPC's own
  EXPECT_EQ(t.sets[2].name, "vpc-alcor-gw0");
  EXPECT_EQ(t.sets[3].prefixes, (std::vector<Ipv4Prefix>{prefix("10.1.0.0/16")}));
  EXPECT_EQ(t.sets[0].prefixes,
            (std::vector<Ipv4Prefix>{prefix("10.0.0.0/16"), prefix("10.1.0.0/16")}));
  EXPECT_EQ(t.sets[1].prefixes, o.service_cidrs);
  ASSERT_EQ(t.chains.size(), 2u);
  const auto& post = t.chains[0];
  EXPECT_EQ(post.hook, netfilter::Hook::kPostrouting);
  ASSERT_EQ(post.rules.size(), 3u);
  const auto& masq = post.rules[0];
  EXPECT_EQ(masq.verdict, Verdict::kMasquerade);
  ASSERT_EQ(masq.conditions.size(), 5u);
  EXPECT_EQ(masq.conditions[0].kind, Condition::Kind::kSourceInSet);
  EXPECT_FALSE(masq.conditions[0].negate);
  EXPECT_TRUE(masq.conditions[1].negate);  // not to a pod
  EXPECT_TRUE(masq.conditions[2].negate);  // not to a service
  EXPECT_EQ(masq.conditions[3].value, "alcor-gw0");
  EXPECT_TRUE(masq.conditions[3].negate);
  EXPECT_EQ(masq.conditions[4].value, "alcor-gw1");
  // Services DNATed into a VPC from outside it leave with the node's address in that VPC.
  const auto& into = post.rules[2];
  EXPECT_EQ(into.verdict, Verdict::kMasquerade);
  EXPECT_EQ(into.conditions[0].value, "alcor-gw1");
  EXPECT_FALSE(into.conditions[0].negate);
  EXPECT_EQ(into.conditions[1].kind, Condition::Kind::kDestinationNatted);
  EXPECT_EQ(into.conditions[2].value, "pod-cidrs");  // from a pod: outside clients keep theirs
  EXPECT_FALSE(into.conditions[2].negate);
  EXPECT_EQ(into.conditions[3].value, "vpc-alcor-gw1");
  EXPECT_TRUE(into.conditions[3].negate);
  // Isolation: one drop rule per ordered pair of gateways, for what the node did not DNAT.
  const auto& forward = t.chains[1];
  ASSERT_EQ(forward.rules.size(), 2u);
  EXPECT_EQ(forward.rules[0].verdict, Verdict::kDrop);
  EXPECT_EQ(forward.rules[0].conditions[0].value, "alcor-gw0");
  EXPECT_EQ(forward.rules[0].conditions[1].value, "alcor-gw1");
  EXPECT_EQ(forward.rules[0].conditions[2].kind, Condition::Kind::kDestinationNatted);
  EXPECT_TRUE(forward.rules[0].conditions[2].negate);
  EXPECT_TRUE(netfilter::validateTable(t).ok());
}

TEST(NodeNatTest, WithoutMasqueradeOnlyServicesIntoAVpcAreMasqueraded) {
  NodeNatOptions off;
  off.masquerade = false;
  auto t = NftablesNodeNat::tableFor(off, {{"alcor-gw0", {prefix("10.0.0.0/16")}}});
  ASSERT_EQ(t.chains[0].rules.size(), 1u);  // only the DNAT-into-a-VPC rule
  EXPECT_EQ(t.chains[0].rules[0].conditions[1].kind, Condition::Kind::kDestinationNatted);
  EXPECT_TRUE(t.chains[1].rules.empty());  // one VPC: nothing to isolate
  auto none = NftablesNodeNat::tableFor(NodeNatOptions{}, {});
  EXPECT_TRUE(none.chains[0].rules.empty());
  EXPECT_TRUE(netfilter::validateTable(none).ok());
}

}  // namespace
}  // namespace alcor::agent
