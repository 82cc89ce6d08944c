// Golden GoalState -> flows tests: for every resource type and operation, a GoalState (protobuf
// text format) goes through the real GoalStateHandler and DataplaneImpl onto a FakeConnection;
// the flows it adds and removes, and the reply's statuses, must equal
// tests/testdata/pipeline-golden/<case>.txt. These files are the reference for
// docs/design/ovs-pipeline.md. Regenerate after an intended pipeline change with
//   ALCOR_UPDATE_GOLDEN=1 ./agent_pipeline_golden_test
// and review the diff.

#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "lib/openflow/fake_connection.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/goalstate/goalstate_handler.h"
#include "node-agent/pipeline/tables.h"

namespace alcor::agent {
namespace {

constexpr uint32_t kTunnelOfport = 100;

// The context most cases start from: VPC vpc-1 (VNI 1001), subnet sub-a 10.1.0.0/24 with DHCP,
// subnet sub-b 10.1.1.0/24, and local port p1 (10.1.0.5, ofport 5) plugged.
constexpr const char* kVpc = R"pb(
  vpc_states {
    key: "vpc-1"
    value {
      operation_type: CREATE
      configuration {
        id: "vpc-1"
        project_id: "proj"
        name: "vpc"
        cidr: "10.1.0.0/16"
        tunnel_id: 1001
      }
    }
  })pb";
constexpr const char* kSubnetA = R"pb(
  subnet_states {
    key: "sub-a"
    value {
      operation_type: CREATE
      configuration {
        id: "sub-a"
        vpc_id: "vpc-1"
        name: "a"
        cidr: "10.1.0.0/24"
        tunnel_id: 1001
        dhcp_enable: true
        gateway { ip_address: "10.1.0.1" mac_address: "aa:bb:cc:00:00:01" }
      }
    }
  })pb";
constexpr const char* kSubnetB = R"pb(
  subnet_states {
    key: "sub-b"
    value {
      operation_type: CREATE
      configuration {
        id: "sub-b"
        vpc_id: "vpc-1"
        name: "b"
        cidr: "10.1.1.0/24"
        tunnel_id: 1001
        gateway { ip_address: "10.1.1.1" mac_address: "aa:bb:cc:00:01:01" }
      }
    }
  })pb";
constexpr const char* kPort = R"pb(
  port_states {
    key: "p1"
    value {
      operation_type: CREATE
      configuration {
        id: "p1"
        vpc_id: "vpc-1"
        name: "pod-1"
        device_id: "c1"
        device_owner: "compute:kubernetes"
        mac_address: "fa:16:3e:00:00:05"
        admin_state_up: true
        host_info { ip_address: "192.168.0.10" }
        fixed_ips { subnet_id: "sub-a" ip_address: "10.1.0.5" }
      }
    }
  })pb";
constexpr const char* kNeighborL2 = R"pb(
  neighbor_states {
    key: "L2/n1"
    value {
      operation_type: CREATE
      configuration {
        id: "n1"
        vpc_id: "vpc-1"
        name: "pod-n1"
        mac_address: "fa:16:3e:00:01:07"
        host_ip_address: "192.168.0.11"
        fixed_ips { neighbor_type: L2 subnet_id: "sub-a" ip_address: "10.1.0.7" }
      }
    }
  })pb";
constexpr const char* kNeighborL3 = R"pb(
  neighbor_states {
    key: "L3/n2"
    value {
      operation_type: CREATE
      configuration {
        id: "n2"
        vpc_id: "vpc-1"
        name: "pod-n2"
        mac_address: "fa:16:3e:00:02:08"
        host_ip_address: "192.168.0.12"
        fixed_ips { neighbor_type: L3 subnet_id: "sub-b" ip_address: "10.1.1.8" }
      }
    }
  })pb";
constexpr const char* kDhcp = R"pb(
  dhcp_states {
    key: "p1/0"
    value {
      operation_type: CREATE
      configuration {
        id: "p1/0"
        subnet_id: "sub-a"
        mac_address: "fa:16:3e:00:00:05"
        ipv4_address: "10.1.0.5"
        port_host_name: "pod-1"
      }
    }
  })pb";
constexpr const char* kRouter = R"pb(
  router_states {
    key: "r1"
    value {
      operation_type: CREATE
      configuration {
        id: "r1"
        host_dvr_mac_address: "fe:16:11:00:00:0a"
        subnet_routing_tables { subnet_id: "sub-a" }
        subnet_routing_tables { subnet_id: "sub-b" }
      }
    }
  })pb";

// The node's own port in vpc-1 (host access): the agent plugs it as alcor-gw0, ofport 9.
constexpr const char* kGatewayPort = R"pb(
  port_states {
    key: "gw1"
    value {
      operation_type: CREATE
      configuration {
        id: "gw1"
        vpc_id: "vpc-1"
        name: "host-gateway/node-1"
        device_id: "node-1"
        device_owner: "network:alcor-host-gateway"
        mac_address: "fa:16:3e:00:00:02"
        admin_state_up: true
        host_info { ip_address: "192.168.0.10" }
        fixed_ips { subnet_id: "sub-a" ip_address: "10.1.0.2" }
      }
    }
  })pb";

std::string cat(std::initializer_list<const char*> parts) {
  std::string out;
  for (const char* p : parts) out += p;
  return out;
}

struct GoldenCase {
  std::string name;
  std::vector<std::string> setup;  // GoalStateV2 messages applied first (not recorded)
  std::string change;              // the message whose effect is recorded
  bool v1 = false;                 // `change` is a v1 GoalState
  bool full = false;               // record every flow after the change, not the difference
  bool host_gateway = false;       // vpc-1 has host access: gateway port gw1 on ofport 9
};

std::vector<GoldenCase> cases() {
  const std::string base = cat({kVpc, kSubnetA, kSubnetB});
  const std::string with_port = cat({kVpc, kSubnetA, kSubnetB, kPort});
  const std::string with_gateway = cat({kVpc, kSubnetA, kSubnetB, kGatewayPort});
  return {
      // Host gateways (host_gateway_flows.cc): the gateway port's GoalState brings every flow of
      // host access; the node alone (no pod) gets the VPC's neighbors, which it may tunnel to.
      {"host_gateway_port_create", {base}, kGatewayPort, false, false, true},
      {"host_gateway_neighbor_without_pod", {with_gateway}, kNeighborL2, false, false, true},
      {"host_gateway_port_delete",
       {with_gateway},
       R"pb(
         port_states {
           key: "gw1"
           value {
             operation_type: DELETE
             configuration { id: "gw1" }
           }
         })pb",
       false,
       false,
       true},
      {"static_pipeline", {}, "", false, true},
      {"vpc_create", {}, kVpc},
      {"vpc_update_name", {kVpc}, R"pb(
         vpc_states {
           key: "vpc-1"
           value {
             operation_type: UPDATE
             configuration {
               id: "vpc-1"
               project_id: "proj"
               name: "renamed"
               cidr: "10.1.0.0/16"
               tunnel_id: 1001
             }
           }
         })pb"},
      {"vpc_delete", {kVpc}, R"pb(
         vpc_states {
           key: "vpc-1"
           value {
             operation_type: DELETE
             configuration { id: "vpc-1" }
           }
         })pb"},
      {"subnet_create", {cat({kVpc, kSubnetA, kPort})}, kSubnetB},
      {"subnet_update_gateway_mac", {with_port}, R"pb(
         subnet_states {
           key: "sub-b"
           value {
             operation_type: UPDATE
             configuration {
               id: "sub-b"
               vpc_id: "vpc-1"
               name: "b"
               cidr: "10.1.1.0/24"
               tunnel_id: 1001
               gateway { ip_address: "10.1.1.1" mac_address: "aa:bb:cc:00:01:02" }
             }
           }
         })pb"},
      {"subnet_delete", {with_port}, R"pb(
         subnet_states {
           key: "sub-b"
           value {
             operation_type: DELETE
             configuration { id: "sub-b" }
           }
         })pb"},
      {"port_create", {base}, kPort},
      {"port_update_second_ip", {with_port}, R"pb(
         port_states {
           key: "p1"
           value {
             operation_type: UPDATE
             configuration {
               id: "p1"
               vpc_id: "vpc-1"
               name: "pod-1"
               device_id: "c1"
               device_owner: "compute:kubernetes"
               mac_address: "fa:16:3e:00:00:05"
               admin_state_up: true
               host_info { ip_address: "192.168.0.10" }
               fixed_ips { subnet_id: "sub-a" ip_address: "10.1.0.5" }
               fixed_ips { subnet_id: "sub-b" ip_address: "10.1.1.5" }
             }
           }
         })pb"},
      {"port_delete", {with_port}, R"pb(
         port_states {
           key: "p1"
           value {
             operation_type: DELETE
             configuration { id: "p1" }
           }
         })pb"},
      {"port_invalid_is_refused", {base}, R"pb(
         port_states {
           key: "p1"
           value {
             operation_type: CREATE
             configuration {
               id: "p1"
               vpc_id: "vpc-1"
               mac_address: "fa:16:3e:00:00:05"
               fixed_ips { subnet_id: "sub-a" ip_address: "10.9.9.9" }
             }
           }
         })pb"},
      {"neighbor_l2_create", {with_port}, kNeighborL2},
      {"neighbor_l2_without_local_port_is_kept", {base}, kNeighborL2},
      {"port_create_uses_kept_neighbor", {base, kNeighborL2}, kPort},
      {"neighbor_l2_update_host", {with_port, kNeighborL2}, R"pb(
         neighbor_states {
           key: "L2/n1"
           value {
             operation_type: UPDATE
             configuration {
               id: "n1"
               vpc_id: "vpc-1"
               name: "pod-n1"
               mac_address: "fa:16:3e:00:01:07"
               host_ip_address: "192.168.0.13"
               fixed_ips { neighbor_type: L2 subnet_id: "sub-a" ip_address: "10.1.0.7" }
             }
           }
         })pb"},
      {"neighbor_l2_delete", {with_port, kNeighborL2}, R"pb(
         neighbor_states {
           key: "L2/n1"
           value {
             operation_type: DELETE
             configuration { id: "n1" }
           }
         })pb"},
      {"neighbor_l3_create", {with_port, kRouter}, kNeighborL3},
      {"neighbor_l3_delete", {with_port, kRouter, kNeighborL3}, R"pb(
         neighbor_states {
           key: "L3/n2"
           value {
             operation_type: DELETE
             configuration { id: "n2" }
           }
         })pb"},
      {"dhcp_create", {with_port}, kDhcp},
      {"dhcp_delete", {with_port, kDhcp}, R"pb(
         dhcp_states {
           key: "p1/0"
           value {
             operation_type: DELETE
             configuration { id: "p1/0" }
           }
         })pb"},
      {"router_create", {with_port, kNeighborL2}, kRouter},
      {"router_update_detach_subnet", {with_port, kRouter}, R"pb(
         router_states {
           key: "r1"
           value {
             operation_type: UPDATE
             configuration {
               id: "r1"
               host_dvr_mac_address: "fe:16:11:00:00:0a"
               subnet_routing_tables { subnet_id: "sub-b" }
             }
           }
         })pb"},
      {"router_delete", {with_port, kRouter}, R"pb(
         router_states {
           key: "r1"
           value {
             operation_type: DELETE
             configuration { id: "r1" }
           }
         })pb"},
      {"v1_neighbor_create",
       {with_port},
       R"pb(neighbor_states {
              operation_type: CREATE
              configuration {
                id: "n1"
                vpc_id: "vpc-1"
                name: "pod-n1"
                mac_address: "fa:16:3e:00:01:07"
                host_ip_address: "192.168.0.11"
                fixed_ips { neighbor_type: L2 subnet_id: "sub-a" ip_address: "10.1.0.7" }
              }
            })pb",
       true},
  };
}

// Flows in pipeline order (table, then priority high to low, then text).
std::vector<std::string> formatted(std::vector<openflow::Flow> flows) {
  std::sort(flows.begin(), flows.end(), [](const openflow::Flow& a, const openflow::Flow& b) {
    if (a.table != b.table) return a.table < b.table;
    if (a.priority != b.priority) return a.priority > b.priority;
    return openflow::formatFlow(a) < openflow::formatFlow(b);
  });
  std::vector<std::string> out;
  for (const auto& f : flows) out.push_back(openflow::formatFlow(f));
  return out;
}

std::string goldenPath(const std::string& name) {
  return std::string(ALCOR_SOURCE_DIR) + "/tests/testdata/pipeline-golden/" + name + ".txt";
}

class PipelineGoldenTest : public ::testing::TestWithParam<GoldenCase> {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dataplane.start().ok());
    dataplane.finishRestore();
    // The CNI server attached p1's interface already; host access plugged the gateway's.
    const bool gateway = GetParam().host_gateway;
    ASSERT_TRUE(dataplane
                    .update([gateway](NetworkState& s, ChangeSet& c) {
                      s.interfaces["p1"] = LocalInterface{"p1", "tapp1", 5};
                      c.interfaces.insert("p1");
                      if (gateway) {
                        s.host_gateways["vpc-1"] = HostGateway{"vpc-1", "gw1", "alcor-gw0", 9};
                        c.host_gateways.insert("vpc-1");
                      }
                    })
                    .ok());
  }

  schema::GoalStateOperationReply apply(const std::string& text, bool v1) {
    if (v1) {
      schema::GoalState gs;
      EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &gs)) << text;
      gs.set_format_version(1);
      return handler.handle(gs);
    }
    schema::GoalStateV2 gs;
    EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &gs)) << text;
    gs.set_format_version(2);
    return handler.handle(gs);
  }

  openflow::FakeConnection of;
  DataplaneImpl dataplane{
      of, DataplaneOptions{{kTunnelOfport, *Ipv4Address::parse("192.168.0.10")}, ""}};
  GoalStateHandler handler{dataplane, {"192.168.0.10", std::chrono::milliseconds(50)}};
};

TEST_P(PipelineGoldenTest, FlowsMatchTheGoldenFile) {
  const GoldenCase& c = GetParam();
  for (const auto& step : c.setup) apply(step, false);
  auto before = formatted(of.flows());
  auto reply = apply(c.change, c.v1);
  auto after = formatted(of.flows());

  std::ostringstream actual;
  actual << "# " << c.name << ": flows removed (-) and added (+), then the reply\n";
  if (c.full) before.clear();
  for (const auto& f : before) {
    if (std::find(after.begin(), after.end(), f) == after.end()) actual << "- " << f << "\n";
  }
  for (const auto& f : after) {
    if (std::find(before.begin(), before.end(), f) == before.end()) actual << "+ " << f << "\n";
  }
  for (const auto& st : reply.operation_statuses()) {
    actual << "= " << schema::ResourceType_Name(st.resource_type()) << " " << st.resource_id()
           << " " << schema::OperationType_Name(st.operation_type()) << " "
           << schema::OperationStatus_Name(st.operation_status()) << "\n";
  }

  const std::string path = goldenPath(c.name);
  if (std::getenv("ALCOR_UPDATE_GOLDEN") != nullptr) {
    std::ofstream(path) << actual.str();
    std::cout << "wrote " << path << "\n";
    return;
  }
  std::ifstream in(path);
  ASSERT_TRUE(in.good()) << "missing " << path << " (run with ALCOR_UPDATE_GOLDEN=1)";
  std::ostringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual.str(), expected.str()) << "golden file " << path;
}

INSTANTIATE_TEST_SUITE_P(AllResources, PipelineGoldenTest, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace alcor::agent
