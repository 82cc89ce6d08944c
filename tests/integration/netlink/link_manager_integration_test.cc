// LinkManagerImpl against the real kernel, as root, inside namespaces the test creates. The
// "host" side of every veth lives in a test namespace too (createVeth runs inside runInNetns),
// so nothing touches the machine's own namespace. Oracles: ip, ethtool.

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include "lib/base/unique_fd.h"
#include "lib/netlink/link_manager.h"
#include "lib/netlink/netns.h"
#include "lib/packet/packet.h"
#include "tests/harness/netns.h"

namespace alcor::netlink {
namespace {

using alcor::testing::Netns;

IpPrefix prefix(const char* s) { return *IpPrefix::parse(s); }
IpAddress ip(const char* s) { return *IpAddress::parse(s); }

class LinkManagerIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto host = Netns::create("nlh");
    ASSERT_TRUE(host.ok()) << host.status();
    host_ = std::move(*host);
    auto pod = Netns::create("nlp");
    ASSERT_TRUE(pod.ok()) << pod.status();
    pod_ = std::move(*pod);
  }

  VethSpec spec() const {
    VethSpec s;
    s.host_name = "vh-test";
    s.pod_netns = pod_->path();
    s.pod_ifname = "eth0";
    s.pod_mac = *MacAddress::parse("02:00:0a:01:00:05");
    s.mtu = 1450;
    return s;
  }

  // createVeth as the agent calls it, but from inside the test's host namespace.
  StatusOr<VethPair> createVeth(const VethSpec& s) {
    std::optional<StatusOr<VethPair>> result;
    Status ran = runInNetns(host_->path(), [&] {
      result = links_.createVeth(s);
      return okStatus();
    });
    if (!ran.ok()) return ran;
    return *result;
  }

  std::string ipIn(const Netns& ns, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"ip", "-n", ns.name()};
    argv.insert(argv.end(), args.begin(), args.end());
    auto r = alcor::testing::run(argv);
    EXPECT_TRUE(r.ok()) << r.describe();
    return r.out;
  }

  std::string ethtoolK(const Netns& ns, const std::string& ifname) {
    auto r = ns.exec({"ethtool", "-k", ifname});
    EXPECT_TRUE(r.ok()) << r.describe();
    return r.out;
  }

  LinkManagerImpl links_;
  std::unique_ptr<Netns> host_;
  std::unique_ptr<Netns> pod_;
};

TEST_F(LinkManagerIntegrationTest, CreateVethHasTheNameMacMtuStateAndOffloadAsked) {
  auto pair = createVeth(spec());
  ASSERT_TRUE(pair.ok()) << pair.status();

  std::string pod_link = ipIn(*pod_, {"-d", "link", "show", "eth0"});
  EXPECT_NE(pod_link.find("link/ether 02:00:0a:01:00:05"), std::string::npos) << pod_link;
  EXPECT_NE(pod_link.find("mtu 1450"), std::string::npos) << pod_link;
  EXPECT_NE(pod_link.find(",UP"), std::string::npos) << pod_link;
  EXPECT_NE(pod_link.find("veth"), std::string::npos) << pod_link;
  EXPECT_EQ(pod_link.rfind(std::to_string(pair->pod_ifindex) + ": eth0@", 0), 0u) << pod_link;

  std::string host_link = ipIn(*host_, {"-d", "link", "show", "vh-test"});
  EXPECT_NE(host_link.find("mtu 1450"), std::string::npos) << host_link;
  EXPECT_NE(host_link.find(",UP"), std::string::npos) << host_link;
  EXPECT_NE(host_link.find("link/ether " + pair->host_mac.toString()), std::string::npos)
      << host_link;

  EXPECT_NE(ethtoolK(*pod_, "eth0").find("tx-checksumming: off"), std::string::npos);
  EXPECT_NE(ethtoolK(*host_, "vh-test").find("tx-checksumming: off"), std::string::npos);
  // The host end is a switch port: no IPv6 link-local address (OVS would rescan on it).
  EXPECT_EQ(ipIn(*host_, {"-6", "addr", "show", "dev", "vh-test"}), "");
  // No temporary peer name is left anywhere.
  for (const auto& name : alcor::testing::linkNames(pod_->name())) {
    EXPECT_TRUE(name == "lo" || name == "eth0") << name;
  }
}

// OVS's userspace datapath reads the host end with a packet socket, so the namespace's own
// stack sees the pod's frames too: it must not answer the pod's ARP for one of its addresses
// (the host gateway's), or the pod sends there and every frame is taken twice.
TEST_F(LinkManagerIntegrationTest, TheNodeStackDoesNotAnswerArpOnAPodsHostEnd) {
  ASSERT_TRUE(createVeth(spec()).ok());
  ipIn(*host_, {"addr", "add", "10.1.0.3/32", "dev", "lo"});
  ipIn(*pod_, {"addr", "add", "10.1.0.5/24", "dev", "eth0"});
  auto arping = pod_->exec({"arping", "-c", "2", "-w", "2", "-I", "eth0", "10.1.0.3"});
  EXPECT_EQ(arping.out.find("reply from"), std::string::npos) << arping.describe();
  EXPECT_NE(arping.out.find("Received 0 response"), std::string::npos) << arping.describe();
}

TEST_F(LinkManagerIntegrationTest, CreateVethAcceptsABareNameAndCanKeepOffloadOn) {
  VethSpec s = spec();
  s.pod_netns = pod_->name();
  s.pod_mac.reset();
  s.tx_checksum_offload_off = false;
  auto pair = createVeth(s);
  ASSERT_TRUE(pair.ok()) << pair.status();
  EXPECT_FALSE(pair->pod_mac.isZero());
  EXPECT_NE(ethtoolK(*pod_, "eth0").find("tx-checksumming: on"), std::string::npos);

  auto on = getTxChecksumOffload(pod_->name(), "eth0");
  ASSERT_TRUE(on.ok()) << on.status();
  EXPECT_TRUE(*on);
  ASSERT_TRUE(links_.setTxChecksumOffload(pod_->name(), "eth0", false).ok());
  EXPECT_NE(ethtoolK(*pod_, "eth0").find("tx-checksumming: off"), std::string::npos);
  EXPECT_FALSE(*getTxChecksumOffload(pod_->name(), "eth0"));
}

TEST_F(LinkManagerIntegrationTest, ConfigureLinkSetsAddressesAndRoutesIdempotently) {
  ASSERT_TRUE(createVeth(spec()).ok());
  LinkConfig config;
  config.ifname = "eth0";
  config.mtu = 1400;
  config.addresses = {prefix("10.1.0.5/24"), prefix("fd00:1::5/64")};
  config.routes = {{prefix("0.0.0.0/0"), ip("10.1.0.1")},
                   {prefix("10.2.0.0/16"), ip("10.1.0.254")},
                   {prefix("192.168.7.0/24"), std::nullopt}};
  ASSERT_TRUE(links_.configureLink(pod_->path(), config).ok());
  ASSERT_TRUE(links_.configureLink(pod_->path(), config).ok()) << "second call must be a no-op";

  std::string addrs = ipIn(*pod_, {"addr", "show", "eth0"});
  EXPECT_NE(addrs.find("inet 10.1.0.5/24"), std::string::npos) << addrs;
  EXPECT_NE(addrs.find("inet6 fd00:1::5/64"), std::string::npos) << addrs;
  EXPECT_NE(addrs.find("mtu 1400"), std::string::npos) << addrs;
  std::string routes = ipIn(*pod_, {"route", "show"});
  EXPECT_NE(routes.find("default via 10.1.0.1 dev eth0"), std::string::npos) << routes;
  EXPECT_NE(routes.find("10.2.0.0/16 via 10.1.0.254 dev eth0"), std::string::npos) << routes;
  EXPECT_NE(routes.find("192.168.7.0/24 dev eth0 scope link"), std::string::npos) << routes;

  // Routes are replaced, not duplicated.
  config.routes = {{prefix("0.0.0.0/0"), ip("10.1.0.2")}};
  ASSERT_TRUE(links_.configureLink(pod_->path(), config).ok());
  routes = ipIn(*pod_, {"route", "show", "default"});
  EXPECT_EQ(routes, "default via 10.1.0.2 dev eth0 \n");

  auto link = links_.getLink(pod_->path(), "eth0");
  ASSERT_TRUE(link.ok()) << link.status();
  ASSERT_TRUE(*link);
  EXPECT_EQ((*link)->mtu, 1400);
  EXPECT_EQ((*link)->kind, "veth");
  EXPECT_TRUE((*link)->up);
  EXPECT_EQ((*link)->addresses, config.addresses);
  EXPECT_NE(std::find((*link)->routes.begin(), (*link)->routes.end(),
                      RouteSpec{prefix("0.0.0.0/0"), ip("10.1.0.2")}),
            (*link)->routes.end());
  EXPECT_NE(std::find((*link)->routes.begin(), (*link)->routes.end(),
                      RouteSpec{prefix("10.2.0.0/16"), ip("10.1.0.254")}),
            (*link)->routes.end());

  auto all = links_.listLinks(pod_->name());
  ASSERT_TRUE(all.ok()) << all.status();
  std::vector<std::string> names;
  for (const auto& l : *all) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"lo", "eth0"}));

  ASSERT_TRUE(links_.removeAddress(pod_->path(), "eth0", prefix("fd00:1::5/64")).ok());
  ASSERT_TRUE(links_.removeAddress(pod_->path(), "eth0", prefix("fd00:1::5/64")).ok());
  addrs = ipIn(*pod_, {"addr", "show", "eth0"});
  EXPECT_EQ(addrs.find("fd00:1::5"), std::string::npos) << addrs;
}

TEST_F(LinkManagerIntegrationTest, DefaultRouteViaAGatewayOutsideTheSubnetIsOnLink) {
  ASSERT_TRUE(createVeth(spec()).ok());
  LinkConfig config;
  config.ifname = "eth0";
  config.addresses = {prefix("10.1.0.5/32")};
  config.routes = {{prefix("0.0.0.0/0"), ip("169.254.1.1")}};
  Status s = links_.configureLink(pod_->path(), config);
  ASSERT_TRUE(s.ok()) << s;
  std::string routes = ipIn(*pod_, {"route", "show", "default"});
  EXPECT_NE(routes.find("default via 169.254.1.1 dev eth0"), std::string::npos) << routes;
  EXPECT_NE(routes.find("onlink"), std::string::npos) << routes;
}

TEST_F(LinkManagerIntegrationTest, DeleteLinkRemovesBothEndsAndIsIdempotent) {
  ASSERT_TRUE(createVeth(spec()).ok());
  ASSERT_TRUE(links_.deleteLink(pod_->path(), "eth0").ok());
  EXPECT_EQ(alcor::testing::linkNames(pod_->name()), std::vector<std::string>{"lo"});
  EXPECT_EQ(alcor::testing::linkNames(host_->name()), std::vector<std::string>{"lo"});
  EXPECT_TRUE(links_.deleteLink(pod_->path(), "eth0").ok());
  EXPECT_TRUE(links_.deleteLink("/var/run/netns/alcor-gone-netns", "eth0").ok());
  auto missing = links_.getLink(pod_->path(), "eth0");
  ASSERT_TRUE(missing.ok()) << missing.status();
  EXPECT_FALSE(*missing);
}

TEST_F(LinkManagerIntegrationTest, PodNameTakenLeavesNothingBehind) {
  // No dummy module here: a veth pair inside the pod stands for "eth0 already there".
  auto r = pod_->exec({"ip", "link", "add", "eth0", "type", "veth", "peer", "name", "eth0p"});
  ASSERT_TRUE(r.ok()) << r.describe();
  auto pair = createVeth(spec());
  EXPECT_EQ(pair.status().code(), StatusCode::kAlreadyExists) << pair.status();
  EXPECT_EQ(alcor::testing::linkNames(host_->name()), std::vector<std::string>{"lo"});
  std::vector<std::string> pod_links = alcor::testing::linkNames(pod_->name());
  std::sort(pod_links.begin(), pod_links.end());
  EXPECT_EQ(pod_links, (std::vector<std::string>{"eth0", "eth0p", "lo"}));
}

TEST_F(LinkManagerIntegrationTest, HostNameTakenOrNamespaceMissingFailsCleanly) {
  auto r = host_->exec({"ip", "link", "add", "vh-test", "type", "veth", "peer", "name", "vh-keep"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_EQ(createVeth(spec()).status().code(), StatusCode::kAlreadyExists);
  // The existing vh-test (and so its peer) is untouched, and nothing reached the pod.
  EXPECT_NE(ipIn(*host_, {"link", "show", "vh-keep"}).find("vh-keep@vh-test"), std::string::npos);
  EXPECT_EQ(alcor::testing::linkNames(pod_->name()), std::vector<std::string>{"lo"});

  VethSpec s = spec();
  s.host_name = "vh-other";
  s.pod_netns = "/var/run/netns/alcor-gone-netns";
  EXPECT_EQ(createVeth(s).status().code(), StatusCode::kNotFound);
  std::vector<std::string> host_links = alcor::testing::linkNames(host_->name());
  EXPECT_EQ(std::count(host_links.begin(), host_links.end(), "vh-other"), 0);

  s = spec();
  s.pod_ifname = "this-name-is-far-too-long";
  EXPECT_EQ(createVeth(s).status().code(), StatusCode::kInvalidArgument);
}

// Receives one ARP frame on `ifname` of the current namespace within the timeout.
StatusOr<packet::ParsedPacket> receiveArp(int fd) {
  for (int i = 0; i < 20; ++i) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 3000) <= 0) return deadlineExceededError("no ARP frame arrived");
    uint8_t buf[2048];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) continue;
    auto parsed = packet::parsePacket(packet::ByteView(buf, static_cast<size_t>(n)));
    if (parsed.ok() && parsed->arp) return parsed;
  }
  return deadlineExceededError("no ARP frame among the frames received");
}

TEST_F(LinkManagerIntegrationTest, AnnounceAddressSendsAGratuitousArpSeenOnThePeer) {
  auto pair = createVeth(spec());
  ASSERT_TRUE(pair.ok()) << pair.status();
  std::optional<StatusOr<packet::ParsedPacket>> got;
  Status s = runInNetns(host_->path(), [&]() -> Status {
    UniqueFd fd(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ARP)));
    if (!fd.valid()) return internalError("packet socket");
    sockaddr_ll addr{};
    addr.sll_family = AF_PACKET;
    addr.sll_protocol = htons(ETH_P_ARP);
    addr.sll_ifindex = static_cast<int>(if_nametoindex("vh-test"));
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      return internalError("bind");
    }
    RETURN_IF_ERROR(links_.announceAddress(pod_->path(), "eth0", ip("10.1.0.5")));
    got = receiveArp(fd.get());
    return okStatus();
  });
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_TRUE(got->ok()) << got->status();
  const packet::ParsedPacket& frame = **got;
  EXPECT_TRUE(frame.ethernet.dst.isBroadcast());
  EXPECT_EQ(frame.ethernet.src, pair->pod_mac);
  EXPECT_TRUE(frame.arp->isGratuitous());
  EXPECT_EQ(frame.arp->sender_ip.toString(), "10.1.0.5");
  EXPECT_EQ(frame.arp->sender_mac, pair->pod_mac);
  EXPECT_EQ(links_.announceAddress(pod_->path(), "eth7", ip("10.1.0.5")).code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace alcor::netlink
