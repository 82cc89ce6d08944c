#include "node-agent/goalstate/goalstate_handler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "tests/fakes/fake_dataplane.h"

namespace alcor::agent {
namespace {

using schema::GoalStateOperationReply;
using ::testing::HasSubstr;

std::string fixtureBytes(const std::string& name) {
  std::ifstream in(std::string(ALCOR_SOURCE_DIR) + "/tests/testdata/alcor-wire/" + name,
                   std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::map<std::string, schema::OperationStatus> statusByKey(const GoalStateOperationReply& r) {
  std::map<std::string, schema::OperationStatus> out;
  for (const auto& s : r.operation_statuses()) out[s.resource_id()] = s.operation_status();
  return out;
}

class GoalStateHandlerTest : public ::testing::Test {
 protected:
  GoalStateHandlerTest() : handler_(dataplane_, {"172.16.62.249", std::chrono::milliseconds(50)}) {}

  schema::GoalStateV2 fixtureV2() {
    schema::GoalStateV2 gs;
    EXPECT_TRUE(gs.ParseFromString(fixtureBytes("gsv2_public.pb")));
    return gs;
  }

  FakeDataplane dataplane_;
  GoalStateHandler handler_;
};

TEST_F(GoalStateHandlerTest, AppliesAlcorV2FixtureAndWaitsForTheInterface) {
  dataplane_.attach("port-1", 7);
  auto reply = handler_.handle(fixtureV2());
  EXPECT_EQ(reply.format_version(), 102u);
  auto st = statusByKey(reply);
  EXPECT_EQ(st.size(), 5u);
  for (const auto& [key, status] : st) EXPECT_EQ(status, schema::SUCCESS) << key;
  EXPECT_GT(reply.message_total_operation_time(), 0u);

  NetworkState s = dataplane_.state();
  ASSERT_TRUE(s.subnets.count("subnet-1"));
  EXPECT_EQ(s.subnets["subnet-1"].vni, 21u);
  EXPECT_EQ(s.subnets["subnet-1"].gateway_ip.toString(), "10.0.1.1");
  EXPECT_EQ(s.subnets["subnet-1"].dns_servers.size(), 1u);
  ASSERT_TRUE(s.ports.count("port-1"));
  EXPECT_EQ(s.ports["port-1"].mac.toString(), "fa:16:3e:00:00:01");
  EXPECT_EQ(s.ports["port-1"].vpc_id, "vpc-1");
  ASSERT_TRUE(s.neighbors.count("L2/port-2"));
  EXPECT_EQ(s.neighbors["L2/port-2"].host_ip.toString(), "172.16.62.250");
  EXPECT_EQ(s.dhcp["dhcp-1"].hostname, "pod-a");
  EXPECT_EQ(s.vniOfPort(s.ports["port-1"]), 21u);
}

TEST_F(GoalStateHandlerTest, PortWithoutInterfaceIsPendingButKept) {
  auto st = statusByKey(handler_.handle(fixtureV2()));
  EXPECT_EQ(st["port-1"], schema::PENDING);
  EXPECT_EQ(st["L2/port-2"], schema::SUCCESS);
  EXPECT_TRUE(dataplane_.state().ports.count("port-1"));
}

TEST_F(GoalStateHandlerTest, PortPlugsWhileTheHandlerWaits) {
  std::thread plug([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    dataplane_.attach("port-1", 9);
  });
  GoalStateHandler patient(dataplane_, {"172.16.62.249", std::chrono::seconds(5)});
  auto st = statusByKey(patient.handle(fixtureV2()));
  plug.join();
  EXPECT_EQ(st["port-1"], schema::SUCCESS);
}

TEST_F(GoalStateHandlerTest, AppliesV1InAlcorOrderWhateverTheListOrder) {
  schema::GoalState gs;
  ASSERT_TRUE(gs.ParseFromString(fixtureBytes("gsv1_public.pb")));
  // Move the port before its subnet: the handler must still apply the subnet first.
  schema::GoalState reordered;
  reordered.set_format_version(gs.format_version());
  *reordered.add_port_states() = gs.port_states(0);
  *reordered.add_subnet_states() = gs.subnet_states(0);
  *reordered.add_vpc_states() = gs.vpc_states(0);
  dataplane_.attach("port-1", 3);
  auto reply = handler_.handle(reordered);
  auto st = statusByKey(reply);
  EXPECT_EQ(st["port-1"], schema::SUCCESS);
  EXPECT_EQ(st["subnet-1"], schema::SUCCESS);
  ASSERT_EQ(reply.operation_statuses_size(), 3);
  EXPECT_EQ(reply.operation_statuses(0).resource_type(), schema::VPC);
  EXPECT_EQ(reply.operation_statuses(2).resource_type(), schema::PORT);
}

TEST_F(GoalStateHandlerTest, InvalidStatesAreRefusedAndChangeNothing) {
  auto gs = fixtureV2();
  auto& port = *(*gs.mutable_port_states())["port-1"].mutable_configuration();
  port.set_mac_address("not-a-mac");
  auto& nb = *(*gs.mutable_neighbor_states())["L2/port-2"].mutable_configuration();
  nb.mutable_fixed_ips(0)->set_subnet_id("no-such-subnet");
  auto reply = handler_.handle(gs);
  auto st = statusByKey(reply);
  EXPECT_EQ(st["port-1"], schema::INVALID_ARG);
  EXPECT_EQ(st["L2/port-2"], schema::INVALID_ARG);
  EXPECT_EQ(st["subnet-1"], schema::SUCCESS);
  NetworkState s = dataplane_.state();
  EXPECT_FALSE(s.ports.count("port-1"));
  EXPECT_FALSE(s.neighbors.count("L2/port-2"));
}

TEST_F(GoalStateHandlerTest, RefusesPortsOfAnotherHostAndAddressesOutsideTheSubnet) {
  auto gs = fixtureV2();
  (*gs.mutable_port_states())["port-1"]
      .mutable_configuration()
      ->mutable_host_info()
      ->set_ip_address("10.9.9.9");
  auto st = statusByKey(handler_.handle(gs));
  EXPECT_EQ(st["port-1"], schema::INVALID_ARG);

  gs = fixtureV2();
  (*gs.mutable_port_states())["port-1"]
      .mutable_configuration()
      ->mutable_fixed_ips(0)
      ->set_ip_address("10.0.2.5");
  EXPECT_EQ(statusByKey(handler_.handle(gs))["port-1"], schema::INVALID_ARG);
}

TEST_F(GoalStateHandlerTest, DeletesAndUnplugs) {
  dataplane_.attach("port-1", 7);
  handler_.handle(fixtureV2());
  schema::GoalStateV2 del;
  auto& nb = (*del.mutable_neighbor_states())["L2/port-2"];
  nb.set_operation_type(schema::DELETE);
  nb.mutable_configuration()->set_id("port-2");
  auto& port = (*del.mutable_port_states())["port-1"];
  port.set_operation_type(schema::UPDATE);
  port.mutable_configuration()->set_id("port-1");  // empty device fields: unplug
  auto st = statusByKey(handler_.handle(del));
  EXPECT_EQ(st["L2/port-2"], schema::SUCCESS);
  EXPECT_EQ(st["port-1"], schema::SUCCESS);
  NetworkState s = dataplane_.state();
  EXPECT_FALSE(s.neighbors.count("L2/port-2"));
  EXPECT_FALSE(s.ports.count("port-1"));
  EXPECT_TRUE(s.subnets.count("subnet-1"));
  // Deleting what is already gone is fine.
  EXPECT_EQ(statusByKey(handler_.handle(del))["L2/port-2"], schema::SUCCESS);
}

TEST_F(GoalStateHandlerTest, DataplaneFailureFailsAppliedResources) {
  dataplane_.attach("port-1", 7);
  dataplane_.failNextUpdates(unavailableError("OpenFlow connection lost"));
  auto reply = handler_.handle(fixtureV2());
  for (const auto& s : reply.operation_statuses()) {
    EXPECT_EQ(s.operation_status(), schema::FAILURE) << s.resource_id();
  }
}

TEST_F(GoalStateHandlerTest, EmptyWarmUpMessageGetsAnEmptyReply) {
  auto reply = handler_.handle(schema::GoalStateV2());
  EXPECT_EQ(reply.operation_statuses_size(), 0);
}

}  // namespace
}  // namespace alcor::agent
