// On-demand resolution: a punted ARP miss or unicast miss becomes one ON_DEMAND request with the
// VNI and 5-tuple; on SUCCESS the frame goes back into the pipeline at table 0 from its port;
// per-port rate limit, merging of identical queries, a bounded queue and a negative cache keep
// the controller safe from a chatty pod.

#include "node-agent/ondemand/ondemand_resolver.h"

#include <gtest/gtest.h>

#include "lib/openflow/fake_connection.h"
#include "lib/packet/builder.h"
#include "node-agent/pipeline/flow_builder.h"
#include "tests/fakes/fake_dataplane.h"
#include "tests/harness/process.h"
#include "tests/unit/agent/test_state.h"

namespace alcor::agent {
namespace {

using namespace alcor::agent::testing;
using Clock = std::chrono::steady_clock;

packet::Bytes arpRequest(const char* sender_ip, const char* target_ip) {
  packet::ArpPacket arp;
  arp.op = packet::kArpRequest;
  arp.sender_mac = mac("fa:16:3e:00:00:05");
  arp.sender_ip = ip(sender_ip);
  arp.target_ip = ip(target_ip);
  return packet::PacketBuilder().ethernet(arp.sender_mac, packet::kBroadcastMac).arp(arp).build();
}

openflow::PacketIn punt(packet::Bytes frame, uint32_t in_port, uint8_t userdata) {
  openflow::PacketIn in;
  in.match.in_port = in_port;
  in.data = std::move(frame);
  in.userdata = {userdata};
  return in;
}

class OnDemandResolverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    (void)dataplane.update([](NetworkState& s, ChangeSet&) {
      addVpc(s);
      addPort(s, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
    });
  }
  OnDemandResolver& resolver(OnDemandOptions options = {}) {
    resolver_ = std::make_unique<OnDemandResolver>(dataplane, of, client, options);
    return *resolver_;
  }
  bool idle(OnDemandResolver& r) { return r.waitIdle(Clock::now() + std::chrono::seconds(5)); }

  FakeDataplane dataplane;
  openflow::FakeConnection of;
  FakeOnDemandClient client;
  std::unique_ptr<OnDemandResolver> resolver_;
};

TEST_F(OnDemandResolverTest, ArpMissAsksTheControllerAndReinjectsTheRequest) {
  auto& r = resolver();
  auto frame = arpRequest("10.1.0.5", "10.1.0.9");
  r.handlePacketIn(punt(frame, 7, pipeline::kPuntArpMiss));
  ASSERT_TRUE(idle(r));

  auto requests = client.requests();
  ASSERT_EQ(requests.size(), 1u);
  ASSERT_EQ(requests[0].state_requests_size(), 1);
  const auto& q = requests[0].state_requests(0);
  EXPECT_EQ(q.request_type(), schema::ON_DEMAND);
  EXPECT_EQ(q.tunnel_id(), 1001u);
  EXPECT_EQ(q.source_ip(), "10.1.0.5");
  EXPECT_EQ(q.destination_ip(), "10.1.0.9");
  EXPECT_EQ(q.ethertype(), schema::IPV4);
  EXPECT_EQ(q.protocol(), schema::ARP);
  EXPECT_FALSE(q.request_id().empty());

  auto outs = of.packetOuts();
  ASSERT_EQ(outs.size(), 1u);
  EXPECT_EQ(outs[0].in_port, 7u);
  EXPECT_EQ(outs[0].actions, std::vector<openflow::Action>{openflow::output(openflow::kPortTable)});
  EXPECT_EQ(outs[0].data, frame);
  EXPECT_EQ(r.stats().resolved, 1u);
  EXPECT_EQ(r.stats().reinjected, 1u);
}

TEST_F(OnDemandResolverTest, TheNodeAsksThroughItsHostGatewayLikeAPod) {
  (void)dataplane.update([](NetworkState& s, ChangeSet&) {
    addPort(s, "gw", "vpc-a", "10.1.0.2", "fa:16:3e:00:00:02", 0);
    s.host_gateways["vpc-a"] = HostGateway{"vpc-a", "gw", "alcor-gw0", 9};
  });
  auto& r = resolver();
  auto frame = arpRequest("10.1.0.2", "10.1.0.9");
  r.handlePacketIn(punt(frame, 9, pipeline::kPuntArpMiss));
  ASSERT_TRUE(idle(r));
  ASSERT_EQ(client.requests().size(), 1u);
  EXPECT_EQ(client.requests()[0].state_requests(0).tunnel_id(), 1001u);
  ASSERT_EQ(of.packetOuts().size(), 1u);
  EXPECT_EQ(of.packetOuts()[0].in_port, 9u);
}

TEST_F(OnDemandResolverTest, UnicastMissCarriesTheFiveTuple) {
  auto& r = resolver();
  packet::TcpHeader tcp;
  tcp.src_port = 40000;
  tcp.dst_port = 80;
  auto frame = packet::PacketBuilder()
                   .ethernet(mac("fa:16:3e:00:00:05"), mac("fa:16:3e:00:00:99"))
                   .ipv4(ip("10.1.0.5"), ip("10.1.0.99"))
                   .tcp(tcp)
                   .build();
  r.handlePacketIn(punt(frame, 7, pipeline::kPuntUnicastMiss));
  ASSERT_TRUE(idle(r));
  auto requests = client.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& q = requests[0].state_requests(0);
  EXPECT_EQ(q.destination_ip(), "10.1.0.99");
  EXPECT_EQ(q.source_port(), 40000u);
  EXPECT_EQ(q.destination_port(), 80u);
  EXPECT_EQ(q.protocol(), schema::TCP);
}

TEST_F(OnDemandResolverTest, UnroutableAnswersAreNotReinjectedAndNotAskedAgainAtOnce) {
  client.setResponder([](const schema::HostRequest& req) {
    return FakeOnDemandClient::replyAll(req, schema::FAILURE);
  });
  auto& r = resolver();
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.9"), 7, pipeline::kPuntArpMiss));
  ASSERT_TRUE(idle(r));
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.9"), 7, pipeline::kPuntArpMiss));
  ASSERT_TRUE(idle(r));
  EXPECT_EQ(client.requests().size(), 1u);
  EXPECT_TRUE(of.packetOuts().empty());
  EXPECT_EQ(r.stats().unresolved, 1u);
  EXPECT_EQ(r.stats().negative_hits, 1u);
}

TEST_F(OnDemandResolverTest, ControllerErrorsAreCountedNotFatal) {
  client.setResponder([](const schema::HostRequest&) -> StatusOr<schema::HostRequestReply> {
    return unavailableError("controller down");
  });
  auto& r = resolver();
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.9"), 7, pipeline::kPuntArpMiss));
  ASSERT_TRUE(idle(r));
  EXPECT_EQ(r.stats().errors, 1u);
  EXPECT_TRUE(of.packetOuts().empty());
}

TEST_F(OnDemandResolverTest, AChattyPortIsRateLimited) {
  // The controller is slow, so queries pile up; each distinct address costs a token.
  std::mutex gate;
  gate.lock();
  client.setResponder([&](const schema::HostRequest& req) {
    std::lock_guard wait(gate);
    return FakeOnDemandClient::replyAll(req, schema::FAILURE);
  });
  auto& r = resolver({.per_port_rate = 0.001, .per_port_burst = 3});
  for (int i = 0; i < 10; ++i) {
    std::string target = "10.1.0." + std::to_string(100 + i);
    r.handlePacketIn(punt(arpRequest("10.1.0.5", target.c_str()), 7, pipeline::kPuntArpMiss));
  }
  gate.unlock();
  ASSERT_TRUE(idle(r));
  EXPECT_EQ(r.stats().rate_limited, 7u);
  EXPECT_EQ(r.stats().unresolved, 3u);
}

TEST_F(OnDemandResolverTest, IdenticalQueriesAreMergedAndTheQueueIsBounded) {
  std::mutex gate;
  gate.lock();
  client.setResponder([&](const schema::HostRequest& req) {
    std::lock_guard wait(gate);
    return FakeOnDemandClient::replyAll(req, schema::SUCCESS);
  });
  (void)dataplane.update([](NetworkState& s, ChangeSet&) {
    addPort(s, "p2", "vpc-a", "10.1.0.6", "fa:16:3e:00:00:06", 8);
  });
  auto& r = resolver({.queue_capacity = 2, .max_batch = 1});
  // First query: taken by the worker, which blocks on the controller.
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.50"), 7, pipeline::kPuntArpMiss));
  ASSERT_TRUE(::alcor::testing::waitFor([&] { return client.requests().size() == 1; },
                                        std::chrono::milliseconds(5000)));
  // Same address from another port: merged, its frame re-injected from its own port later.
  r.handlePacketIn(punt(arpRequest("10.1.0.6", "10.1.0.50"), 8, pipeline::kPuntArpMiss));
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.51"), 7, pipeline::kPuntArpMiss));
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.52"), 7, pipeline::kPuntArpMiss));
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.53"), 7, pipeline::kPuntArpMiss));
  gate.unlock();
  ASSERT_TRUE(idle(r));
  EXPECT_EQ(r.stats().merged, 1u);
  EXPECT_EQ(r.stats().queue_full, 1u);
  EXPECT_EQ(r.stats().resolved, 3u);
  auto outs = of.packetOuts();
  ASSERT_EQ(outs.size(), 4u);
  EXPECT_EQ(outs[0].in_port, 7u);
  EXPECT_EQ(outs[1].in_port, 8u);
}

TEST_F(OnDemandResolverTest, FramesThatCannotBeAskedAboutAreIgnored) {
  auto& r = resolver();
  const uint8_t miss = pipeline::kPuntArpMiss;
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.9"), 99, miss));  // not a pod port
  r.handlePacketIn(punt({1, 2, 3}, 7, miss));                            // junk
  r.handlePacketIn(punt(arpRequest("10.1.0.5", "10.1.0.5"), 7, miss));   // gratuitous ARP
  openflow::PacketIn no_port;
  no_port.data = arpRequest("10.1.0.5", "10.1.0.9");
  r.handlePacketIn(no_port);
  ASSERT_TRUE(idle(r));
  EXPECT_EQ(r.stats().ignored, 4u);
  EXPECT_TRUE(client.requests().empty());
}

}  // namespace
}  // namespace alcor::agent
