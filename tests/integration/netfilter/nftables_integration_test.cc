// NftablesImpl against the kernel, in namespaces the test creates: the table it writes is the one
// `nft` lists, the masquerade it installs rewrites real traffic, replacing and deleting are
// atomic and idempotent, and bad tables change nothing.

#include "lib/netfilter/nftables.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/harness/addresses.h"
#include "tests/harness/netns.h"
#include "tests/harness/process.h"

namespace alcor::netfilter {
namespace {

using ::testing::HasSubstr;
using testing::Netns;
using ::testing::Not;

using alcor::testing::prefix;

// client (10.9.0.2) -- router (10.9.0.1 | 10.8.0.1) -- server (10.8.0.2). The server has no
// route back to 10.9.0.0/24: the client reaches it only when the router masquerades.
class NftablesIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Netns::create("nftc");
    auto r = Netns::create("nftr");
    auto s = Netns::create("nfts");
    ASSERT_TRUE(c.ok() && r.ok() && s.ok());
    client_ = std::move(*c);
    router_ = std::move(*r);
    server_ = std::move(*s);
    ASSERT_TRUE(testing::addVethPair(router_->name(), "r-in", client_->name(), "eth0").ok());
    ASSERT_TRUE(testing::addVethPair(router_->name(), "r-out", server_->name(), "eth0").ok());
    ASSERT_TRUE(client_
                    ->shell("ip addr add 10.9.0.2/24 dev eth0 && "
                            "ip route add default via 10.9.0.1")
                    .ok());
    ASSERT_TRUE(server_->shell("ip addr add 10.8.0.2/24 dev eth0").ok());
    ASSERT_TRUE(router_
                    ->shell("ip addr add 10.9.0.1/24 dev r-in && ip addr add 10.8.0.1/24 dev "
                            "r-out && echo 1 > /proc/sys/net/ipv4/ip_forward")
                    .ok());
  }

  bool clientReachesServer() {
    return client_->exec({"ping", "-c", "1", "-W", "1", "10.8.0.2"}).ok();
  }

  Table masqueradeTable(std::vector<Ipv4Prefix> pods) {
    Table t;
    t.name = "alcor-test";
    t.sets = {{"pods", std::move(pods)}, {"services", {prefix("10.96.0.0/12")}}};
    Chain post{"postrouting", ChainType::kNat, Hook::kPostrouting, 100, {}};
    post.rules.push_back({{{Condition::Kind::kSourceInSet, "pods", false},
                           {Condition::Kind::kDestinationInSet, "pods", true},
                           {Condition::Kind::kDestinationInSet, "services", true},
                           {Condition::Kind::kOutputInterface, "r-in*", true}},
                          Verdict::kMasquerade});
    Chain forward{"forward", ChainType::kFilter, Hook::kForward, 0, {}};
    forward.rules.push_back({{{Condition::Kind::kInputInterface, "r-out", false},
                              {Condition::Kind::kOutputInterface, "r-in", false},
                              {Condition::Kind::kSourceInSet, "pods", false},
                              {Condition::Kind::kDestinationNatted, "", true}},
                             Verdict::kDrop});
    t.chains = {post, forward};
    return t;
  }

  std::unique_ptr<Netns> client_, router_, server_;
};

TEST_F(NftablesIntegrationTest, MasqueradesWhatTheTableSaysAndListsAsNftWouldWriteIt) {
  EXPECT_FALSE(clientReachesServer());  // no route back without NAT
  NftablesImpl nft(router_->name());
  ASSERT_TRUE(
      nft.replaceTable(masqueradeTable({prefix("10.9.0.0/24"), prefix("10.7.0.0/16")})).ok());
  auto listed = router_->exec({"nft", "list", "table", "ip", "alcor-test"});
  ASSERT_TRUE(listed.ok()) << listed.describe();
  EXPECT_THAT(listed.out, HasSubstr("10.7.0.0/16, 10.9.0.0/24"));
  EXPECT_THAT(listed.out, HasSubstr("type nat hook postrouting priority srcnat; policy accept;"));
  EXPECT_THAT(listed.out, HasSubstr("ip saddr @pods ip daddr != @pods ip daddr != @services "
                                    "oifname != \"r-in*\""));
  EXPECT_THAT(listed.out, HasSubstr("masquerade"));
  EXPECT_THAT(listed.out,
              HasSubstr("iifname \"r-out\" oifname \"r-in\" ip saddr @pods ct status ! dnat"));
  EXPECT_TRUE(clientReachesServer());
  // The server saw the router's address, not the client's.
  auto conntrack = router_->exec({"conntrack", "-L", "-p", "icmp"});
  EXPECT_THAT(conntrack.out, HasSubstr("src=10.8.0.2 dst=10.8.0.1")) << conntrack.describe();

  // Replaced: the client's subnet is no longer a pod CIDR, so nothing is masqueraded.
  ASSERT_TRUE(nft.replaceTable(masqueradeTable({prefix("10.7.0.0/16")})).ok());
  listed = router_->exec({"nft", "list", "table", "ip", "alcor-test"});
  EXPECT_THAT(listed.out, Not(HasSubstr("10.9.0.0/24")));
  ASSERT_TRUE(router_->exec({"conntrack", "-F"}).ok());
  EXPECT_FALSE(clientReachesServer());

  ASSERT_TRUE(nft.deleteTable("alcor-test").ok());
  EXPECT_FALSE(router_->exec({"nft", "list", "table", "ip", "alcor-test"}).ok());
  EXPECT_TRUE(nft.deleteTable("alcor-test").ok());  // idempotent
}

TEST_F(NftablesIntegrationTest, AnEmptySetMatchesNothingAndABadTableChangesNothing) {
  NftablesImpl nft(router_->name());
  ASSERT_TRUE(nft.replaceTable(masqueradeTable({})).ok());
  EXPECT_FALSE(clientReachesServer());
  ASSERT_TRUE(nft.replaceTable(masqueradeTable({prefix("10.9.0.0/24")})).ok());
  Table bad = masqueradeTable({});
  bad.chains[0].rules[0].conditions.push_back({Condition::Kind::kSourceInSet, "nope", false});
  Status s = nft.replaceTable(bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("unknown set 'nope'"));
  auto listed = router_->exec({"nft", "list", "table", "ip", "alcor-test"});
  EXPECT_THAT(listed.out, HasSubstr("10.9.0.0/24"));  // the previous table still stands
  EXPECT_TRUE(clientReachesServer());
}

}  // namespace
}  // namespace alcor::netfilter
