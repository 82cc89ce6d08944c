// The control guard's flows: pods' TCP to the control ports is dropped in LocalServices unless
// it stays inside the pod's VPC or the pod's namespace is allowed; without ports, no flows.
// (tests/e2e/security_test.cc checks the behaviour with real packets.)

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "node-agent/pipeline/cookie.h"
#include "node-agent/pipeline/flow_builder.h"
#include "tests/unit/agent/test_state.h"

namespace alcor::agent::pipeline {
namespace {

using namespace alcor::agent::testing;
using ::testing::SizeIs;

class ControlGuardTest : public ::testing::Test {
 protected:
  std::vector<std::string> guardFlows() {
    EXPECT_TRUE(segments.sync(state.localVnis()).ok());
    std::vector<std::string> out;
    for (const auto& f : buildFlows(state, segments, config).flows) {
      if (cookieCategory(f.cookie) == CookieCategory::kControlGuard) {
        out.push_back(openflow::formatFlow(f));
      }
    }
    return out;
  }
  // The flows holding every fragment.
  static std::vector<std::string> with(std::vector<std::string> lines,
                                       std::initializer_list<std::string> fragments) {
    std::erase_if(lines, [&](const std::string& line) {
      return !std::all_of(fragments.begin(), fragments.end(),
                          [&](const std::string& f) { return line.find(f) != std::string::npos; });
    });
    return lines;
  }
  NetworkState state;
  SegmentAllocator segments;
  PipelineConfig config{100};
};

TEST_F(ControlGuardTest, DropsPodTcpToControlPortsOutsideTheVpc) {
  addVpc(state);
  addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
  EXPECT_TRUE(guardFlows().empty());  // no ports configured: no guard

  config.control_ports = {9009, 50001};
  auto flows = guardFlows();
  for (const char* port : {"tp_dst=9009", "tp_dst=50001"}) {
    auto drop = with(flows, {"table=25", "priority=110", "tcp", port, "actions=drop"});
    EXPECT_THAT(drop, SizeIs(1)) << ::testing::PrintToString(flows);
    // Inside the VPC's subnet the port is a tenant's business.
    auto in_vpc =
        with(flows, {"table=25", "priority=120", port, "nw_dst=10.1.0.0/24", "goto_table:30"});
    EXPECT_THAT(in_vpc, SizeIs(1)) << ::testing::PrintToString(flows);
  }
  EXPECT_TRUE(with(flows, {"priority=115"}).empty());  // nobody allowed
}

TEST_F(ControlGuardTest, PodsOfAllowedNamespacesPass) {
  addVpc(state);
  addPort(state, "p1", "vpc-a", "10.1.0.5", "fa:16:3e:00:00:05", 7);
  addPort(state, "p2", "vpc-a", "10.1.0.6", "fa:16:3e:00:00:06", 8);
  state.interfaces["p1"].pod_namespace = "monitoring";
  state.interfaces["p2"].pod_namespace = "tenant";
  config.control_ports = {9009};
  config.control_access_namespaces = {"monitoring"};
  auto allowed = with(guardFlows(), {"priority=115", "in_port=7", "tp_dst=9009", "goto_table:30"});
  EXPECT_THAT(allowed, SizeIs(1));
  EXPECT_TRUE(with(guardFlows(), {"priority=115", "in_port=8"}).empty());
}

}  // namespace
}  // namespace alcor::agent::pipeline
