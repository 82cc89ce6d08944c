// OAM handling: decode, check against the agent's state, install/remove direct paths; and the
// UDP server on a real loopback socket.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "lib/openflow/fake_connection.h"
#include "node-agent/pipeline/cookie.h"
#include "node-agent/zeta/oam_server.h"
#include "tests/fakes/fake_dataplane.h"
#include "tests/unit/agent/test_state.h"

namespace alcor::agent::zeta {
namespace {

using namespace alcor::agent::testing;
using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr uint16_t kOamPort = 8300;
const Ipv4Address kFwd = *Ipv4Address::parse("192.168.0.201");

OamMessage inject() {
  OamMessage m;
  m.op = OamOp::kInject;
  m.key = {ip("10.1.0.5"), ip("10.1.0.9"), 5000, 53, 17, 1001};
  m.instance_ip = ip("10.1.0.9");
  m.node_ip = ip("192.168.0.11");
  m.instance_mac = mac("fa:16:3e:00:00:09");
  m.idle_timeout = 2;
  return m;
}

class OamHandlerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(
        dataplane
            .update(tracked([](NetworkState& s) {
              addVpc(s);
              addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
              Gateway g{"zeta-1", GatewayType::kZeta, {{kFwd, mac("02:5a:00:00:00:01")}}, kOamPort};
              s.gateways[g.id] = g;
              s.vpcs["vpc-a"].gateway_ids = {g.id};
            }))
            .ok());
  }
  void deliver(const OamMessage& m, Ipv4Address from = kFwd, uint16_t port = kOamPort) {
    auto bytes = encodeOam(m);
    handler.handle(bytes.data(), bytes.size(), from, port);
  }
  std::vector<openflow::Flow> directPaths() {
    std::vector<openflow::Flow> out;
    for (const auto& f : of.flows()) {
      if (pipeline::cookieCategory(f.cookie) == pipeline::CookieCategory::kDirectPath) {
        out.push_back(f);
      }
    }
    return out;
  }

  FakeDataplane dataplane;
  openflow::FakeConnection of;
  DirectPathTable paths{of, 100};
  OamHandler handler{dataplane, paths};
};

TEST_F(OamHandlerTest, InjectInstallsADirectPathWithTheIdleTimeout) {
  deliver(inject());
  auto flows = directPaths();
  ASSERT_THAT(flows, SizeIs(1));
  EXPECT_EQ(flows[0].idle_timeout, 2);
  EXPECT_THAT(openflow::formatFlow(flows[0]), HasSubstr("192.168.0.11->tun_dst"));
  EXPECT_EQ(handler.stats().injected, 1u);
  deliver(inject());  // a repeat replaces, never duplicates
  EXPECT_THAT(directPaths(), SizeIs(1));
}

TEST_F(OamHandlerTest, DeleteRemovesIt) {
  deliver(inject());
  OamMessage del = inject();
  del.op = OamOp::kDelete;
  deliver(del);
  EXPECT_THAT(directPaths(), SizeIs(0));
  EXPECT_EQ(handler.stats().deleted, 1u);
}

TEST_F(OamHandlerTest, MalformedMessagesAreCountedAndDropped) {
  const uint8_t short_msg[3] = {0, 0, 0};
  handler.handle(short_msg, sizeof(short_msg), kFwd, kOamPort);
  auto bad_op = encodeOam(inject());
  bad_op[3] = 9;
  handler.handle(bad_op.data(), bad_op.size(), kFwd, kOamPort);
  handler.handle(nullptr, 0, kFwd, kOamPort);
  EXPECT_EQ(handler.stats().malformed, 3u);
  EXPECT_EQ(handler.stats().received, 3u);
  EXPECT_THAT(directPaths(), SizeIs(0));
}

TEST_F(OamHandlerTest, MessagesNotFromTheVpcsFwdsAreRefused) {
  deliver(inject(), ip("192.168.0.99"));  // not a FWD
  deliver(inject(), kFwd, 9999);          // not the gateway's OAM port
  OamMessage other_vni = inject();
  other_vni.key.vni = 2002;
  deliver(other_vni);
  OamMessage no_destination = inject();  // the codec already refuses it
  no_destination.node_ip = Ipv4Address();
  deliver(no_destination);
  EXPECT_EQ(handler.stats().unexpected, 3u);
  EXPECT_EQ(handler.stats().malformed, 1u);
  EXPECT_THAT(directPaths(), SizeIs(0));
}

TEST_F(OamHandlerTest, PathsOfAVniThatLeftArePruned) {
  deliver(inject());
  handler.prune();
  EXPECT_THAT(directPaths(), SizeIs(1));
  ASSERT_TRUE(dataplane.update(tracked([](NetworkState& s) { s.interfaces.clear(); })).ok());
  EXPECT_THAT(handler.wantedPorts(), SizeIs(0));
  handler.prune();
  EXPECT_THAT(directPaths(), SizeIs(0));
}

TEST_F(OamHandlerTest, WantedPortsAreThoseOfLocalZetaVpcs) {
  EXPECT_EQ(handler.wantedPorts(), std::set<uint16_t>{kOamPort});
}

// The server end to end on loopback: the gateway's FWD is 127.0.0.1, the port a free one.
TEST(OamServerTest, ReceivesOnTheGatewaysPortAndAppliesInjects) {
  int probe = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  const uint16_t port = ntohs(addr.sin_port);
  close(probe);

  FakeDataplane dataplane;
  ASSERT_TRUE(
      dataplane
          .update(tracked([&](NetworkState& s) {
            addVpc(s);
            addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
            s.gateways["z"] = Gateway{
                "z", GatewayType::kZeta, {{ip("127.0.0.1"), mac("02:5a:00:00:00:01")}}, port};
            s.vpcs["vpc-a"].gateway_ids = {"z"};
          }))
          .ok());
  openflow::FakeConnection of;
  DirectPathTable paths(of, 100);
  OamHandler handler(dataplane, paths);
  OamServer server(handler, {"127.0.0.1", std::chrono::milliseconds(50)});
  ASSERT_TRUE(server.start().ok());
  ASSERT_TRUE([&] {
    for (int i = 0; i < 200 && !server.listeningPorts().count(port); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return server.listeningPorts().count(port) == 1;
  }());

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  auto send = [&](const std::vector<uint8_t>& bytes) {
    sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  };
  send(std::vector<uint8_t>(1000, 0xab));  // oversized
  send(encodeOam(inject()));
  for (int i = 0; i < 200 && handler.stats().injected == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  close(fd);
  EXPECT_EQ(handler.stats().injected, 1u);
  EXPECT_EQ(handler.stats().malformed, 1u);
  EXPECT_THAT(of.flows(), ::testing::Contains(::testing::Field(&openflow::Flow::idle_timeout, 2)));

  // The port closes when no local VPC uses the gateway any more.
  ASSERT_TRUE(dataplane.update(tracked([](NetworkState& s) { s.interfaces.clear(); })).ok());
  for (int i = 0; i < 200 && !server.listeningPorts().empty(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_THAT(server.listeningPorts(), SizeIs(0));
  server.stop();
}

}  // namespace
}  // namespace alcor::agent::zeta
