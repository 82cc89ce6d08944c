// Golden tests for security group rules → flows (docs/design/security-groups.md): conntrack entry
// per port, conjunctive clauses shared across ports and members, masked port ranges, marks.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <iterator>

#include "node-agent/pipeline/flow_builder.h"
#include "node-agent/pipeline/security_group_flows.h"
#include "tests/unit/agent/test_state.h"

namespace alcor::agent::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace alcor::agent::testing;

std::vector<std::string> tableLines(const DesiredFlows& d, uint8_t table) {
  std::vector<std::string> out;
  for (const auto& f : d.flows) {
    if (f.table == table) out.push_back(openflow::formatFlow(f));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> grep(const std::vector<std::string>& lines, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    if (l.find(needle) != std::string::npos) out.push_back(l);
  }
  return out;
}

// Replaces conjunction ids and marks (hashes) by names and strips cookies, so goldens read well.
struct Names {
  explicit Names(const DesiredFlows& d) {
    for (const auto& f : d.flows) learn(openflow::formatFlow(f));
  }
  void learn(const std::string& l) {
    // The conj_id flow names the set's id and commits its mark ("set_field:0x..->ct_mark").
    auto at = l.find("conj_id=");
    auto mark_at = l.find("set_field:");
    if (at == std::string::npos || mark_at == std::string::npos) return;
    const std::string id = l.substr(at + 8, l.find_first_of(", ", at) - at - 8);
    const std::string mark = l.substr(mark_at + 10, l.find("->ct_mark") - mark_at - 10);
    const std::string name = l.find("table=61") != std::string::npos ? "IN" : "OUT";
    names.push_back({id, name});
    names.push_back({mark, "MARK_" + name});
  }
  std::vector<std::string> normalize(std::vector<std::string> lines) const {
    for (auto& l : lines) {
      l = l.substr(l.find("table="));
      for (const auto& [from, to] : names) {
        for (size_t p; (p = l.find(from)) != std::string::npos;) l.replace(p, from.size(), to);
      }
    }
    std::sort(lines.begin(), lines.end());
    return lines;
  }
  std::vector<std::pair<std::string, std::string>> names;
};

SecurityGroupRule rule(const std::string& id, Direction d, IpProtocol proto, uint16_t min = 0,
                       uint16_t max = 0, const char* prefix = nullptr,
                       const std::string& remote_group = "") {
  SecurityGroupRule r;
  r.id = id;
  r.direction = d;
  r.protocol = proto;
  r.port_min = min;
  r.port_max = max;
  if (prefix) r.remote_prefix = *Ipv4Prefix::parse(prefix);
  r.remote_group_id = remote_group;
  return r;
}

class SecurityGroupFlowsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    addVpc(state);
    addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
    addPort(state, "p2", "vpc-a", "10.1.0.6", "fa:16:3e:00:00:06", 8);
  }
  DesiredFlows build() {
    EXPECT_TRUE(segments.sync(state.localVnis()).ok());
    return buildFlows(state, segments, config);
  }
  void group(const std::string& id, std::vector<SecurityGroupRule> rules,
             std::vector<const char*> members = {}) {
    SecurityGroup g;
    g.id = id;
    g.vpc_id = "vpc-a";
    g.rules = std::move(rules);
    for (const char* m : members) g.member_ips.push_back(*Ipv4Prefix::parse(m));
    state.security_groups[id] = g;
  }
  NetworkState state;
  SegmentAllocator segments;
  PipelineConfig config{100};
};

TEST(PortRangeMasks, CoversExactlyWithFewestBlocks) {
  using M = openflow::Masked<uint16_t>;
  EXPECT_THAT(portRangeMasks(80, 80), ElementsAre(M(80)));
  EXPECT_THAT(portRangeMasks(1000, 1999),
              ElementsAre(M(1000, 0xfff8), M(1008, 0xfff0), M(1024, 0xfe00), M(1536, 0xff00),
                          M(1792, 0xff80), M(1920, 0xffc0), M(1984, 0xfff0)));
  EXPECT_THAT(portRangeMasks(0, 65535), ElementsAre(M(0, 0)));
  EXPECT_THAT(portRangeMasks(8000, 8191), ElementsAre(M(8000, 0xffc0), M(8064, 0xff80)));
  // Every port of the range is covered and no other.
  auto blocks = portRangeMasks(1000, 1999);
  for (uint32_t p = 900; p < 2100; ++p) {
    int hits = 0;
    for (const auto& b : blocks) hits += (p & *b.mask) == b.value || (!b.mask && p == b.value);
    EXPECT_EQ(hits, (p >= 1000 && p <= 1999) ? 1 : 0) << p;
  }
}

TEST_F(SecurityGroupFlowsTest, PortWithoutGroupsIsNotFiltered) {
  auto d = build();
  EXPECT_TRUE(tableLines(d, 31).size() == 1u);  // the table miss (drop) only
  EXPECT_THAT(tableLines(d, 30), ElementsAre(HasSubstr("priority=0 actions=goto_table:35")));
}

TEST_F(SecurityGroupFlowsTest, PrefixAndPortRangeRuleGolden) {
  group("web", {rule("r1", Direction::kIngress, IpProtocol::kTcp, 8000, 8191, "10.9.0.0/16"),
                rule("r2", Direction::kEgress, IpProtocol::kAny)});
  state.ports["p1"].security_group_ids = {"web"};
  auto d = build();
  Names n(d);
  EXPECT_THAT(n.normalize(tableLines(d, 30)),
              ElementsAre("table=30, priority=0 actions=goto_table:35",
                          "table=30, priority=100,ip,reg4=0x7 "
                          "actions=ct(table=31,zone=NXM_NX_REG4[0..15])"));
  EXPECT_THAT(n.normalize(tableLines(d, 60)),
              ElementsAre("table=60, priority=0 actions=goto_table:70",
                          "table=60, priority=100,ip,reg1=0x7 "
                          "actions=ct(table=61,zone=NXM_NX_REG1[0..15])"));
  EXPECT_THAT(
      n.normalize(tableLines(d, 61)),
      ElementsAre("table=61, priority=0 actions=drop",
                  "table=61, priority=100,conj_id=IN,ip actions=ct(commit,zone=NXM_NX_REG1[0..15],"
                  "exec(set_field:MARK_IN->ct_mark)),goto_table:70",
                  "table=61, priority=100,reg1=0x7 actions=conjunction(IN,1/2)",
                  "table=61, priority=100,tcp,nw_src=10.9.0.0/16,tp_dst=0x1f40/0xffc0 "
                  "actions=conjunction(IN,2/2)",
                  "table=61, priority=100,tcp,nw_src=10.9.0.0/16,tp_dst=0x1f80/0xff80 "
                  "actions=conjunction(IN,2/2)",
                  "table=61, priority=180,ct_state=-new+rpl+trk actions=drop",
                  "table=61, priority=190,ct_state=-new+trk,ct_mark=MARK_IN actions=goto_table:70",
                  "table=61, priority=190,ct_state=-new+trk,ct_mark=MARK_OUT actions=goto_table:70",
                  "table=61, priority=200,ct_state=+inv+trk actions=drop"));
  EXPECT_THAT(
      n.normalize(tableLines(d, 31)),
      ElementsAre("table=31, priority=0 actions=drop",
                  "table=31, priority=100,conj_id=OUT,ip actions=ct(commit,zone=NXM_NX_REG4[0..15],"
                  "exec(set_field:MARK_OUT->ct_mark)),goto_table:35",
                  "table=31, priority=100,ip actions=conjunction(OUT,2/2)",
                  "table=31, priority=100,reg4=0x7 actions=conjunction(OUT,1/2)",
                  "table=31, priority=180,ct_state=-new+rpl+trk actions=drop",
                  "table=31, priority=190,ct_state=-new+trk,ct_mark=MARK_IN actions=goto_table:35",
                  "table=31, priority=190,ct_state=-new+trk,ct_mark=MARK_OUT actions=goto_table:35",
                  "table=31, priority=200,ct_state=+inv+trk actions=drop"));
}

TEST_F(SecurityGroupFlowsTest, ServiceTrafficIsCheckedOnTheBackendAfterTheNodesDnat) {
  // With Kubernetes Service CIDRs, a pod's new connection to a Service passes egress (deferred
  // mark) and comes back from the node with the backend's address: then the pod's egress rules
  // check it in the pod's zone (docs/design/network-policy.md).
  group("web", {rule("r1", Direction::kEgress, IpProtocol::kTcp, 80, 80, "10.1.0.6/32")});
  state.ports["p1"].security_group_ids = {"web"};
  config.service_cidrs = {*Ipv4Prefix::parse("10.96.0.0/12")};
  auto d = build();
  auto out = tableLines(d, 31);
  EXPECT_THAT(
      grep(out, "priority=150"),
      ElementsAre(HasSubstr("priority=150,ct_state=+new+trk,ip,reg0=0x1/0xf,nw_dst=10.96.0.0/12 "
                            "actions=ct(commit,zone=NXM_NX_REG4[0..15],exec(set_field:0x80000002->"
                            "ct_mark)),goto_table:35")));
  EXPECT_EQ(grep(out, "ct_mark=0x80000002 actions=goto_table:35").size(), 1u);
  EXPECT_EQ(grep(tableLines(d, 61), "ct_mark=0x80000002 actions=goto_table:70").size(), 1u);
  auto track = grep(tableLines(d, 30), "priority=110");
  ASSERT_EQ(track.size(), 1u);
  EXPECT_THAT(track[0], HasSubstr("ip,reg0=0x4/0xf,reg3=0x1/0xfff,nw_src=10.1.0.5 "
                                  "actions=set_field:0x7->reg4,"
                                  "ct(table=31,zone=NXM_NX_REG4[0..15])"));
  // Without Service CIDRs nothing of this exists (plain Alcor security groups).
  config.service_cidrs.clear();
  auto plain = build();
  EXPECT_TRUE(grep(tableLines(plain, 31), "0x80000002").empty());
  EXPECT_TRUE(grep(tableLines(plain, 30), "priority=110").empty());
}

TEST_F(SecurityGroupFlowsTest, RemoteGroupIsAThreeClauseConjunctionWithSharedMembers) {
  // Two groups name "db" as remote group; both ports are filtered. Members come from the
  // controller's list plus local member ports (p2 is in "db").
  group("web", {rule("w1", Direction::kIngress, IpProtocol::kTcp, 80, 80, nullptr, "db"),
                rule("w2", Direction::kIngress, IpProtocol::kUdp, 53, 53, nullptr, "db")});
  group("app", {rule("a1", Direction::kIngress, IpProtocol::kIcmp, 0, 0, nullptr, "db")});
  group("db", {rule("d1", Direction::kEgress, IpProtocol::kAny)}, {"10.1.7.1/32", "10.1.8.0/24"});
  state.ports["p1"].security_group_ids = {"web", "app"};
  state.ports["p2"].security_group_ids = {"db"};
  auto d = build();
  auto in = tableLines(d, 61);
  // One flow per member address, carrying the member clause of both groups' conjunctions.
  auto members = grep(in, "conjunction(");
  EXPECT_EQ(grep(members, "nw_src=10.1.7.1 ").size(), 1u);
  EXPECT_EQ(grep(members, "nw_src=10.1.8.0/24 ").size(), 1u);
  EXPECT_EQ(grep(members, "nw_src=10.1.0.6 ").size(), 1u);  // local member p2
  for (const auto& l : grep(in, "nw_src=10.1.")) EXPECT_THAT(l, HasSubstr("3/3),conjunction("));
  // The port clause names both conjunctions; each rule is one clause flow.
  auto port = grep(in, "reg1=0x7 actions");
  ASSERT_EQ(port.size(), 1u);
  EXPECT_THAT(port[0], HasSubstr("1/3),conjunction("));
  EXPECT_EQ(grep(in, "tcp,tp_dst=80 ").size(), 1u);
  EXPECT_EQ(grep(in, "udp,tp_dst=53 ").size(), 1u);
  EXPECT_EQ(grep(in, "icmp actions").size(), 1u);
  EXPECT_EQ(grep(in, "conj_id=").size(), 2u);
  // p2 (db) only has an egress rule: ingress to it is tracked but allows nothing.
  EXPECT_TRUE(grep(in, "reg1=0x8 actions").empty());
  EXPECT_EQ(grep(tableLines(d, 60), "reg1=0x8 ").size(), 1u);
}

TEST_F(SecurityGroupFlowsTest, FlowsGrowAdditively) {
  // 50 rules × 20 members on 2 ports: clauses add up (ports + rules + members), no product.
  std::vector<SecurityGroupRule> rules;
  for (int i = 0; i < 50; ++i) {
    rules.push_back(rule("r" + std::to_string(i), Direction::kIngress, IpProtocol::kTcp,
                         static_cast<uint16_t>(1000 + i), static_cast<uint16_t>(1000 + i), nullptr,
                         "peers"));
  }
  group("web", rules);
  std::vector<std::string> texts;
  for (int i = 0; i < 20; ++i) texts.push_back("10.2.0." + std::to_string(i + 1) + "/32");
  std::vector<const char*> members;
  for (const auto& t : texts) members.push_back(t.c_str());
  group("peers", {}, members);
  state.ports["p1"].security_group_ids = {"web"};
  state.ports["p2"].security_group_ids = {"web"};
  auto in = tableLines(build(), 61);
  // 2 port clauses + 50 rule clauses + 20 member clauses + conj_id + marks/statics.
  EXPECT_LT(in.size(), 2u + 50u + 20u + 10u);
}

TEST_F(SecurityGroupFlowsTest, ChangingARuleChangesOnlyItsSetsMark) {
  group("web", {rule("r1", Direction::kIngress, IpProtocol::kTcp, 80, 80),
                rule("r2", Direction::kEgress, IpProtocol::kAny)});
  state.ports["p1"].security_group_ids = {"web"};
  const DesiredFlows d_before = build();
  auto before = tableLines(d_before, 31);
  state.security_groups["web"].rules.push_back(rule("r3", Direction::kIngress, IpProtocol::kUdp));
  const DesiredFlows d_after = build();
  auto after = tableLines(d_after, 31);
  // The ingress set keeps its conj id: its port clause flow is not rewritten.
  EXPECT_EQ(grep(tableLines(d_before, 61), "reg1="), grep(tableLines(d_after, 61), "reg1="));
  // The egress set (and its mark) did not change: egress connections are untouched.
  EXPECT_EQ(grep(before, "conj_id="), grep(after, "conj_id="));
  auto in_before = grep(before, "ct_mark=");
  auto in_after = grep(after, "ct_mark=");
  std::vector<std::string> common;
  std::set_intersection(in_before.begin(), in_before.end(), in_after.begin(), in_after.end(),
                        std::back_inserter(common));
  EXPECT_EQ(common.size(), 1u);  // the egress mark stays, the ingress mark changed
}

TEST_F(SecurityGroupFlowsTest, MissingGroupAllowsNothingAndIpv6RulesAreIgnored) {
  SecurityGroupRule v6 = rule("r6", Direction::kIngress, IpProtocol::kTcp);
  v6.ipv6 = true;
  group("v6only", {v6});
  state.ports["p1"].security_group_ids = {"unknown", "v6only"};
  auto d = build();
  EXPECT_EQ(grep(tableLines(d, 60), "reg1=0x7").size(), 1u);  // tracked
  EXPECT_TRUE(grep(tableLines(d, 61), "conj").empty());       // nothing allowed
}

TEST_F(SecurityGroupFlowsTest, PortSecurityDisabledSkipsSpoofGuardAndGroups) {
  group("web", {rule("r1", Direction::kIngress, IpProtocol::kTcp, 80, 80)});
  state.ports["p1"].security_group_ids = {"web"};
  state.ports["p1"].port_security_enabled = false;
  auto d = build();
  auto guard = grep(tableLines(d, 10), "in_port=7");
  ASSERT_EQ(guard.size(), 1u);
  EXPECT_THAT(guard[0], HasSubstr("priority=100,in_port=7 actions=goto_table:20"));
  EXPECT_TRUE(grep(tableLines(d, 60), "reg1=0x7").empty());
  // p2 keeps its anti-spoofing flows (MAC + IP, ARP with sha).
  EXPECT_EQ(grep(tableLines(d, 10), "in_port=8").size(), 3u);
}

TEST_F(SecurityGroupFlowsTest, AllowedAddressPairArpMustCarryItsMac) {
  state.ports["p1"].allowed_address_pairs = {
      AddressPair{*Ipv4Prefix::parse("10.1.0.100/32"), mac("fa:16:3e:00:00:99")}};
  auto guard = tableLines(build(), 10);
  auto arp = grep(guard, "arp_spa=10.1.0.100");
  ASSERT_EQ(arp.size(), 1u);
  EXPECT_THAT(arp[0], HasSubstr("arp_sha=fa:16:3e:00:00:99"));
}

}  // namespace
}  // namespace alcor::agent::pipeline
