// The NetworkPolicy semantics matrix of issue 15, one case per rule of networking.k8s.io/v1,
// against the in-memory model (netpol_fixture.h): objects → reconciler → groups and port
// memberships → the security-group decision. What only the data path decides (the node's own
// connections, replies through conntrack) is in tests/e2e/network_policy_test.cc.

#include "tests/unit/controller/netpol_fixture.h"

namespace alcor::controller::netpol {
namespace {

class NetpolSemanticsTest : public NetpolTest {
 protected:
  void SetUp() override {
    ns("x", {{"team", "a"}});
    ns("y", {{"team", "b"}});
    ns("z");
    for (const char* n : {"x", "y", "z"}) {
      for (const char* p : {"a", "b"}) pod(n, p, {{"pod", p}});
    }
  }
};

TEST_F(NetpolSemanticsTest, WithoutPoliciesEveryPodReachesEveryPod) {
  EXPECT_TRUE(allowed("x/a", "y/b"));
  EXPECT_TRUE(allowed("z/b", "x/a", "udp", 53));
  EXPECT_TRUE(writer.groups().empty());
}

TEST_F(NetpolSemanticsTest, APodIsIsolatedForIngressOnlyWhenAPolicySelectsItForIngress) {
  policy("x", "deny-ingress", R"({"podSelector": {"matchLabels": {"pod": "a"}}})");
  EXPECT_FALSE(allowed("y/a", "x/a"));
  EXPECT_FALSE(allowed("x/b", "x/a"));
  EXPECT_TRUE(allowed("y/a", "x/b")) << "x/b is not selected";
  EXPECT_TRUE(allowed("x/a", "y/a")) << "ingress isolation leaves egress open";
}

TEST_F(NetpolSemanticsTest, EgressIsolationLeavesIngressOpen) {
  policy("x", "deny-egress", R"({"podSelector": {}, "policyTypes": ["Egress"]})");
  EXPECT_FALSE(allowed("x/a", "y/a"));
  EXPECT_FALSE(allowed("x/a", "x/b"));
  EXPECT_TRUE(allowed("y/a", "x/a"));
}

TEST_F(NetpolSemanticsTest, PolicyTypesDefaultToIngressPlusEgressWhenEgressRulesExist) {
  policy("x", "both", R"({"podSelector": {"matchLabels": {"pod": "a"}},
                          "egress": [{"to": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  EXPECT_FALSE(allowed("y/a", "x/a")) << "ingress isolated, no ingress rule";
  EXPECT_TRUE(allowed("x/a", "x/b"));
  EXPECT_FALSE(allowed("x/a", "y/b")) << "egress isolated: only x/b";
  // An empty egress list does not make a policy an egress policy.
  policy("x", "both", R"({"podSelector": {"matchLabels": {"pod": "a"}}, "egress": []})");
  EXPECT_TRUE(allowed("x/a", "y/b"));
  EXPECT_FALSE(allowed("y/a", "x/a"));
}

TEST_F(NetpolSemanticsTest, PoliciesAreAdditive) {
  policy("x", "from-y", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]})");
  policy("x", "from-z", R"({"podSelector": {},
      "ingress": [{"from": [{"namespaceSelector":
                              {"matchLabels": {"kubernetes.io/metadata.name": "z"}}}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/a"));
  EXPECT_TRUE(allowed("z/a", "x/a"));
  EXPECT_FALSE(allowed("x/b", "x/a"));
  EXPECT_FALSE(allowed("y/a", "x/b")) << "only from-z selects x/b";
  EXPECT_TRUE(allowed("z/b", "x/b"));
}

TEST_F(NetpolSemanticsTest, PodSelectorPeerMeansPodsOfThePolicysNamespace) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  EXPECT_TRUE(allowed("x/b", "x/a"));
  EXPECT_FALSE(allowed("y/b", "x/a")) << "same labels, other namespace";
}

TEST_F(NetpolSemanticsTest, NamespaceSelectorPeerMeansEveryPodOfThoseNamespaces) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/a"));
  EXPECT_TRUE(allowed("y/b", "x/a"));
  EXPECT_FALSE(allowed("z/a", "x/a"));
  EXPECT_FALSE(allowed("x/b", "x/a")) << "x has no team=b";
}

TEST_F(NetpolSemanticsTest, PodAndNamespaceSelectorsInOnePeerMustBothMatch) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}},
                             "podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  EXPECT_TRUE(allowed("y/b", "x/a"));
  EXPECT_FALSE(allowed("y/a", "x/a"));
  EXPECT_FALSE(allowed("z/b", "x/a"));
}

TEST_F(NetpolSemanticsTest, SeparatePeersOfARuleAreAlternatives) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}},
                            {"podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/a"));
  EXPECT_TRUE(allowed("x/b", "x/a"));
  EXPECT_FALSE(allowed("z/b", "x/a"));
}

TEST_F(NetpolSemanticsTest, MatchExpressionsInNotInExistsDoesNotExist) {
  pod("z", "c", {{"pod", "c"}, {"tier", "web"}});
  policy("z", "p", R"({"podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
      "ingress": [{"from": [{"namespaceSelector": {"matchExpressions":
                              [{"key": "team", "operator": "In", "values": ["a", "c"]}]},
                             "podSelector": {"matchExpressions":
                              [{"key": "pod", "operator": "NotIn", "values": ["b"]},
                               {"key": "tier", "operator": "DoesNotExist"}]}}]}]})");
  EXPECT_TRUE(allowed("x/a", "z/c"));
  EXPECT_FALSE(allowed("x/b", "z/c")) << "pod NotIn (b)";
  EXPECT_FALSE(allowed("y/a", "z/c")) << "team b is not In (a, c)";
  EXPECT_TRUE(allowed("y/a", "z/a")) << "z/a has no tier: not selected";
}

TEST_F(NetpolSemanticsTest, EmptySelectorsSelectEverything) {
  policy("x", "all-from-all", R"({"podSelector": {},
      "ingress": [{"from": [{"namespaceSelector": {}}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/a"));
  EXPECT_TRUE(allowed("z/b", "x/b"));
  EXPECT_FALSE(allowed("10.9.9.9", "x/a")) << "an address outside the cluster's pods is no pod";
}

TEST_F(NetpolSemanticsTest, MissingOrEmptyFromAllowsEverySource) {
  policy("x", "missing", R"({"podSelector": {"matchLabels": {"pod": "a"}},
                             "ingress": [{"ports": [{"port": 80}]}]})");
  policy("x", "empty", R"({"podSelector": {"matchLabels": {"pod": "b"}},
                           "ingress": [{"from": [], "ports": [{"port": 80}]}]})");
  for (const char* to : {"x/a", "x/b"}) {
    EXPECT_TRUE(allowed("y/a", to, "tcp", 80)) << to;
    EXPECT_TRUE(allowed("192.0.2.7", to, "tcp", 80)) << to;
    EXPECT_FALSE(allowed("y/a", to, "tcp", 81)) << to;
  }
}

TEST_F(NetpolSemanticsTest, MissingOrEmptyPortsAllowEveryPortAndProtocol) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"podSelector": {}}]}, {"from": [{"podSelector": {}}], "ports": []}]})");
  EXPECT_TRUE(allowed("x/b", "x/a", "tcp", 8080));
  EXPECT_TRUE(allowed("x/b", "x/a", "udp", 53));
  EXPECT_TRUE(allowed("x/b", "x/a", "icmp", 0));
}

TEST_F(NetpolSemanticsTest, EmptyIngressListDeniesAllIngress) {
  policy("x", "p", R"({"podSelector": {}, "policyTypes": ["Ingress"], "ingress": []})");
  EXPECT_FALSE(allowed("x/b", "x/a"));
  EXPECT_FALSE(allowed("x/a", "x/a", "udp", 53));
}

TEST_F(NetpolSemanticsTest, EmptyRuleAllowsEverything) {
  policy("x", "p", R"({"podSelector": {}, "ingress": [{}], "egress": [{}],
                       "policyTypes": ["Ingress", "Egress"]})");
  EXPECT_TRUE(allowed("y/a", "x/a", "udp", 9));
  EXPECT_TRUE(allowed("x/a", "203.0.113.1", "tcp", 443));
}

TEST_F(NetpolSemanticsTest, PortsMatchProtocolAndNumberAndProtocolDefaultsToTcp) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"ports": [{"port": 80}, {"protocol": "UDP", "port": 53}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/a", "tcp", 80));
  EXPECT_FALSE(allowed("y/a", "x/a", "udp", 80)) << "port 80 is TCP by default";
  EXPECT_TRUE(allowed("y/a", "x/a", "udp", 53));
  EXPECT_FALSE(allowed("y/a", "x/a", "tcp", 53));
}

TEST_F(NetpolSemanticsTest, AProtocolWithoutPortMeansEveryPortOfIt) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
                       "ingress": [{"ports": [{"protocol": "UDP"}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/a", "udp", 1));
  EXPECT_TRUE(allowed("y/a", "x/a", "udp", 65535));
  EXPECT_FALSE(allowed("y/a", "x/a", "tcp", 80));
}

TEST_F(NetpolSemanticsTest, EndPortAllowsTheWholeRange) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
                       "ingress": [{"ports": [{"port": 8000, "endPort": 8099}]}]})");
  EXPECT_FALSE(allowed("y/a", "x/a", "tcp", 7999));
  EXPECT_TRUE(allowed("y/a", "x/a", "tcp", 8000));
  EXPECT_TRUE(allowed("y/a", "x/a", "tcp", 8099));
  EXPECT_FALSE(allowed("y/a", "x/a", "tcp", 8100));
}

TEST_F(NetpolSemanticsTest, SctpIsNeverTakenForTcpAndIsReported) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
                       "ingress": [{"ports": [{"protocol": "SCTP", "port": 80}]}]})");
  EXPECT_FALSE(allowed("y/a", "x/a", "tcp", 80));
  EXPECT_FALSE(allowed("y/a", "x/a", "udp", 80));
  ASSERT_TRUE(status.last.count("x/p"));
  EXPECT_EQ(status.last["x/p"].realization, Realization::kPartial);
  EXPECT_NE(status.last["x/p"].problems.at(0).find("SCTP"), std::string::npos);
}

TEST_F(NetpolSemanticsTest, IpBlockAllowsTheCidrMinusItsExceptions) {
  const std::string xb = ip("x/b");  // 10.0.0.11
  policy("y", "p",
         R"({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
      "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/24", "except": [")" +
             xb + R"(/32"]}}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/a"));
  EXPECT_FALSE(allowed("y/a", "x/b")) << "the exception";
  EXPECT_TRUE(allowed("y/a", "10.0.0.200"));
  EXPECT_FALSE(allowed("y/a", "10.0.1.1")) << "outside the block";
  // Another policy allowing the excepted address wins (policies add up).
  policy("y", "q",
         R"({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
      "egress": [{"to": [{"ipBlock": {"cidr": ")" +
             xb + R"(/32"}}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/b"));
}

TEST_F(NetpolSemanticsTest, IpBlockAppliesToIngressSources) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"ipBlock": {"cidr": "192.0.2.0/24", "except": ["192.0.2.128/25"]}}]}]})");
  EXPECT_TRUE(allowed("192.0.2.1", "x/a"));
  EXPECT_FALSE(allowed("192.0.2.200", "x/a"));
  EXPECT_FALSE(allowed("y/a", "x/a"));
}

TEST_F(NetpolSemanticsTest, NamedIngressPortsResolvePerSelectedPod) {
  pod("z", "web1", {{"app", "web"}}, parse(R"([{"name": "http", "containerPort": 8080}])"));
  pod("z", "web2", {{"app", "web"}}, parse(R"([{"name": "http", "containerPort": 9090}])"));
  pod("z", "web3", {{"app", "web"}}, parse(R"([{"name": "http", "containerPort": 7070,
                                                  "protocol": "UDP"}])"));
  policy("z", "p", R"({"podSelector": {"matchLabels": {"app": "web"}},
                       "ingress": [{"ports": [{"port": "http"}]}]})");
  EXPECT_TRUE(allowed("x/a", "z/web1", "tcp", 8080));
  EXPECT_FALSE(allowed("x/a", "z/web1", "tcp", 9090));
  EXPECT_TRUE(allowed("x/a", "z/web2", "tcp", 9090));
  EXPECT_FALSE(allowed("x/a", "z/web2", "tcp", 8080));
  EXPECT_FALSE(allowed("x/a", "z/web3", "udp", 7070)) << "the name is UDP there; the rule TCP";
  EXPECT_FALSE(allowed("x/a", "z/web3", "tcp", 7070));
}

TEST_F(NetpolSemanticsTest, NamedEgressPortsResolveOnTheDestinationPod) {
  pod("y", "dns", {{"app", "dns"}},
      parse(R"([{"name": "dns", "containerPort": 5353, "protocol": "UDP"}])"));
  pod("y", "web", {{"app", "web"}}, parse(R"([{"name": "dns", "containerPort": 80}])"));
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
                       "egress": [{"ports": [{"port": "dns", "protocol": "UDP"}]}]})");
  EXPECT_TRUE(allowed("x/a", "y/dns", "udp", 5353));
  EXPECT_FALSE(allowed("x/a", "y/dns", "udp", 53));
  EXPECT_FALSE(allowed("x/a", "y/web", "udp", 5353)) << "5353 is not y/web's dns port";
  EXPECT_FALSE(allowed("x/a", "y/web", "tcp", 80)) << "y/web's dns port is TCP";
}

TEST_F(NetpolSemanticsTest, APodLabelChangeMovesItInAndOutOfSelections) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"podSelector": {"matchLabels": {"role": "client"}},
                             "namespaceSelector": {}}]}]})");
  EXPECT_FALSE(allowed("y/b", "x/a"));
  relabelPod("y/b", {{"pod", "b"}, {"role", "client"}});
  EXPECT_TRUE(allowed("y/b", "x/a")) << "y/b became a peer";
  relabelPod("x/a", {{"pod", "other"}});
  EXPECT_TRUE(allowed("z/a", "x/a")) << "x/a is no longer selected";
}

TEST_F(NetpolSemanticsTest, ANamespaceLabelChangeMovesItsPodsInAndOut) {
  policy("x", "p", R"({"podSelector": {},
      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"trusted": "yes"}}}]}]})");
  EXPECT_FALSE(allowed("z/a", "x/a"));
  ns("z", {{"trusted", "yes"}});
  EXPECT_TRUE(allowed("z/a", "x/a"));
  ns("z");
  EXPECT_FALSE(allowed("z/a", "x/a"));
}

TEST_F(NetpolSemanticsTest, APodsNewAddressIsAllowedAndItsOldOneIsNot) {
  policy("x", "from-y-b", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}},
                             "podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  const std::string old_ip = ip("y/b");
  EXPECT_TRUE(allowed("y/b", "x/a"));
  readdressPod("y/b", "10.0.0.99");
  EXPECT_TRUE(allowed("y/b", "x/a")) << "the peer group holds its new address";
  EXPECT_FALSE(allowed(old_ip, "x/a")) << "and no longer the old one";
  readdressPod("x/a", "10.0.0.98");
  EXPECT_FALSE(allowed("x/b", "x/a")) << "the selected pod's new port is isolated at once";
  EXPECT_TRUE(allowed("y/b", "x/a"));
}

TEST_F(NetpolSemanticsTest, APolicyUpdateReplacesItsRules) {
  policy("x", "p", R"({"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]})");
  EXPECT_TRUE(allowed("y/a", "x/a", "tcp", 80));
  policy("x", "p", R"({"podSelector": {}, "ingress": [{"ports": [{"port": 81}]}]})");
  EXPECT_FALSE(allowed("y/a", "x/a", "tcp", 80));
  EXPECT_TRUE(allowed("y/a", "x/a", "tcp", 81));
}

TEST_F(NetpolSemanticsTest, DeletingThePolicyEndsTheIsolation) {
  policy("x", "p", R"({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})");
  EXPECT_FALSE(allowed("x/a", "x/b"));
  deletePolicy("x", "p");
  EXPECT_TRUE(allowed("x/a", "x/b"));
  EXPECT_TRUE(writer.groups().empty()) << "every group the policy needed is gone";
  EXPECT_TRUE(writer.port("port-x/a")->groups.filter.empty());
}

TEST_F(NetpolSemanticsTest, HostNetworkPodsAreNeverSelected) {
  pod("x", "host", {{"pod", "a"}}, nlohmann::json::array(), {}, /*host_network=*/true);
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}}})");
  EXPECT_FALSE(allowed("y/a", "x/a"));
  EXPECT_FALSE(reconciler.groupsForNewPort("x/host", false)) << "no policy concerns it";
  EXPECT_TRUE(reconciler.groupsForNewPort("x/a", false));
}

TEST_F(NetpolSemanticsTest, APodsOwnSecurityGroupsAndPoliciesAddUp) {
  auto id = [](const char* text) { return ResourceId::parse(text).value(); };
  SecurityGroup own{id("sg-ssh"), "default", "ssh", "", {}};
  own.rules.push_back({id("r1"),
                       "default",
                       id("sg-ssh"),
                       Direction::kIngress,
                       EtherType::kIpv4,
                       RuleProtocol::kTcp,
                       22,
                       22,
                       "",
                       {},
                       ""});
  own.rules.push_back({id("r2"),
                       "default",
                       id("sg-ssh"),
                       Direction::kEgress,
                       EtherType::kIpv4,
                       RuleProtocol::kTcp,
                       443,
                       443,
                       "",
                       {},
                       ""});
  userGroup(own);
  pod("z", "vm", {{"pod", "vm"}}, nlohmann::json::array(), {"sg-ssh"});
  EXPECT_TRUE(allowed("x/a", "z/vm", "tcp", 22));
  EXPECT_FALSE(allowed("x/a", "z/vm", "tcp", 80));
  policy("z", "p", R"({"podSelector": {"matchLabels": {"pod": "vm"}},
                       "ingress": [{"ports": [{"port": 80}]}]})");
  EXPECT_TRUE(allowed("x/a", "z/vm", "tcp", 80)) << "the policy adds port 80";
  EXPECT_TRUE(allowed("x/a", "z/vm", "tcp", 22)) << "the pod's own group still allows 22";
  EXPECT_FALSE(allowed("z/vm", "x/a", "tcp", 80)) << "egress stays its own group's";
  EXPECT_TRUE(allowed("z/vm", "x/a", "tcp", 443));
}

TEST_F(NetpolSemanticsTest, ANewPodStartsWithItsPolicyGroups) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "new"}}})");
  reconcile();
  // The pod object arrives, a pass runs, then the agent creates its port.
  reconciler.applyEvent(
      ObjectKind::kPod, "ADDED",
      {{"metadata",
        {{"name", "n"}, {"namespace", "x"}, {"uid", "x/n"}, {"labels", {{"pod", "new"}}}}}});
  reconcile();
  writer.addPort("port-x/n", "x/n");
  auto port = writer.port("port-x/n");
  ASSERT_TRUE(port);
  EXPECT_EQ(port->groups.filter.size(), 2u) << "the policy's group and allow-all egress";
}

TEST_F(NetpolSemanticsTest, AnUnparsableSelectorIsReportedAndNeverAllowsMore) {
  policy("x", "bad-peer", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"podSelector": {"matchExpressions":
                              [{"key": "k", "operator": "Near", "values": ["v"]}]}}]}]})");
  EXPECT_FALSE(allowed("x/b", "x/a")) << "the bad peer allows nothing; the pod is isolated";
  EXPECT_EQ(status.last["x/bad-peer"].realization, Realization::kPartial);
  policy("x", "bad-target", R"({"podSelector": {"matchExpressions":
                                  [{"key": "k", "operator": "Near"}]}})");
  reconcile();
  EXPECT_EQ(status.last["x/bad-target"].realization, Realization::kFailed);
  EXPECT_NE(status.last["x/bad-target"].problems.at(0).find("Near"), std::string::npos);
}

TEST_F(NetpolSemanticsTest, PoliciesAreVisibleAsGroupsNamedAfterThem) {
  policy("x", "web", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  reconcile();
  std::vector<std::string> names;
  for (const auto& [id, g] : writer.groups()) names.push_back(g.name);
  EXPECT_THAT(names, ::testing::Contains("netpol:x/web"));
  EXPECT_THAT(names, ::testing::Contains("netpol-peers: pods {pod=b} in namespace x"));
}

TEST_F(NetpolSemanticsTest, AChangeTouchesOnlyTheGroupsAndPortsItConcerns) {
  policy("x", "p", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  policy("y", "q", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"ports": [{"port": 443}]}]})");
  reconcile();
  const int applies = writer.applies();
  relabelPod("z/b", {{"pod", "b"}, {"extra", "1"}});
  reconcile();
  EXPECT_EQ(writer.applies(), applies) << "a label no selector looks at changes nothing";
  pod("x", "c", {{"pod", "b"}});  // a new peer of x/p
  reconcile();
  auto change = writer.lastChange();
  EXPECT_TRUE(change.put.empty()) << "membership is the port's, the groups stay as they are";
  EXPECT_TRUE(change.remove.empty());
  ASSERT_EQ(change.ports.size(), 1u);
  EXPECT_EQ(change.ports.begin()->first, "port-x/c");
}

}  // namespace
}  // namespace alcor::controller::netpol
