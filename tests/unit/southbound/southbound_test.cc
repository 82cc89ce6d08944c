// Subject naming, the permissions of each side, and gap detection on subnet subjects.

#include <gtest/gtest.h>

#include "lib/nats/message_bus.h"
#include "lib/southbound/sequence_tracker.h"
#include "lib/southbound/subjects.h"

namespace alcor::southbound {
namespace {

using Verdict = SequenceTracker::Verdict;

TEST(SouthboundSubjectsTest, Names) {
  EXPECT_EQ(hostSubject("10.200.0.11"), "alcor.gs.host.10-200-0-11");
  EXPECT_EQ(agentSubject("10.200.0.11"), "alcor.gs.agent.10-200-0-11");
  EXPECT_EQ(hostOfAgentSubject("alcor.gs.agent.10-200-0-11"), "10.200.0.11");
  EXPECT_EQ(hostOfAgentSubject("alcor.gs.host.10-200-0-11"), "");
  EXPECT_EQ(hostOfAgentSubject("alcor.gs.agent.10.200"), "");
  EXPECT_EQ(subnetSubject("vpc1", "0b7c6d1e-1111-2222-3333-444455556666"),
            "alcor.gs.subnet.vpc1.0b7c6d1e-1111-2222-3333-444455556666");
  // An id that is not one token names no subject (it would reach other subjects' subscribers).
  EXPECT_EQ(subnetSubject("vpc.1", "s1"), "");
  EXPECT_EQ(subnetSubject("vpc1", "*"), "");
  EXPECT_EQ(subnetSubject("", "s1"), "");
  auto parsed = parseSubnetSubject(subnetSubject("vpc1", "s-1"));
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->vpc, "vpc1");
  EXPECT_EQ(parsed->subnet, "s-1");
  EXPECT_FALSE(parseSubnetSubject("alcor.gs.subnet.s1").has_value());
  EXPECT_FALSE(parseSubnetSubject("alcor.gs.subnet.vpc1.s1.extra").has_value());
  EXPECT_FALSE(parseSubnetSubject("alcor.gs.host.vpc1.s1").has_value());
  EXPECT_FALSE(parseSubnetSubject("alcor.gs.subnet.vpc1.*").has_value());
  for (const auto& s :
       {hostSubject("10.0.0.1"), agentSubject("10.0.0.1"), subnetSubject("v", "s")}) {
    EXPECT_TRUE(nats::validSubject(s)) << s;
  }
}

TEST(SouthboundSubjectsTest, AgentsReadOnlyTheirHostAndSubnetsAndSpeakOnlyForThemselves) {
  Permissions a = agentPermissions("10.0.0.1");
  auto may = [](const std::vector<std::string>& patterns, const std::string& subject) {
    for (const auto& p : patterns) {
      if (nats::subjectMatches(p, subject)) return true;
    }
    return false;
  };
  EXPECT_TRUE(may(a.subscribe, hostSubject("10.0.0.1")));
  EXPECT_FALSE(may(a.subscribe, hostSubject("10.0.0.2")));
  EXPECT_TRUE(may(a.subscribe, subnetSubject("v", "s")));
  EXPECT_FALSE(may(a.subscribe, agentSubject("10.0.0.2")));
  EXPECT_TRUE(may(a.publish, agentSubject("10.0.0.1")));
  EXPECT_FALSE(may(a.publish, agentSubject("10.0.0.2")));
  EXPECT_FALSE(may(a.publish, hostSubject("10.0.0.2")));
  EXPECT_FALSE(may(a.publish, subnetSubject("v", "s")));
  EXPECT_TRUE(a.allow_responses);
  Permissions c = controllerPermissions();
  EXPECT_TRUE(may(c.publish, hostSubject("10.0.0.2")));
  EXPECT_TRUE(may(c.publish, subnetSubject("v", "s")));
  EXPECT_TRUE(may(c.subscribe, agentSubject("10.0.0.2")));
  EXPECT_FALSE(may(c.subscribe, hostSubject("10.0.0.2")));
}

TEST(SequenceTrackerTest, NextMessagesApplyRepeatsAreStaleAJumpIsAGap) {
  SequenceTracker t;
  EXPECT_EQ(t.observe("s", "e1", 5), Verdict::kApply);  // the first one seen is the start
  EXPECT_EQ(t.observe("s", "e1", 6), Verdict::kApply);
  EXPECT_EQ(t.observe("s", "e1", 6), Verdict::kStale);
  EXPECT_EQ(t.observe("s", "e1", 4), Verdict::kStale);
  EXPECT_EQ(t.observe("s", "e1", 8), Verdict::kGap);  // 7 was lost
  EXPECT_EQ(t.gaps(), 1u);
  EXPECT_EQ(t.observe("s", "e1", 9), Verdict::kApply);      // counting goes on from the gap
  EXPECT_EQ(t.observe("other", "e1", 1), Verdict::kApply);  // subjects are independent
}

TEST(SequenceTrackerTest, BaselineSaysWhereTheHostIsCountedFrom) {
  SequenceTracker t;
  t.baseline("s", "e1", 10);
  EXPECT_EQ(t.observe("s", "e1", 10), Verdict::kStale);  // before the host was counted
  EXPECT_EQ(t.observe("s", "e1", 12), Verdict::kGap);    // 11 was for it and is lost
  SequenceTracker u;
  u.baseline("s", "e1", 10);
  EXPECT_EQ(u.observe("s", "e1", 11), Verdict::kApply);
  // A new baseline (the host is counted again after a resync) replaces what was seen.
  EXPECT_EQ(u.observe("s", "e1", 90), Verdict::kGap);
  u.baseline("s", "e1", 20);
  EXPECT_EQ(u.observe("s", "e1", 21), Verdict::kApply);
}

TEST(SequenceTrackerTest, ANewEpochIsAGapForgetAndResetStartAfresh) {
  SequenceTracker t;
  EXPECT_EQ(t.observe("s", "e1", 1), Verdict::kApply);
  EXPECT_EQ(t.observe("s", "e2", 1), Verdict::kGap);  // the controller restarted
  EXPECT_EQ(t.observe("s", "e2", 2), Verdict::kApply);
  t.forget("s");
  EXPECT_EQ(t.observe("s", "e2", 9), Verdict::kApply);
  t.reset();
  EXPECT_EQ(t.observe("s", "e2", 20), Verdict::kApply);
}

}  // namespace
}  // namespace alcor::southbound
