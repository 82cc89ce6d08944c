// Issue 13: Kubernetes cluster traffic, one test per row of the table, on two nodes with
// host access (--host-gateway-vpc), kube-proxy's iptables rules in both nodes as kube-proxy
// writes them (tests/e2e/kube_proxy.h), and a host outside the cluster on the underlay. Every
// check is a real TCP or UDP exchange whose client only accepts the answer from the address it
// asked, and whose server says which source address it saw. One cluster serves the suite.
//
//   node 0 (10.200.0.11): a (client), b0 (echo), dns (dnsmasq), hp (hostPorts 8088/tcp, 8089/udp)
//   node 1 (10.200.0.12): c (client), b1 (echo); the "API server" on the node's own address
//   outside (10.200.0.100): echo server, no route to the pods
//   Services: local 10.96.0.20 -> b0, remote 10.96.0.21 -> b1, kube-dns 10.96.0.10 -> dns,
//             kubernetes 10.96.0.1:443 -> 10.200.0.12:6443, nodeport 10.96.0.30 (30080, 30081)
//             -> b0

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/e2e/e2e_util.h"
#include "tests/e2e/kube_proxy.h"
#include "tests/e2e/traffic_util.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kClusterCidr[] = "10.0.0.0/16";
constexpr int kTcp = 8080;
constexpr int kUdp = 8081;

struct Suite {
  std::unique_ptr<Cluster> cluster;
  std::unique_ptr<Netns> outside;
  std::map<std::string, Pod> pods;
  std::vector<Daemon> servers;
  TempDir logs{"traffic-logs"};
};
Suite* suite = nullptr;

class ClusterTrafficTest : public ::testing::Test {
 protected:
  // Started by the first test's SetUp, not SetUpTestSuite: gtest reports a failing
  // SetUpTestSuite as skipped tests, which ctest would count as not run.
  static void startCluster() {
    suite = new Suite;
    auto c = Cluster::start(
        {.nodes = 2,
         .extra_agent_flags = {"--host-gateway-vpc=vpc-default", "--service-cidr=10.96.0.0/12"},
         .extra_controller_flags = {"--bootstrap-project=demo",
                                    "--bootstrap-vpc=vpc-default:10.0.0.0/16",
                                    "--bootstrap-subnet=subnet-default:10.0.1.0/24"}});
    ASSERT_TRUE(c.ok()) << c.status().message();
    suite->cluster = std::move(*c);
    Cluster& cluster = *suite->cluster;
    for (auto [name, node] : std::vector<std::pair<std::string, int>>{
             {"a", 0}, {"b0", 0}, {"dns", 0}, {"hp", 0}, {"c", 1}, {"b1", 1}}) {
      auto pod = cluster.addPod(node, "vpc-default", "subnet-default", name);
      ASSERT_TRUE(pod.ok()) << pod.status().message();
      suite->pods.emplace(name, std::move(*pod));
    }
    for (const char* name : {"b0", "b1", "hp"}) {
      serve(pod(name).ns->name(), name);
    }
    serve(cluster.node(1).ns->name(), "apiserver", 6443);
    auto out = addUnderlayHost(cluster, "10.200.0.100");
    ASSERT_TRUE(out.ok()) << out.status().message();
    suite->outside = std::move(*out);
    serve(suite->outside->name(), "outside");
    startDns();
    ASSERT_TRUE(addHostPorts(cluster, pod("hp"), {{8088, kTcp, "tcp"}, {8089, kUdp, "udp"}}).ok());
    const std::vector<Service> services = {
        {"default/local", "10.96.0.20", ports(pod("b0").ip())},
        {"default/remote", "10.96.0.21", ports(pod("b1").ip())},
        {"kube-system/kube-dns",
         "10.96.0.10",
         {{"udp", 53, 0, {{pod("dns").ip(), 53}}}, {"tcp", 53, 0, {{pod("dns").ip(), 53}}}}},
        {"default/kubernetes", "10.96.0.1", {{"tcp", 443, 0, {{cluster.node(1).ip, 6443}}}}},
        {"default/nodeport",
         "10.96.0.30",
         {{"tcp", 80, 30080, {{pod("b0").ip(), kTcp}}},
          {"udp", 81, 30081, {{pod("b0").ip(), kUdp}}}}}};
    for (int i = 0; i < cluster.size(); ++i) {
      Status s = installKubeProxyRules(*cluster.node(i).ns, services, kClusterCidr);
      ASSERT_TRUE(s.ok()) << s.message();
    }
  }

  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }

  void SetUp() override {
    static bool started = false;
    if (!started) {
      started = true;
      startCluster();
    }
    ASSERT_TRUE(suite && suite->cluster && suite->outside) << "the cluster did not start";
  }

  static std::vector<ServicePort> ports(const std::string& backend) {
    return {{"tcp", 80, 0, {{backend, kTcp}}}, {"udp", 81, 0, {{backend, kUdp}}}};
  }

  static void serve(const std::string& netns, const std::string& tag, int tcp_port = kTcp) {
    for (auto [protocol, port] : {std::pair<std::string, int>{"tcp", tcp_port}, {"udp", kUdp}}) {
      auto d = startEchoServer(netns, protocol, port, tag,
                               suite->logs.path() + "/" + tag + "-" + protocol + ".log");
      ASSERT_TRUE(d.ok()) << d.status().message();
      suite->servers.push_back(std::move(*d));
    }
  }

  static void startDns() {
    RunOptions o;
    o.netns = pod("dns").ns->name();
    auto d = Daemon::start({"dnsmasq", "--no-daemon", "--conf-file=/dev/null", "--no-resolv",
                            "--no-hosts", "--pid-file=", "--user=root", "--port=53",
                            "--address=/kubernetes.default.svc.cluster.local/10.96.0.1"},
                           suite->logs.path() + "/dnsmasq.log", o);
    ASSERT_TRUE(d.ok()) << d.status().message();
    suite->servers.push_back(std::move(*d));
  }

  static Pod& pod(const std::string& name) { return suite->pods.at(name); }
  static Cluster& cluster() { return *suite->cluster; }
  static ClusterNode& node(int i) { return suite->cluster->node(i); }

  // Both protocols from `netns` to ip (tcp_port, then the UDP port): the two replies.
  static std::vector<std::string> both(const std::string& netns, const std::string& ip,
                                       int tcp_port = kTcp, int udp_port = kUdp,
                                       const std::string& bind_ip = "") {
    return {echoWithin(netns, "tcp", ip, tcp_port, 10, bind_ip),
            echoWithin(netns, "udp", ip, udp_port, 10, bind_ip)};
  }
  static std::vector<std::string> twice(const std::string& reply) { return {reply, reply}; }

  // An A record from the kube-dns Service, by busybox's resolver (which connects its socket).
  static bool resolves(const Pod& from) {
    return waitFor(
        [&] {
          auto r = from.ns->exec({"busybox", "nslookup", "-type=a",
                                  "kubernetes.default.svc.cluster.local", "10.96.0.10"});
          return r.ok() && r.out.find("Address: 10.96.0.1") != std::string::npos;
        },
        std::chrono::seconds(10));
  }
};

// Row: node -> pod on the same node (kubelet probes).
TEST_F(ClusterTrafficTest, NodeReachesAPodOnItsOwnNode) {
  EXPECT_EQ(both(node(0).ns->name(), pod("b0").ip()), twice("b0 " + gatewayIp(node(0))));
  EXPECT_TRUE(node(0).ns->exec({"ping", "-c", "1", "-W", "2", pod("b0").ip()}).ok());
}

// Row: node -> pod on another node; pod -> another node's IP.
TEST_F(ClusterTrafficTest, NodeReachesAPodOnAnotherNodeAndAPodReachesAnotherNodesIp) {
  EXPECT_EQ(both(node(0).ns->name(), pod("b1").ip()), twice("b1 " + gatewayIp(node(0))));
  // A pod reaches another node's address; it leaves masqueraded to its own node's.
  EXPECT_EQ(both(pod("a").ns->name(), node(1).ip, 6443), twice("apiserver " + node(0).ip));
  EXPECT_TRUE(canPing(pod("a"), node(1).ip));
  // And the other node's host gateway address, inside the VPC: the pod's own address stays.
  EXPECT_EQ(echoWithin(pod("a").ns->name(), "tcp", gatewayIp(node(1)), 6443),
            "apiserver " + pod("a").ip());
  EXPECT_TRUE(canPing(pod("c"), gatewayIp(node(0))));
}

// Row: pod -> ClusterIP, backend on another node.
TEST_F(ClusterTrafficTest, PodReachesAClusterIpWhoseBackendIsOnAnotherNode) {
  EXPECT_EQ(both(pod("a").ns->name(), "10.96.0.21", 80, 81), twice("b1 " + pod("a").ip()));
}

// Row: pod -> ClusterIP, backend on the same node.
TEST_F(ClusterTrafficTest, PodReachesAClusterIpWhoseBackendIsOnItsNode) {
  EXPECT_EQ(both(pod("a").ns->name(), "10.96.0.20", 80, 81), twice("b0 " + pod("a").ip()));
  // The backend's node reverses the NAT for clients on the other node as well.
  EXPECT_EQ(both(pod("c").ns->name(), "10.96.0.20", 80, 81), twice("b0 " + pod("c").ip()));
}

// Row: pod -> ClusterIP whose backend is the client itself (hairpin, masqueraded by kube-proxy).
TEST_F(ClusterTrafficTest, PodReachesItselfThroughItsClusterIp) {
  EXPECT_EQ(both(pod("b0").ns->name(), "10.96.0.20", 80, 81), twice("b0 " + gatewayIp(node(0))));
}

// Row: pod -> kube-dns over UDP, from the DNS pod's node, another node, and the DNS pod itself.
TEST_F(ClusterTrafficTest, PodsResolveThroughKubeDnsFromEveryPlacement) {
  EXPECT_TRUE(resolves(pod("a")));    // same node
  EXPECT_TRUE(resolves(pod("c")));    // other node
  EXPECT_TRUE(resolves(pod("dns")));  // hairpin
}

// Row: pod -> the API server Service when the API server is on another node (and on its own).
TEST_F(ClusterTrafficTest, PodReachesTheApiServerServiceOnEveryNode) {
  EXPECT_EQ(echoWithin(pod("a").ns->name(), "tcp", "10.96.0.1", 443),
            "apiserver " + node(0).ip);  // across the underlay, masqueraded
  EXPECT_EQ(echoWithin(pod("c").ns->name(), "tcp", "10.96.0.1", 443),
            "apiserver " + pod("c").ip());  // delivered on its own node
}

// Row: NodePort with externalTrafficPolicy: Cluster, on the endpoint's node and on the other.
TEST_F(ClusterTrafficTest, NodePortWorksOnEveryNode) {
  const std::string out = suite->outside->name();
  EXPECT_EQ(both(out, node(0).ip, 30080, 30081), twice("b0 " + gatewayIp(node(0))));
  EXPECT_EQ(both(out, node(1).ip, 30080, 30081), twice("b0 " + gatewayIp(node(1))));
  // From a pod, to the node without the endpoint.
  EXPECT_EQ(echoWithin(pod("a").ns->name(), "tcp", node(1).ip, 30080), "b0 " + gatewayIp(node(1)));
}

// Row: hostPort (portmap) reached from a pod on another node, and from the node and outside.
TEST_F(ClusterTrafficTest, HostPortIsReachableFromAPodOnAnotherNode) {
  EXPECT_EQ(both(pod("c").ns->name(), node(0).ip, 8088, 8089), twice("hp " + node(1).ip));
  EXPECT_EQ(echoWithin(suite->outside->name(), "tcp", node(0).ip, 8088), "hp 10.200.0.100");
}

// Row: pod -> an address outside the cluster leaves with the node's address; pod -> pod and
// pod -> its node keep the pod's.
TEST_F(ClusterTrafficTest, EgressIsMasqueradedAndPodTrafficKeepsItsAddress) {
  const std::string out_ip = "10.200.0.100";
  EXPECT_EQ(both(pod("a").ns->name(), out_ip), twice("outside " + node(0).ip));
  EXPECT_EQ(both(pod("c").ns->name(), out_ip), twice("outside " + node(1).ip));
  EXPECT_EQ(both(pod("a").ns->name(), pod("b1").ip()), twice("b1 " + pod("a").ip()));
  EXPECT_EQ(both(pod("a").ns->name(), pod("b0").ip()), twice("b0 " + pod("a").ip()));
  EXPECT_EQ(both(pod("c").ns->name(), node(1).ip, 6443), twice("apiserver " + pod("c").ip()));
  // The agent's own table, as nft lists it (no nft or iptables process ran in the agent).
  auto nft = node(0).ns->exec({"nft", "list", "table", "ip", "alcor"});
  EXPECT_THAT(nft.out, HasSubstr("10.0.0.0/16"));
  EXPECT_THAT(nft.out, HasSubstr("oifname != \"alcor-gw0\""));
  EXPECT_THAT(nft.out, HasSubstr("masquerade"));
}

// Row: MTU, 5 MB TCP across nodes, DF pings at pod MTU (keeps working), node included.
TEST_F(ClusterTrafficTest, PodMtuHoldsAcrossNodesForPodsAndTheNode) {
  // The pod MTU follows the underlay interface (1500) minus VXLAN.
  auto link = pod("a").ns->exec({"ip", "-o", "link", "show", "eth0"});
  EXPECT_THAT(link.out, HasSubstr(" mtu 1450 ")) << link.describe();
  const std::string df = std::to_string(1450 - 28);
  EXPECT_TRUE(pod("a").ns->exec({"ping", "-c", "2", "-M", "do", "-s", df, pod("b1").ip()}).ok());
  EXPECT_TRUE(node(0).ns->exec({"ping", "-c", "2", "-M", "do", "-s", df, pod("b1").ip()}).ok());
  // A sink that counts what it received until the sender closes.
  TempDir dir;
  RunOptions in_b1;
  in_b1.netns = pod("b1").ns->name();
  auto sink = Daemon::start({"python3", "-u", "-c",
                             "import socket\n"
                             "s = socket.socket(); s.bind(('0.0.0.0', 9100)); s.listen(1)\n"
                             "c, _ = s.accept(); n = 0\n"
                             "while True:\n"
                             "    d = c.recv(65536)\n"
                             "    if not d: break\n"
                             "    n += len(d)\n"
                             "print('received', n)\n"},
                            dir.path() + "/got", in_b1);
  ASSERT_TRUE(sink.ok());
  bool sent = waitFor(
      [&] {
        return pod("a")
            .ns->shell("head -c 5000000 /dev/zero | busybox nc -w 3 " + pod("b1").ip() + " 9100")
            .ok();
      },
      std::chrono::seconds(10));
  EXPECT_TRUE(sent);
  sink->wait(std::chrono::seconds(10));
  std::ifstream got(dir.path() + "/got");
  EXPECT_EQ(std::string((std::istreambuf_iterator<char>(got)), {}), "received 5000000\n");
}

}  // namespace
}  // namespace alcor::testing
