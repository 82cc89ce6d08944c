// Issue 15: Kubernetes NetworkPolicy end to end on node namespaces — a real kube-apiserver and
// etcd, the controller's NetworkPolicy component watching it with the manifests' RBAC, two nodes
// with kube-proxy's iptables rules, pods plugged by the real alcor-cni as kubelet would plug the
// pod objects of the API. Like the upstream netpol suite, every case probes the whole truth
// table (each pod to each other pod, through its Service and directly) until it matches.
//
//   namespaces: x {team: a}, y {team: b}, z {}
//   pods:       x/a, y/b, z/a on node 0; x/b, y/a on node 1; labels pod=<name>; servers on
//               TCP 80 ("serve-80"), TCP 82 ("serve-82"), UDP 81 ("serve-81-udp");
//               a ClusterIP Service per pod

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <future>
#include <map>
#include <sstream>

#include "tests/e2e/kube_proxy.h"
#include "tests/e2e/traffic_util.h"

namespace alcor::testing {
namespace {

using std::chrono::seconds;

constexpr char kClusterCidr[] = "10.0.0.0/16";
const std::vector<std::string> kPods = {"x/a", "x/b", "y/a", "y/b", "z/a"};

struct PodEntry {
  Pod pod;
  std::string uid;
  std::string service_ip;
};

struct Suite {
  std::unique_ptr<Cluster> cluster;
  std::map<std::string, PodEntry> pods;
  std::vector<Daemon> servers;
  TempDir logs{"netpol-logs"};
  bool failed = false;  // the cluster did not start
};
Suite* suite = nullptr;

// Which pairs connect: "from>to" for every pair that does.
using Table = std::set<std::string>;

struct Probe {
  std::string protocol = "tcp";
  int port = 80;
  bool via_service = true;
};

std::string describe(const Probe& p) {
  return p.protocol + "/" + std::to_string(p.port) + (p.via_service ? " via Service" : " direct");
}

class NetworkPolicyTest : public ::testing::Test {
 protected:
  // The cluster is started by the first test, not in SetUpTestSuite: gtest reports a failure
  // there as every test SKIPPED, which ctest counts as not run. Missing Kubernetes binaries must
  // fail, loudly.
  void SetUp() override {
    if (!suite) {
      suite = new Suite;
      startCluster();
      suite->failed = HasFatalFailure();
      return;
    }
    ASSERT_FALSE(suite->failed) << "the cluster did not start: see the suite's first test";
  }

  static void startCluster() {
    auto c = Cluster::start(
        {.nodes = 2,
         .extra_agent_flags = {"--host-gateway-vpc=vpc-default", "--service-cidr=10.96.0.0/12"},
         .extra_controller_flags = {"--bootstrap-project=demo",
                                    "--bootstrap-vpc=vpc-default:10.0.0.0/16",
                                    "--bootstrap-subnet=subnet-default:10.0.1.0/24",
                                    "--network-policy", "--network-policy-project=demo"},
         .persistent_controller = true,
         .kube_apiserver = true});
    ASSERT_TRUE(c.ok()) << c.status().message();
    suite->cluster = std::move(*c);
    for (auto [name, labels] : std::vector<std::pair<std::string, nlohmann::json>>{
             {"x", {{"team", "a"}}}, {"y", {{"team", "b"}}}, {"z", nlohmann::json::object()}}) {
      ASSERT_TRUE(kube()
                      .apply({{"apiVersion", "v1"},
                              {"kind", "Namespace"},
                              {"metadata", {{"name", name}, {"labels", labels}}}})
                      .ok());
    }
    std::vector<Service> services;
    int n = 0;
    for (const auto& key : kPods) {
      const std::string ns = key.substr(0, 1), name = key.substr(2);
      const int node = (key == "x/b" || key == "y/a") ? 1 : 0;
      auto object = kube().create(podObject(ns, name));
      ASSERT_TRUE(object.ok()) << object.status().message();
      const std::string uid = (*object)["metadata"]["uid"];
      auto pod =
          suite->cluster->addKubernetesPod(node, "vpc-default", "subnet-default", ns, name, uid);
      ASSERT_TRUE(pod.ok()) << pod.status().message();
      const std::string service_ip = "10.96.1." + std::to_string(10 + n++);
      const std::string ip = pod->ip();
      for (auto [protocol, port] :
           std::vector<std::pair<std::string, int>>{{"tcp", 80}, {"tcp", 82}, {"udp", 81}}) {
        auto d = startEchoServer(
            pod->ns->name(), protocol, port, key,
            suite->logs.path() + "/" + ns + name + protocol + std::to_string(port) + ".log");
        ASSERT_TRUE(d.ok()) << d.status().message();
        suite->servers.push_back(std::move(*d));
      }
      services.push_back(
          {key,
           service_ip,
           {{"tcp", 80, 0, {{ip, 80}}}, {"tcp", 82, 0, {{ip, 82}}}, {"udp", 81, 0, {{ip, 81}}}}});
      suite->pods.emplace(key, PodEntry{std::move(*pod), uid, service_ip});
    }
    for (int i = 0; i < suite->cluster->size(); ++i) {
      Status s = installKubeProxyRules(*suite->cluster->node(i).ns, services, kClusterCidr);
      ASSERT_TRUE(s.ok()) << s.message();
    }
  }

  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }

  // Every case leaves no policy behind, and the cluster open again.
  void TearDown() override {
    if (!suite || suite->failed) return;
    for (const char* ns : {"x", "y", "z"})
      kube().kubectl({"-n", ns, "delete", "networkpolicy", "--all"});
    EXPECT_TRUE(expectTable(everything(), {})) << "the cluster is open again without policies";
  }

  static KubeApiServer& kube() { return *suite->cluster->kubeApiServer(); }
  static Cluster& cluster() { return *suite->cluster; }
  static const PodEntry& entry(const std::string& key) { return suite->pods.at(key); }

  static nlohmann::json podObject(const std::string& ns, const std::string& name) {
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"pod", name}}}}},
            {"spec",
             {{"containers",
               {{{"name", "c"},
                 {"image", "registry.k8s.io/e2e-test-images/agnhost:2.53"},
                 {"ports",
                  {{{"name", "serve-80"}, {"containerPort", 80}},
                   {{"name", "serve-82"}, {"containerPort", 82}},
                   {{"name", "serve-81-udp"}, {"containerPort", 81}, {"protocol", "UDP"}}}}}}}}}};
  }

  // A NetworkPolicy from its spec (JSON text).
  static void policy(const std::string& ns, const std::string& name, const std::string& spec) {
    auto s = nlohmann::json::parse(spec, nullptr, false);
    ASSERT_FALSE(s.is_discarded()) << spec;
    auto r = kube().apply({{"apiVersion", "networking.k8s.io/v1"},
                           {"kind", "NetworkPolicy"},
                           {"metadata", {{"name", name}, {"namespace", ns}}},
                           {"spec", s}});
    ASSERT_TRUE(r.ok()) << r.status().message();
  }

  // A refused probe is tried once more with a longer timeout: on two busy cores a probe can
  // time out without any policy, and a false "blocked" would hide a real difference.
  static bool connects(const std::string& from, const std::string& to, const Probe& p) {
    const std::string ip = p.via_service ? entry(to).service_ip : entry(to).pod.ip();
    const std::string ns = entry(from).pod.ns->name();
    return !echoRequest(ns, p.protocol, ip, p.port, 1.0).empty() ||
           !echoRequest(ns, p.protocol, ip, p.port, 3.0).empty();
  }

  // The observed table, all pairs probed at once (a pod to itself is left out, as upstream does).
  static Table observe(const Probe& p) {
    std::map<std::string, std::future<bool>> probes;
    for (const auto& from : kPods) {
      for (const auto& to : kPods) {
        if (from == to) continue;
        probes[from + ">" + to] = std::async(std::launch::async, connects, from, to, p);
      }
    }
    Table out;
    for (auto& [pair, f] : probes) {
      if (f.get()) out.insert(pair);
    }
    return out;
  }

  static Table everything() {
    Table t;
    for (const auto& from : kPods) {
      for (const auto& to : kPods) {
        if (from != to) t.insert(from + ">" + to);
      }
    }
    return t;
  }
  // All pairs but those `blocked` says no to.
  static Table allBut(const std::function<bool(const std::string&, const std::string&)>& blocked) {
    Table t;
    for (const auto& pair : everything()) {
      auto at = pair.find('>');
      if (!blocked(pair.substr(0, at), pair.substr(at + 1))) t.insert(pair);
    }
    return t;
  }

  static std::string render(const Table& expected, const Table& observed) {
    std::ostringstream out;
    out << "expected (X) / observed (x) — rows from, columns to; '!' marks a difference\n    ";
    for (const auto& to : kPods) out << to << " ";
    out << "\n";
    for (const auto& from : kPods) {
      out << from << " ";
      for (const auto& to : kPods) {
        if (from == to) {
          out << " -  ";
          continue;
        }
        const bool e = expected.count(from + ">" + to), o = observed.count(from + ">" + to);
        out << (e ? " X" : " .") << (o ? "x" : ".") << (e != o ? "!" : " ");
      }
      out << "\n";
    }
    return out.str();
  }

  // Probes until the table matches (policies take effect asynchronously), within 45 s.
  static ::testing::AssertionResult expectTable(const Table& expected, const Probe& p) {
    Table observed;
    const auto start = std::chrono::steady_clock::now();
    while (true) {
      observed = observe(p);
      if (observed == expected) return ::testing::AssertionSuccess();
      if (std::chrono::steady_clock::now() - start > seconds(45)) break;
    }
    return ::testing::AssertionFailure() << describe(p) << "\n" << render(expected, observed);
  }
  static ::testing::AssertionResult expectBoth(const Table& expected, Probe p = {}) {
    p.via_service = true;
    auto via = expectTable(expected, p);
    if (!via) return via;
    p.via_service = false;
    return expectTable(expected, p);
  }

  static std::string metrics() { return cluster().rest("GET", "/metrics").raw; }
};

bool inNs(const std::string& pod, const std::string& ns) { return pod.rfind(ns + "/", 0) == 0; }

TEST_F(NetworkPolicyTest, DefaultDenyIngressIsolatesOnlyTheNamespaceAndRepliesStillReturn) {
  policy("x", "deny-ingress", R"({"podSelector": {}, "policyTypes": ["Ingress"]})");
  // x's pods still reach everyone: the replies come back into their isolated ingress.
  EXPECT_TRUE(expectBoth(allBut([](auto, auto to) { return inNs(to, "x"); })));
  EXPECT_TRUE(expectTable(allBut([](auto, auto to) { return inNs(to, "x"); }), {"udp", 81}));
}

TEST_F(NetworkPolicyTest, DefaultDenyAllBlocksBothDirections) {
  policy("x", "deny-all", R"({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})");
  EXPECT_TRUE(
      expectBoth(allBut([](auto from, auto to) { return inNs(from, "x") || inNs(to, "x"); })));
}

TEST_F(NetworkPolicyTest, PodAndNamespaceSelectorsTogetherMustBothMatch) {
  policy("x", "from-y-a", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}},
                             "podSelector": {"matchLabels": {"pod": "a"}}}]}]})");
  EXPECT_TRUE(expectBoth(allBut([](auto from, auto to) { return to == "x/a" && from != "y/a"; })));
}

TEST_F(NetworkPolicyTest, EgressToPodsIsCheckedOnTheBackendBehindItsService) {
  policy("x", "egress-to-y-b", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "policyTypes": ["Egress"],
      "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "b"}},
                          "podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  EXPECT_TRUE(expectBoth(allBut([](auto from, auto to) { return from == "x/a" && to != "y/b"; })));
}

TEST_F(NetworkPolicyTest, IpBlockExceptTakesOutOneAddress) {
  const std::string yb = entry("y/b").pod.ip();
  policy("x", "cidr",
         R"({"podSelector": {"matchLabels": {"pod": "a"}}, "policyTypes": ["Egress"],
      "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/16", "except": [")" +
             yb + R"(/32"]}}]}]})");
  EXPECT_TRUE(expectBoth(allBut([](auto from, auto to) { return from == "x/a" && to == "y/b"; })));
}

TEST_F(NetworkPolicyTest, PortsProtocolsAndEndPort) {
  policy("x", "tcp-80-81", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"ports": [{"port": 80, "endPort": 81}]}]})");
  auto to_xa_blocked = allBut([](auto, auto to) { return to == "x/a"; });
  EXPECT_TRUE(expectBoth(everything(), {"tcp", 80}));
  EXPECT_TRUE(expectBoth(to_xa_blocked, {"tcp", 82}));
  EXPECT_TRUE(expectBoth(to_xa_blocked, {"udp", 81})) << "81 is open for TCP only";
}

TEST_F(NetworkPolicyTest, NamedPortsResolveOnThePods) {
  policy("x", "named-in", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"ports": [{"port": "serve-81-udp", "protocol": "UDP"}]}]})");
  policy("x", "named-out", R"({"podSelector": {"matchLabels": {"pod": "b"}},
      "policyTypes": ["Egress"], "egress": [{"ports": [{"port": "serve-80"}]}]})");
  EXPECT_TRUE(expectBoth(allBut([](auto, auto to) { return to == "x/a"; }), {"tcp", 80}));
  EXPECT_TRUE(expectBoth(allBut([](auto from, auto) { return from == "x/b"; }), {"udp", 81}));
  EXPECT_TRUE(expectBoth(allBut([](auto from, auto to) { return to == "x/a" || from == "x/b"; }),
                         {"tcp", 82}));
}

TEST_F(NetworkPolicyTest, TheNodeAlwaysReachesItsOwnIsolatedPods) {
  policy("x", "deny-all", R"({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})");
  ASSERT_TRUE(
      expectTable(allBut([](auto from, auto to) { return inNs(from, "x") || inNs(to, "x"); }),
                  {"tcp", 80, false}));
  // x/a is on node 0: its node passes (kubelet probes), the other node does not.
  const std::string xa = entry("x/a").pod.ip();
  EXPECT_FALSE(echoWithin(cluster().node(0).ns->name(), "tcp", xa, 80, 5).empty());
  EXPECT_FALSE(echoWithin(cluster().node(0).ns->name(), "udp", xa, 81, 5).empty());
  EXPECT_TRUE(echoRequest(cluster().node(1).ns->name(), "tcp", xa, 80, 1.0).empty());
}

TEST_F(NetworkPolicyTest, PodAndNamespaceLabelChangesTakeEffect) {
  policy("x", "from-clients", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"namespaceSelector": {},
                             "podSelector": {"matchLabels": {"role": "client"}}},
                            {"namespaceSelector": {"matchLabels": {"trusted": "yes"}}}]}]})");
  Probe p{"tcp", 80, false};
  EXPECT_TRUE(expectTable(allBut([](auto, auto to) { return to == "x/a"; }), p));
  ASSERT_TRUE(kube().kubectl({"-n", "y", "label", "pod", "b", "role=client"}).ok());
  EXPECT_TRUE(
      expectTable(allBut([](auto from, auto to) { return to == "x/a" && from != "y/b"; }), p));
  ASSERT_TRUE(kube().kubectl({"label", "namespace", "z", "trusted=yes"}).ok());
  EXPECT_TRUE(expectTable(
      allBut([](auto from, auto to) { return to == "x/a" && from != "y/b" && from != "z/a"; }), p));
  ASSERT_TRUE(kube().kubectl({"-n", "y", "label", "pod", "b", "role-"}).ok());
  ASSERT_TRUE(kube().kubectl({"label", "namespace", "z", "trusted-"}).ok());
  EXPECT_TRUE(expectTable(allBut([](auto, auto to) { return to == "x/a"; }), p));
}

TEST_F(NetworkPolicyTest, AnUpdatedPolicyReplacesItsRulesAndADeletedOneIsGone) {
  policy("x", "p", R"({"podSelector": {}, "ingress": [{"ports": [{"port": 82}]}]})");
  EXPECT_TRUE(expectTable(allBut([](auto, auto to) { return inNs(to, "x"); }), {"tcp", 80}));
  policy("x", "p", R"({"podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]})");
  EXPECT_TRUE(expectTable(everything(), {"tcp", 80}));
  EXPECT_TRUE(expectTable(allBut([](auto, auto to) { return inNs(to, "x"); }), {"tcp", 82}));
  ASSERT_TRUE(kube().kubectl({"-n", "x", "delete", "networkpolicy", "p"}).ok());
  EXPECT_TRUE(expectTable(everything(), {"tcp", 82}));
  auto groups = cluster().rest("GET", "/project/demo/security-groups");
  EXPECT_THAT(groups.raw, ::testing::Not(::testing::HasSubstr("netpol:x/p")));
}

TEST_F(NetworkPolicyTest, PoliciesAreVisibleThroughTheRestApiAsSecurityGroups) {
  policy("x", "web", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"from": [{"podSelector": {"matchLabels": {"pod": "b"}}}]}]})");
  ASSERT_TRUE(expectTable(allBut([](auto from, auto to) { return to == "x/a" && from != "x/b"; }),
                          {"tcp", 80, false}));
  auto groups = cluster().rest("GET", "/project/demo/security-groups");
  EXPECT_THAT(groups.raw, ::testing::HasSubstr("\"netpol:x/web\""));
  EXPECT_THAT(groups.raw, ::testing::HasSubstr("netpol-peers: pods {pod=b} in namespace x"));
  // The pod's port shows what NetworkPolicy gave it, apart from its own groups.
  auto ports = cluster().rest("GET", "/project/demo/ports?device_id=" + entry("x/a").uid);
  ASSERT_EQ(ports.status, 200) << ports.raw;
  const auto& port = ports.body["ports"].at(0);
  EXPECT_TRUE(port["security_groups"].empty());
  EXPECT_EQ(port["policy_security_groups"].size(), 2u) << "the policy's group and allow-all egress";
  // REST may look at a policy's group but not change it.
  const std::string id = port["policy_security_groups"][0];
  auto del = cluster().rest("DELETE", "/project/demo/security-groups/" + id);
  EXPECT_EQ(del.status, 409) << del.raw;
  EXPECT_THAT(metrics(),
              ::testing::HasSubstr("alcor_controller_network_policies{state=\"realized\"} 1"));
}

TEST_F(NetworkPolicyTest, AnSctpOnlyPolicyIsolatesAndIsReportedAsPartlyRealized) {
  policy("x", "sctp-only", R"({"podSelector": {"matchLabels": {"pod": "a"}},
      "ingress": [{"ports": [{"protocol": "SCTP", "port": 80}]}]})");
  EXPECT_TRUE(expectBoth(allBut([](auto, auto to) { return to == "x/a"; })))
      << "SCTP is never taken for TCP";
  EXPECT_TRUE(waitFor(
      [] {
        auto ev = kube().kubectl({"-n", "x", "get", "events", "--field-selector",
                                  "involvedObject.name=sctp-only", "-o", "json"});
        return ev.ok() && ev.out.find("PolicyPartiallyRealized") != std::string::npos &&
               ev.out.find("SCTP") != std::string::npos;
      },
      seconds(15)))
      << "a Warning Event on the NetworkPolicy";
  EXPECT_THAT(metrics(),
              ::testing::HasSubstr("alcor_controller_network_policies{state=\"partial\"} 1"));
}

TEST_F(NetworkPolicyTest, EnforcementSurvivesAControllerRestartAndCatchesUpOnMissedChanges) {
  policy("x", "deny-ingress", R"({"podSelector": {}})");
  Probe p{"tcp", 80, false};
  ASSERT_TRUE(expectTable(allBut([](auto, auto to) { return inNs(to, "x"); }), p));
  cluster().stopController();
  // While it is down, flows stay and the API changes.
  policy("y", "deny-ingress", R"({"podSelector": {}})");
  EXPECT_EQ(observe(p), allBut([](auto, auto to) { return inNs(to, "x"); }));
  ASSERT_TRUE(cluster().startController().ok());
  EXPECT_TRUE(expectTable(allBut([](auto, auto to) { return inNs(to, "x") || inNs(to, "y"); }), p));
}

}  // namespace
}  // namespace alcor::testing
