// The in-agent DHCP server: what it answers from the GoalState's DHCP entries, and the frames it
// sends back through the switch.

#include "node-agent/dhcp/dhcp_responder.h"

#include <gtest/gtest.h>

#include "lib/openflow/fake_connection.h"
#include "lib/packet/builder.h"
#include "lib/packet/packet.h"
#include "tests/fakes/fake_dataplane.h"
#include "tests/unit/agent/test_state.h"

namespace alcor::agent {
namespace {

using namespace alcor::agent::testing;
using packet::DhcpMessage;
using packet::DhcpMessageType;

DhcpMessage request(DhcpMessageType type, const char* chaddr) {
  DhcpMessage m;
  m.op = packet::kBootRequest;
  m.xid = 0x1234;
  m.chaddr = mac(chaddr);
  m.message_type = type;
  return m;
}

class DhcpTest : public ::testing::Test {
 protected:
  DhcpTest() {
    addVpc(state);
    addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
  }
  NetworkState state;
  DhcpOptions options{3600, 1450};
};

TEST_F(DhcpTest, DiscoverGetsAnOfferWithTheSubnetsOptions) {
  auto reply =
      answerDhcp(request(DhcpMessageType::kDiscover, "fa:16:3e:00:00:05"), state, "p1", options);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->message_type, DhcpMessageType::kOffer);
  EXPECT_EQ(reply->xid, 0x1234u);
  EXPECT_EQ(reply->yiaddr, ip("10.1.0.5"));
  EXPECT_EQ(reply->server_id, ip("10.1.0.1"));
  EXPECT_EQ(reply->subnet_mask, ip("255.255.255.0"));
  EXPECT_EQ(reply->routers, std::vector<Ipv4Address>{ip("10.1.0.1")});
  EXPECT_EQ(reply->dns_servers, std::vector<Ipv4Address>{ip("10.1.0.2")});
  EXPECT_EQ(reply->lease_time, 3600u);
  EXPECT_EQ(reply->mtu, 1450);
  EXPECT_EQ(reply->host_name, "host-p1");
}

TEST_F(DhcpTest, RequestForTheRightAddressIsAcked) {
  auto req = request(DhcpMessageType::kRequest, "fa:16:3e:00:00:05");
  req.requested_ip = ip("10.1.0.5");
  req.server_id = ip("10.1.0.1");
  auto reply = answerDhcp(req, state, "p1", options);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->message_type, DhcpMessageType::kAck);
  EXPECT_EQ(reply->yiaddr, ip("10.1.0.5"));
}

TEST_F(DhcpTest, RequestForAnotherAddressIsNaked) {
  auto req = request(DhcpMessageType::kRequest, "fa:16:3e:00:00:05");
  req.requested_ip = ip("10.1.0.77");
  auto reply = answerDhcp(req, state, "p1", options);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->message_type, DhcpMessageType::kNak);
}

TEST_F(DhcpTest, NothingIsSentForReleaseForeignMacsOrDisabledSubnets) {
  EXPECT_FALSE(
      answerDhcp(request(DhcpMessageType::kRelease, "fa:16:3e:00:00:05"), state, "p1", options));
  EXPECT_FALSE(
      answerDhcp(request(DhcpMessageType::kDiscover, "fa:16:3e:00:00:99"), state, "p1", options));
  EXPECT_FALSE(answerDhcp(request(DhcpMessageType::kDiscover, "fa:16:3e:00:00:05"), state,
                          "unknown-port", options));
  state.subnets["sub-vpc-a"].dhcp_enabled = false;
  EXPECT_FALSE(
      answerDhcp(request(DhcpMessageType::kDiscover, "fa:16:3e:00:00:05"), state, "p1", options));
}

TEST_F(DhcpTest, HostRoutesGoInOption121WithTheDefaultRoute) {
  state.subnets["sub-vpc-a"].host_routes = {
      HostRoute{*Ipv4Prefix::parse("172.16.0.0/16"), ip("10.1.0.254")}};
  auto reply =
      answerDhcp(request(DhcpMessageType::kDiscover, "fa:16:3e:00:00:05"), state, "p1", options);
  ASSERT_TRUE(reply);
  ASSERT_EQ(reply->classless_routes.size(), 2u);
  EXPECT_EQ(reply->classless_routes[0].router, ip("10.1.0.254"));
  EXPECT_EQ(reply->classless_routes[1].destination.length(), 0);
}

TEST_F(DhcpTest, PacketInIsAnsweredWithAPacketOutToThePort) {
  FakeDataplane dataplane;
  ASSERT_TRUE(dataplane.update(tracked([&](NetworkState& s) { s = state; })).ok());
  openflow::FakeConnection of;
  DhcpResponder responder(dataplane, of, options);

  auto discover = request(DhcpMessageType::kDiscover, "fa:16:3e:00:00:05");
  discover.flags = packet::kDhcpBroadcastFlag;
  openflow::PacketIn in;
  in.match.in_port = 7;
  in.data = packet::PacketBuilder()
                .ethernet(mac("fa:16:3e:00:00:05"), packet::kBroadcastMac)
                .ipv4(Ipv4Address(), ip("255.255.255.255"))
                .udp(68, 67)
                .payload(packet::serializeDhcp(discover))
                .build();
  responder.handlePacketIn(in);
  const auto outs = of.packetOuts();
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(responder.replies(), 1u);
  const auto& out = outs[0];
  EXPECT_EQ(out.actions, std::vector<openflow::Action>{openflow::output(7)});
  auto parsed = packet::parsePacket(out.data);
  ASSERT_TRUE(parsed.ok());
  ASSERT_TRUE(parsed->udp);
  EXPECT_EQ(parsed->udp->dst_port, 68);
  auto offer = packet::parseDhcp(parsed->payload(out.data));
  ASSERT_TRUE(offer.ok());
  EXPECT_EQ(offer->message_type, DhcpMessageType::kOffer);
  EXPECT_EQ(offer->yiaddr, ip("10.1.0.5"));
  EXPECT_EQ(parsed->ethernet.src, mac("aa:bb:cc:00:00:01"));  // the gateway answers
}

TEST_F(DhcpTest, GarbageIsDroppedWithoutAReply) {
  FakeDataplane dataplane;
  openflow::FakeConnection of;
  DhcpResponder responder(dataplane, of, options);
  openflow::PacketIn in;
  in.match.in_port = 7;
  in.data = {1, 2, 3};
  responder.handlePacketIn(in);
  in.match.in_port.reset();
  responder.handlePacketIn(in);
  EXPECT_TRUE(of.packetOuts().empty());
  EXPECT_EQ(responder.dropped(), 2u);
}

}  // namespace
}  // namespace alcor::agent
