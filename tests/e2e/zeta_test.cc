// Issue 8: Zeta gateway offload end to end. Two nodes, pods a (node 0) and b (node 1) in a VPC
// whose ZETA gateway has one or two simulated FWDs (tests/e2e/zeta_fwd), each in its own
// namespace on the underlay. The controller announces no neighbors in such a VPC, so a's first
// packets to b go through a FWD, which forwards them and tells node 0 (OAM inject) the direct
// path; later packets bypass the FWD.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "lib/base/strings.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/one_subnet_fixture.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kOamPort = 8300;

struct Fwd {
  std::unique_ptr<Netns> ns;
  std::string ip, mac;
  Daemon process;
  std::string counter;  // file the FWD writes "<forwarded> <arp answered>" to
};

class ZetaTest : public ::testing::Test {
 protected:
  // Cluster, VPC with a Zeta gateway of `fwds` FWDs, pods a and b on different nodes.
  void start(int fwds) {
    auto c = startOneSubnetCluster({.nodes = 2});
    ASSERT_TRUE(c.ok()) << c.status().message();
    cluster = std::move(c->cluster);
    std::tie(vpc, subnet) = std::tie(c->vpc, c->subnet);
    nlohmann::json destinations = nlohmann::json::array();
    for (int i = 0; i < fwds; ++i) {
      Fwd f;
      f.ip = "10.200.0." + std::to_string(201 + i);
      f.mac = "02:5a:00:00:00:0" + std::to_string(1 + i);
      f.counter = dir.path() + "/fwd" + std::to_string(i) + ".count";
      addFwdNamespace(f);
      destinations.push_back({{"ip_address", f.ip}, {"mac_address", f.mac}});
      fwd.push_back(std::move(f));
    }
    auto gw = cluster->rest("POST", "/project/" + cluster->project() + "/gateways",
                            {{"gateway",
                              {{"name", "zeta"},
                               {"gateway_type", "ZETA"},
                               {"destinations", destinations},
                               {"zeta_info", {{"port_inband_operation", kOamPort}}}}}});
    ASSERT_EQ(gw.status, 201) << gw.raw;
    gateway = gw.body["gateway"]["id"];
    auto v = cluster->rest("PUT", "/project/" + cluster->project() + "/vpcs/" + vpc,
                           {{"network", {{"gateway_ids", {gateway}}}}});
    ASSERT_EQ(v.status, 200) << v.raw;
    vni = v.body["network"]["tunnel_id"];
    auto pa = cluster->addPod(0, vpc, subnet);
    auto pb = cluster->addPod(1, vpc, subnet);
    ASSERT_TRUE(pa.ok() && pb.ok()) << pa.status().message() << pb.status().message() << "\n"
                                    << run({"tail", "-20", cluster->controllerLog()}).out;
    a = std::move(*pa);
    b = std::move(*pb);
    for (int n = 0; n < 2; ++n) {
      ASSERT_TRUE(waitFor([&] { return listensOnOamPort(n); }, std::chrono::seconds(10)))
          << "node " << n << " does not listen on the OAM port";
    }
  }

  void addFwdNamespace(Fwd& f) {
    auto ns = Netns::create("zfwd");
    ASSERT_TRUE(ns.ok()) << ns.status().message();
    f.ns = std::move(*ns);
    const std::string outer = uniqueName("zf");
    ASSERT_TRUE(addVethPair(cluster->infra().name(), outer, f.ns->name(), "eth0").ok());
    auto r = cluster->infra().shell("ip link set " + outer + " master ulbr up");
    ASSERT_TRUE(r.ok()) << r.describe();
    r = f.ns->shell("ip link set eth0 down && ip link set eth0 address " + f.mac +
                    " && ip link set eth0 up && ip addr add " + f.ip + "/24 dev eth0");
    ASSERT_TRUE(r.ok()) << r.describe();
  }

  // Starts the FWD daemons; oam_port 0 = forward only.
  void runFwds(int oam_port, int idle_timeout) {
    for (auto& f : fwd) {
      std::vector<std::string> argv = {ZETA_FWD_BINARY,
                                       "--ip",
                                       f.ip,
                                       "--oam-port",
                                       std::to_string(oam_port),
                                       "--idle-timeout",
                                       std::to_string(idle_timeout),
                                       "--counter",
                                       f.counter,
                                       "--instance",
                                       a.ip() + "," + podMac(a) + "," + cluster->node(0).ip,
                                       "--instance",
                                       b.ip() + "," + podMac(b) + "," + cluster->node(1).ip};
      auto d = Daemon::start(argv, f.counter + ".log", {.netns = f.ns->name()});
      ASSERT_TRUE(d.ok()) << d.status().message();
      f.process = std::move(*d);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }

  // One-shot OAM datagram from a FWD's namespace (source address = that FWD).
  CommandResult sendOam(const Netns& from, const std::string& what, int node,
                        const std::string& flow) {
    return from.exec({ZETA_FWD_BINARY, "--send", what, "--to",
                      cluster->node(node).ip + ":" + std::to_string(kOamPort), "--flow", flow,
                      "--instance", b.ip() + "," + podMac(b) + "," + cluster->node(1).ip,
                      "--idle-timeout", "0"});
  }

  bool listensOnOamPort(int n) {
    auto r = cluster->node(n).ns->exec({"ss", "-uln"});
    return r.out.find(":" + std::to_string(kOamPort)) != std::string::npos;
  }

  uint64_t forwarded(const Fwd& f) {
    std::ifstream in(f.counter);
    uint64_t n = 0;
    in >> n;
    return n;
  }

  // Direct-path flows (cookie category 0x0a) on a node.
  std::string directPaths(int n) {
    return cluster->node(n)
        .ovs->ofctl({"dump-flows", "br-int", "cookie=0x0a00000000000000/0xff00000000000000"})
        .out;
  }
  std::string groups(int n) {
    return cluster->node(n).ovs->ofctl({"-O", "OpenFlow15", "dump-groups", "br-int"}).out;
  }
  std::string icmpFlow() { return a.ip() + "," + b.ip() + ",1,0,0," + std::to_string(vni); }

  // Pings until a reply comes (the underlay's first ARP for a FWD may cost a packet).
  bool pingEventually(const Pod& from, const std::string& ip) {
    return waitFor([&] { return canPing(from, ip, 1); }, std::chrono::seconds(15));
  }

  TempDir dir{"alcor-zeta"};
  std::unique_ptr<Cluster> cluster;
  std::vector<Fwd> fwd;
  std::string vpc, subnet, gateway;
  uint32_t vni = 0;
  Pod a, b;
};

TEST_F(ZetaTest, FirstPacketsGoThroughTheFwdThenTheDirectPathUntilItIdlesOut) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  ASSERT_NO_FATAL_FAILURE(runFwds(kOamPort, 3));
  // No neighbor: node 0 knows b only through the Zeta group.
  EXPECT_THAT(joinStrings(flowsMentioning(cluster->node(0), podMac(b)), "\n"),
              Not(HasSubstr("tun_dst")));
  EXPECT_THAT(groups(0), HasSubstr("group_id=" + std::to_string(vni) + ",type=select"));

  ASSERT_TRUE(pingEventually(a, b.ip()));
  EXPECT_GT(forwarded(fwd[0]), 0u);
  ASSERT_TRUE(waitFor([&] { return directPaths(0).find("nw_dst=" + b.ip()) != std::string::npos; },
                      std::chrono::seconds(5)))
      << directPaths(0);
  EXPECT_THAT(directPaths(0), HasSubstr("idle_timeout=3"));
  EXPECT_THAT(directPaths(0), HasSubstr(cluster->node(1).ip + "->tun_dst"));
  // The reply direction got its own direct path on node 1.
  ASSERT_TRUE(waitFor([&] { return directPaths(1).find("nw_dst=" + a.ip()) != std::string::npos; },
                      std::chrono::seconds(5)))
      << directPaths(1);

  // Later packets bypass the FWD: its counter stops.
  const uint64_t before = forwarded(fwd[0]);
  EXPECT_TRUE(canPing(a, b.ip(), 3));
  EXPECT_EQ(forwarded(fwd[0]), before);
  EXPECT_THAT(directPaths(0), Not(HasSubstr("n_packets=0,")));

  // Without traffic the direct path idles out.
  EXPECT_TRUE(waitFor([&] { return directPaths(0).find(b.ip()) == std::string::npos; },
                      std::chrono::seconds(8)))
      << directPaths(0);
}

TEST_F(ZetaTest, ADeleteMessageRemovesTheDirectPath) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  // No idle timeout: only the delete can remove the direct path.
  ASSERT_NO_FATAL_FAILURE(runFwds(kOamPort, 0));
  ASSERT_TRUE(pingEventually(a, b.ip()));
  ASSERT_TRUE(waitFor([&] { return directPaths(0).find("nw_dst=" + b.ip()) != std::string::npos; },
                      std::chrono::seconds(5)));
  auto r = sendOam(*fwd[0].ns, "delete", 0, icmpFlow());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(waitFor([&] { return directPaths(0).find(b.ip()) == std::string::npos; },
                      std::chrono::seconds(5)))
      << directPaths(0);
}

TEST_F(ZetaTest, TwoFwdsShareTheFlowsThroughTheSelectGroup) {
  ASSERT_NO_FATAL_FAILURE(start(2));
  // Forward only (no OAM), so every flow keeps going through the group.
  ASSERT_NO_FATAL_FAILURE(runFwds(0, 0));
  std::string g = groups(0);
  EXPECT_THAT(g, HasSubstr("type=select"));
  EXPECT_THAT(g, HasSubstr("bucket_id:0"));
  EXPECT_THAT(g, HasSubstr("bucket_id:1"));
  EXPECT_THAT(g, HasSubstr("set_field:" + fwd[0].ip + "->tun_dst"));
  EXPECT_THAT(g, HasSubstr("set_field:" + fwd[1].ip + "->tun_dst"));
  ASSERT_TRUE(pingEventually(a, b.ip()));
  // 40 UDP flows (a new source port each): the group hashes them over both FWDs.
  auto r =
      a.ns->shell("for i in $(seq 40); do echo x > /dev/udp/" + b.ip() + "/9999; sleep 0.02; done");
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(waitFor([&] { return forwarded(fwd[0]) > 0 && forwarded(fwd[1]) > 0; },
                      std::chrono::seconds(5)))
      << forwarded(fwd[0]) << " / " << forwarded(fwd[1]);
  EXPECT_GE(forwarded(fwd[0]) + forwarded(fwd[1]), 40u);
  EXPECT_THAT(directPaths(0), Not(HasSubstr("nw_dst")));
}

TEST_F(ZetaTest, GarbageAndForeignOamMessagesChangeNothing) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  ASSERT_NO_FATAL_FAILURE(runFwds(0, 0));
  const std::string before = directPaths(0);
  // Malformed datagrams from the FWD itself.
  auto r = sendOam(*fwd[0].ns, "garbage", 0, icmpFlow());
  ASSERT_TRUE(r.ok()) << r.describe();
  // Well-formed injects that must be refused: from a host that is not a FWD, for a VNI that is
  // not the VPC's.
  r = sendOam(cluster->infra(), "inject", 0, icmpFlow());
  ASSERT_TRUE(r.ok()) << r.describe();
  r = sendOam(*fwd[0].ns, "inject", 0, a.ip() + "," + b.ip() + ",1,0,0," + std::to_string(vni + 1));
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE(waitFor(
      [&] {
        std::ifstream log(cluster->node(0).agentLog());
        std::stringstream text;
        text << log.rdbuf();
        return text.str().find("dropped OAM message (4)") != std::string::npos &&
               text.str().find("is not a FWD") != std::string::npos &&
               text.str().find("has no local port behind a Zeta gateway") != std::string::npos;
      },
      std::chrono::seconds(5)));
  EXPECT_EQ(directPaths(0), before);
  // The agent still works: a valid inject from the FWD is applied.
  r = sendOam(*fwd[0].ns, "inject", 0, icmpFlow());
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_TRUE(waitFor([&] { return directPaths(0).find("nw_dst=" + b.ip()) != std::string::npos; },
                      std::chrono::seconds(5)))
      << directPaths(0);
}

TEST_F(ZetaTest, TheGroupFollowsTheFwdListAndGoesWithTheLastPort) {
  ASSERT_NO_FATAL_FAILURE(start(1));
  auto g = cluster->rest(
      "PUT", "/project/" + cluster->project() + "/gateways/" + gateway,
      {{"gateway",
        {{"destinations",
          {{{"ip_address", fwd[0].ip}, {"mac_address", fwd[0].mac}},
           {{"ip_address", "10.200.0.250"}, {"mac_address", "02:5a:00:00:00:fa"}}}}}}});
  ASSERT_EQ(g.status, 200) << g.raw;
  EXPECT_TRUE(waitFor([&] { return groups(0).find("10.200.0.250") != std::string::npos; },
                      std::chrono::seconds(5)))
      << groups(0);
  ASSERT_TRUE(cluster->delPod(a, vpc, subnet).ok());
  EXPECT_TRUE(waitFor([&] { return groups(0).find("group_id=") == std::string::npos; },
                      std::chrono::seconds(10)))
      << groups(0);
  EXPECT_TRUE(flowsMentioning(cluster->node(0), "group:").empty());
}

}  // namespace
}  // namespace alcor::testing
