// The flows the pipeline computes for typical states, in ovs-ofctl syntax, so they can be read
// against docs/design/ovs-pipeline.md.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node-agent/pipeline/cookie.h"
#include "node-agent/pipeline/flow_builder.h"
#include "tests/unit/agent/test_state.h"

namespace alcor::agent::pipeline {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace alcor::agent::testing;

std::vector<std::string> format(const DesiredFlows& d) {
  std::vector<std::string> out;
  for (const auto& f : d.flows) out.push_back(openflow::formatFlow(f));
  return out;
}

// Lines that contain every fragment.
std::vector<std::string> grep(const std::vector<std::string>& lines,
                              std::initializer_list<std::string> fragments) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    bool all = true;
    for (const auto& f : fragments) all = all && l.find(f) != std::string::npos;
    if (all) out.push_back(l);
  }
  return out;
}

class PipelineTest : public ::testing::Test {
 protected:
  DesiredFlows build() {
    EXPECT_TRUE(segments.sync(state.localVnis()).ok());
    return buildFlows(state, segments, config);
  }
  NetworkState state;
  SegmentAllocator segments;
  PipelineConfig config{100};
};

TEST_F(PipelineTest, EmptyStateHasOnlyTableMisses) {
  auto d = build();
  for (const auto& f : d.flows) {
    EXPECT_EQ(cookieCategory(f.cookie), CookieCategory::kStatic) << openflow::formatFlow(f);
  }
  EXPECT_TRUE(d.programmed_ports.empty());
}

TEST_F(PipelineTest, PlugedPortGetsClassifierSpoofGuardL2AndOutput) {
  addVpc(state);
  addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
  auto d = build();
  auto lines = format(d);
  EXPECT_EQ(d.programmed_ports, std::set<std::string>{"p1"});
  // Classifier loads source, VNI (1001 = 0x3e9) and segment 1.
  auto classify = grep(lines, {"priority=200,in_port=7 "});  // table 0 is not printed
  ASSERT_EQ(classify.size(), 1u) << ::testing::PrintToString(lines);
  EXPECT_THAT(classify[0], HasSubstr("0x3e9"));
  EXPECT_THAT(classify[0], HasSubstr("goto_table:10"));
  EXPECT_EQ(grep(lines, {"table=10", "in_port=7", "nw_src=10.1.0.5"}).size(), 1u);
  EXPECT_EQ(grep(lines, {"table=10", "in_port=7", "arp_spa=10.1.0.5"}).size(), 1u);
  EXPECT_EQ(grep(lines, {"table=50", "dl_dst=fa:16:3e:00:00:05"}).size(), 1u);
  EXPECT_EQ(grep(lines, {"table=70", "output:7"}).size(), 1u);
  // ARP answers for the port and for the gateway.
  EXPECT_EQ(grep(lines, {"table=20", "priority=200", "arp_tpa=10.1.0.5"}).size(), 1u);
  // ...except the port's own gratuitous ARP.
  auto garp = grep(lines, {"table=20", "priority=210", "arp_tpa=10.1.0.5"});
  ASSERT_EQ(garp.size(), 1u);
  EXPECT_THAT(garp[0], HasSubstr("reg4=0x7"));
  EXPECT_THAT(garp[0], HasSubstr("goto_table:25"));
  EXPECT_EQ(grep(lines, {"table=20", "arp_tpa=10.1.0.1"}).size(), 1u);
  // DHCP is punted to the agent.
  EXPECT_EQ(grep(lines, {"table=25", "in_port=7", "controller"}).size(), 1u);
}

TEST_F(PipelineTest, PortWithoutInterfaceGetsNoFlows) {
  addVpc(state);
  addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 0);
  auto d = build();
  EXPECT_TRUE(d.programmed_ports.empty());
  EXPECT_TRUE(grep(format(d), {"fa:16:3e:00:00:05"}).empty());
}

TEST_F(PipelineTest, TwoVpcsGetDifferentSegmentsAndNoSharedForwarding) {
  addVpc(state, "vpc-a", 1001);
  addVpc(state, "vpc-b", 2002, "10.1.0.0/24", "10.1.0.1");  // overlapping CIDR
  addPort(state, "a1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 1);
  addPort(state, "b1", "vpc-b", "10.1.0.5", "fa:16:3e:00:00:06", 2);
  auto d = build();
  ASSERT_NE(segments.segmentOf(1001), segments.segmentOf(2002));
  for (const auto& f : d.flows) {
    if (f.table == 50 && f.match.eth_dst && !f.match.eth_dst->mask) {
      // Every L2 forwarding flow is bound to one segment.
      ASSERT_TRUE(f.match.reg[3].has_value()) << openflow::formatFlow(f);
    }
  }
  auto lines = format(d);
  // The flood flow of each segment outputs only to that segment's port.
  auto floods = grep(lines, {"table=50", "priority=100"});
  ASSERT_EQ(floods.size(), 2u);
  for (const auto& f : floods) {
    EXPECT_TRUE((f.find("output:1") != std::string::npos) !=
                (f.find("output:2") != std::string::npos))
        << f;
  }
}

TEST_F(PipelineTest, NeighborsGetTunnelFlowsOnlyWhenTheirVpcHasALocalPort) {
  addVpc(state);
  addNeighbor(state, "n1", "vpc-a", "10.1.0.9", "fa:16:3e:00:00:09", "192.168.0.20");
  EXPECT_TRUE(grep(format(build()), {"fa:16:3e:00:00:09"}).empty());

  addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
  auto lines = format(build());
  auto tunnel = grep(lines, {"table=50", "dl_dst=fa:16:3e:00:00:09"});
  ASSERT_EQ(tunnel.size(), 1u);
  EXPECT_THAT(tunnel[0], HasSubstr("192.168.0.20->tun_dst"));
  EXPECT_THAT(tunnel[0], HasSubstr("output:100"));
  EXPECT_EQ(grep(lines, {"table=20", "arp_tpa=10.1.0.9"}).size(), 1u);
  // Traffic from the tunnel with the VPC's VNI is classified into the segment.
  EXPECT_EQ(grep(lines, {"priority=200,tun_id=0x3e9,in_port=100"}).size(), 1u);
}

TEST_F(PipelineTest, NoTunnelPortMeansNoOverlayFlows) {
  config.tunnel_ofport = 0;
  addVpc(state);
  addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
  addNeighbor(state, "n1", "vpc-a", "10.1.0.9", "fa:16:3e:00:00:09", "192.168.0.20");
  auto lines = format(build());
  EXPECT_TRUE(grep(lines, {"tun_id"}).empty());
  EXPECT_TRUE(grep(lines, {"fa:16:3e:00:00:09"}).empty());
}

TEST_F(PipelineTest, CookiesNameTheOwner) {
  addVpc(state);
  addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
  for (const auto& f : build().flows) {
    if (f.table == 70 && f.priority == 100) {
      EXPECT_EQ(f.cookie, makeCookie(CookieCategory::kPort, "p1"));
    }
  }
}

TEST(SegmentAllocatorTest, KeepsSegmentsStableAndRecyclesFreedOnes) {
  SegmentAllocator s;
  ASSERT_TRUE(s.sync({10, 20}).ok());
  auto a = s.segmentOf(10), b = s.segmentOf(20);
  ASSERT_TRUE(a && b);
  EXPECT_NE(*a, *b);
  ASSERT_TRUE(s.sync({20, 30}).ok());
  EXPECT_EQ(s.segmentOf(20), b);
  EXPECT_FALSE(s.segmentOf(10).has_value());
  EXPECT_EQ(s.segmentOf(30), a);  // the freed segment is reused
}

TEST(SegmentAllocatorTest, SurvivesARestartThroughItsFile) {
  std::string path = ::testing::TempDir() + "/segments-" + std::to_string(getpid()) + ".json";
  {
    SegmentAllocator s(path);
    ASSERT_TRUE(s.load().ok());
    ASSERT_TRUE(s.sync({5, 6, 7}).ok());
    ASSERT_TRUE(s.sync({6, 7}).ok());
  }
  SegmentAllocator again(path);
  ASSERT_TRUE(again.load().ok());
  EXPECT_EQ(again.all().size(), 2u);
  EXPECT_EQ(again.segmentOf(6), std::optional<uint16_t>(2));
  EXPECT_EQ(again.segmentOf(7), std::optional<uint16_t>(3));
  std::remove(path.c_str());
}

TEST(SegmentAllocatorTest, RejectsACorruptFile) {
  std::string path = ::testing::TempDir() + "/segments-bad-" + std::to_string(getpid()) + ".json";
  FILE* f = fopen(path.c_str(), "w");
  fputs("{\"5\": 0, \"6\": 9999}", f);
  fclose(f);
  SegmentAllocator s(path);
  EXPECT_FALSE(s.load().ok());
  EXPECT_TRUE(s.all().empty());
  std::remove(path.c_str());
}

TEST(SegmentAllocatorTest, ReportsExhaustion) {
  SegmentAllocator s;
  std::set<uint32_t> vnis;
  for (uint32_t v = 1; v <= 4095; ++v) vnis.insert(v);
  Status st = s.sync(vnis);
  EXPECT_EQ(st.code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace alcor::agent::pipeline
