// Issue 7: security groups and port security end to end — REST groups and rules, pods plugged by
// the real alcor-cni with the `securityGroups` config key, real packets through the conntrack
// flows of two nodes. One cluster serves the whole matrix (started by the first test).
//
//   node 0: server  (web)      node 1: client (clients), other (open)
//   web:     in  tcp 8000-8099 from 10.0.1.0/24; udp 5353 and icmp from group clients;
//            out tcp 9000
//   clients: out any            (no ingress rule: nothing comes in)
//   open:    in any, out any

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "lib/base/strings.h"
#include "tests/e2e/e2e_util.h"

namespace alcor::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using ::testing::HasSubstr;

constexpr char kPython[] = "/usr/bin/python3";

Daemon startIn(const Pod& pod, const std::vector<std::string>& argv, const std::string& log) {
  RunOptions o;
  o.netns = pod.ns->name();
  auto d = Daemon::start(argv, log, o);
  return d.ok() ? std::move(*d) : Daemon();
}

// Denied checks use one try: a dropped SYN costs the whole connect timeout.
bool tcpPasses(const Pod& from, const Pod& to, int port, int tries = 1) {
  return tcpLineArrives(from, to, port, tries);
}

// UDP datagrams from `from` (optionally bound to src_ip:src_port) to `to_ip`:port, sent every
// 100 ms for `window`; true when the receiver in `to` got one.
bool udpPasses(const Pod& from, const Pod& to, const std::string& to_ip, int port,
               milliseconds window, const std::string& src_ip = "", int src_port = 0) {
  TempDir dir;
  const std::string out = dir.path() + "/received";
  const double secs = static_cast<double>(window.count()) / 1000.0;
  const std::string receiver =
      "import socket\n"
      "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
      "s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
      "s.bind(('0.0.0.0'," +
      std::to_string(port) +
      "))\n"
      "s.settimeout(" +
      std::to_string(secs + 0.5) +
      ")\n"
      "try:\n  d,a=s.recvfrom(100); print('got', a[0], d.decode(), flush=True)\n"
      "except OSError: print('none', flush=True)\n";
  const std::string sender =
      "import socket,time\n"
      "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
      "s.setsockopt(socket.SOL_SOCKET,socket.SO_BROADCAST,1)\n"
      "s.bind(('" +
      (src_ip.empty() ? std::string("0.0.0.0") : src_ip) + "'," + std::to_string(src_port) +
      "))\n"
      "time.sleep(0.2)\n"
      "for i in range(" +
      std::to_string(window.count() / 100) +
      "):\n"
      "  s.sendto(b'alcor-udp',('" +
      to_ip + "'," + std::to_string(port) + ")); time.sleep(0.1)\n";
  Daemon server = startIn(to, {kPython, "-c", receiver}, out);
  Daemon client = startIn(from, {kPython, "-c", sender}, dir.path() + "/sender");
  server.wait(window + milliseconds(1500));
  client.stop(milliseconds(200));
  server.stop(milliseconds(200));
  return readFileOrEmpty(out).find("got") != std::string::npos;
}

bool eventually(const std::function<bool()>& probe) { return waitFor(probe, seconds(15)); }

class SecurityGroupTest : public ::testing::Test {
 protected:
  // Started by the first test's SetUp, not SetUpTestSuite: gtest reports a failing
  // SetUpTestSuite as skipped tests, which ctest would count as not run.
  static void startCluster() {
    auto c = Cluster::start({.nodes = 2});
    ASSERT_TRUE(c.ok()) << c.status().message();
    cluster = c->release();
    auto net = cluster->createVpcAndSubnet("10.0.0.0/16", "10.0.1.0/24");
    ASSERT_TRUE(net.ok()) << net.status().message();
    std::tie(vpc, subnet) = *net;
    for (const char* g : {"web", "clients", "open"}) {
      auto r = cluster->rest("POST", path("security-groups"), {{"security_group", {{"id", g}}}});
      ASSERT_EQ(r.status, 201) << r.raw;
    }
    addRule({{"security_group_id", "web"},
             {"direction", "ingress"},
             {"protocol", "tcp"},
             {"port_range_min", 8000},
             {"port_range_max", 8099},
             {"remote_ip_prefix", "10.0.1.0/24"}});
    addRule({{"security_group_id", "web"},
             {"direction", "ingress"},
             {"protocol", "udp"},
             {"port_range_min", 5353},
             {"port_range_max", 5353},
             {"remote_group_id", "clients"}});
    addRule({{"security_group_id", "web"},
             {"direction", "ingress"},
             {"protocol", "icmp"},
             {"remote_group_id", "clients"}});
    addRule({{"security_group_id", "web"},
             {"direction", "egress"},
             {"protocol", "tcp"},
             {"port_range_min", 9000},
             {"port_range_max", 9000}});
    addRule({{"security_group_id", "clients"}, {"direction", "egress"}});
    addRule({{"security_group_id", "open"}, {"direction", "ingress"}});
    addRule({{"security_group_id", "open"}, {"direction", "egress"}});

    server = addPod(0, {"web"}, "server");
    client = addPod(1, {"clients"}, "client");
    other = addPod(1, {"open"}, "other");
  }

  static void TearDownTestSuite() {
    delete server;
    delete client;
    delete other;
    delete cluster;  // stops agents, controller, OVS; deletes the namespaces
    server = client = other = nullptr;
    cluster = nullptr;
  }

  void SetUp() override {
    static bool started = false;
    if (!started) {
      started = true;
      startCluster();
    }
    ASSERT_NE(cluster, nullptr) << "the cluster did not start";
    ASSERT_TRUE(server && client && other) << "pods failed to start";
  }

  static std::string path(const std::string& collection) {
    return "/project/" + cluster->project() + "/" + collection;
  }

  // Returns the rule id.
  static std::string addRule(nlohmann::json rule) {
    rule["ethertype"] = "IPv4";
    auto r = cluster->rest("POST", path("security-group-rules"), {{"security_group_rule", rule}});
    EXPECT_EQ(r.status, 201) << r.raw;
    return r.body.contains("security_group_rule") ? r.body["security_group_rule"].value("id", "")
                                                  : "";
  }

  static void deleteRule(const std::string& id) {
    auto r = cluster->rest("DELETE", path("security-group-rules/" + id));
    EXPECT_TRUE(r.status == 200 || r.status == 204) << r.raw;
  }

  static Pod* addPod(int node, const std::vector<std::string>& groups, const std::string& name) {
    auto pod = cluster->addPod(node, vpc, subnet, name, {{"securityGroups", groups}});
    EXPECT_TRUE(pod.ok()) << pod.status().message();
    return pod.ok() ? new Pod(std::move(*pod)) : nullptr;
  }

  // Waits until node's br-int has (or no longer has) a flow containing `text`.
  static bool waitFlow(int node, const std::string& text, bool present) {
    return eventually(
        [&] { return flowsMentioning(cluster->node(node), text).empty() != present; });
  }

  static Cluster* cluster;
  static Pod *server, *client, *other;
  static std::string vpc, subnet;
};

Cluster* SecurityGroupTest::cluster = nullptr;
Pod* SecurityGroupTest::server = nullptr;
Pod* SecurityGroupTest::client = nullptr;
Pod* SecurityGroupTest::other = nullptr;
std::string SecurityGroupTest::vpc;
std::string SecurityGroupTest::subnet;

TEST_F(SecurityGroupTest, TcpPortRangeFromAPrefixAcrossNodes) {
  // Allowed checks first: they also wait for both nodes to converge.
  EXPECT_TRUE(tcpPasses(*client, *server, 8080, 15));
  EXPECT_TRUE(tcpPasses(*other, *server, 8000, 5));
  EXPECT_TRUE(tcpPasses(*client, *server, 8099, 5));
  EXPECT_FALSE(tcpPasses(*client, *server, 8100));
  EXPECT_FALSE(tcpPasses(*client, *server, 7999));
}

TEST_F(SecurityGroupTest, UdpAndIcmpOnlyFromTheRemoteGroupAcrossNodes) {
  // client is in `clients` on the other node: the controller expanded its address to node 0.
  EXPECT_TRUE(eventually([] { return canPing(*client, server->ip(), 1); }));
  EXPECT_TRUE(udpPasses(*client, *server, server->ip(), 5353, seconds(3)));
  EXPECT_FALSE(canPing(*other, server->ip(), 2));
  EXPECT_FALSE(udpPasses(*other, *server, server->ip(), 5353, milliseconds(1000)));
  EXPECT_FALSE(udpPasses(*client, *server, server->ip(), 5354, milliseconds(1000)));
}

TEST_F(SecurityGroupTest, EgressRulesLimitWhatAPodMaySend) {
  EXPECT_TRUE(tcpPasses(*server, *other, 9000, 10));
  EXPECT_FALSE(tcpPasses(*server, *other, 9001));
  EXPECT_FALSE(canPing(*server, other->ip(), 2));
  // The reply of an allowed ingress connection is not egress policy.
  EXPECT_TRUE(canPing(*client, server->ip(), 2));
}

TEST_F(SecurityGroupTest, IngressAndEgressAreSeparate) {
  // client may send anything, but receives nothing it did not start.
  EXPECT_TRUE(tcpPasses(*client, *other, 8500, 10));
  EXPECT_FALSE(tcpPasses(*other, *client, 8500));
  EXPECT_FALSE(canPing(*other, client->ip(), 2));
  EXPECT_TRUE(canPing(*client, other->ip(), 2));
}

TEST_F(SecurityGroupTest, RemoteIpPrefixOfOneAddress) {
  const std::string id = addRule({{"security_group_id", "web"},
                                  {"direction", "ingress"},
                                  {"protocol", "tcp"},
                                  {"port_range_min", 7000},
                                  {"port_range_max", 7000},
                                  {"remote_ip_prefix", other->ip() + "/32"}});
  EXPECT_TRUE(tcpPasses(*other, *server, 7000, 15));
  EXPECT_FALSE(tcpPasses(*client, *server, 7000));
  deleteRule(id);
  ASSERT_TRUE(waitFlow(0, "nw_src=" + other->ip() + ",tp_dst=7000", false));
  EXPECT_FALSE(tcpPasses(*other, *server, 7000));
}

TEST_F(SecurityGroupTest, EstablishedConnectionSurvivesOtherRulesAndDiesWithItsOwn) {
  const std::string own = addRule({{"security_group_id", "web"},
                                   {"direction", "ingress"},
                                   {"protocol", "tcp"},
                                   {"port_range_min", 9500},
                                   {"port_range_max", 9500},
                                   {"remote_ip_prefix", client->ip() + "/32"}});
  ASSERT_TRUE(eventually([] { return tcpPasses(*client, *server, 9500); }));
  // A long-lived connection: the client writes a line every 100 ms. (busybox nc would hang up
  // when its stdin ends: python on both sides.)
  TempDir dir;
  const std::string received = dir.path() + "/received";
  Daemon listener =
      startIn(*server,
              {kPython, "-c",
               "import socket,sys\n"
               "s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\n"
               "s.bind(('0.0.0.0',9500)); s.listen(1); c,a=s.accept()\n"
               "while True:\n"
               "  d=c.recv(100)\n"
               "  if not d: break\n"
               "  sys.stdout.write(d.decode()); sys.stdout.flush()\n"},
              received);
  std::this_thread::sleep_for(milliseconds(300));
  Daemon talker = startIn(*client,
                          {kPython, "-c",
                           "import socket,time\n"
                           "c=socket.create_connection(('" +
                               server->ip() +
                               "',9500),timeout=5)\n"
                               "c.setsockopt(socket.IPPROTO_TCP,socket.TCP_NODELAY,1)\n"
                               "while True: c.send(b'tick\\n'); time.sleep(0.1)\n"},
                          dir.path() + "/talker");
  auto size = [&] { return readFileOrEmpty(received).size(); };
  auto grows = [&] {
    const size_t before = size();
    return waitFor([&] { return size() > before + 20; }, seconds(3));
  };
  ASSERT_TRUE(grows()) << "the connection never carried data: "
                       << readFileOrEmpty(dir.path() + "/talker") << "|"
                       << readFileOrEmpty(received);

  // Unrelated changes: a rule in the same group and direction, and one in another group.
  const std::string unrelated = addRule({{"security_group_id", "web"},
                                         {"direction", "ingress"},
                                         {"protocol", "tcp"},
                                         {"port_range_min", 6000},
                                         {"port_range_max", 6000}});
  const std::string elsewhere = addRule({{"security_group_id", "open"},
                                         {"direction", "ingress"},
                                         {"protocol", "udp"},
                                         {"port_range_min", 53},
                                         {"port_range_max", 53}});
  ASSERT_TRUE(waitFlow(0, "tp_dst=6000", true));
  EXPECT_TRUE(grows()) << "an unrelated rule change cut the connection";
  deleteRule(unrelated);
  deleteRule(elsewhere);
  ASSERT_TRUE(waitFlow(0, "tp_dst=6000", false));
  EXPECT_TRUE(grows()) << "removing an unrelated rule cut the connection";

  // Removing the rule that allowed it cuts it.
  deleteRule(own);
  ASSERT_TRUE(waitFlow(0, "tp_dst=9500", false));
  std::this_thread::sleep_for(milliseconds(300));  // lines already in flight
  const size_t cut = size();
  std::this_thread::sleep_for(seconds(1));
  EXPECT_EQ(size(), cut) << "the connection survived the removal of its rule";
  talker.stop(milliseconds(200));
  listener.stop(milliseconds(200));
}

TEST_F(SecurityGroupTest, SpoofedSourceAddressesAreDropped) {
  // other allows everything in, so only port security stands between client and other.
  ASSERT_TRUE(udpPasses(*client, *other, other->ip(), 7070, seconds(3)));
  // A second address on eth0, used as the source: not a fixed IP of the port.
  ASSERT_TRUE(client->ns->exec({"ip", "addr", "add", "10.0.1.222/32", "dev", "eth0"}).ok());
  EXPECT_FALSE(udpPasses(*client, *other, other->ip(), 7070, milliseconds(1000), "10.0.1.222"));
  client->ns->exec({"ip", "addr", "del", "10.0.1.222/32", "dev", "eth0"});

  // Another source MAC; the neighbor is pinned so that no ARP is needed.
  const std::string mac = podMac(*client);
  const std::string other_mac = podMac(*other);
  ASSERT_TRUE(client->ns
                  ->exec({"ip", "neigh", "replace", other->ip(), "lladdr", other_mac, "dev", "eth0",
                          "nud", "permanent"})
                  .ok());
  ASSERT_TRUE(client->ns->exec({"ip", "link", "set", "eth0", "address", "02:00:00:00:66:66"}).ok());
  EXPECT_FALSE(udpPasses(*client, *other, other->ip(), 7070, milliseconds(1000)));
  ASSERT_TRUE(client->ns->exec({"ip", "link", "set", "eth0", "address", mac}).ok());
  EXPECT_TRUE(udpPasses(*client, *other, other->ip(), 7070, seconds(3)));
  client->ns->exec({"ip", "neigh", "del", other->ip(), "dev", "eth0"});
}

TEST_F(SecurityGroupTest, APodsDhcpOfferNeverReachesAnotherPod) {
  // The same datagram from port 6767 arrives: the receiver works and the path is open.
  ASSERT_TRUE(udpPasses(*client, *other, other->ip(), 68, seconds(3), "", 6767));
  // From port 67 (a DHCP server), unicast and broadcast: dropped at the pod's port.
  EXPECT_FALSE(udpPasses(*client, *other, other->ip(), 68, milliseconds(1000), "", 67));
  EXPECT_FALSE(udpPasses(*client, *other, "255.255.255.255", 68, milliseconds(1000), "", 67));
  auto drops = cluster->node(1).ovs->ofctl({"dump-flows", "br-int", "table=10,udp,tp_src=67"});
  EXPECT_THAT(drops.out, HasSubstr("actions=drop")) << drops.out;
  EXPECT_THAT(drops.out, ::testing::Not(HasSubstr("n_packets=0,"))) << drops.out;
}

}  // namespace
}  // namespace alcor::testing
