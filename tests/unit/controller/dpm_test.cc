// DPM end to end: a controller pushing to fake agents (real gRPC GoalStateProvisioner servers on
// 127.0.0.x). Checks exactly which host receives which states, that every state passes the
// agent's own validation (node-agent/goalstate/conversion.h), ACTIVE marking, retries to an
// unreachable host, resync on (re-)registration, message splitting, v1, and on-demand.

#include <gtest/gtest.h>

#include <thread>

#include "node-agent/goalstate/conversion.h"
#include "tests/unit/controller/controller_fixture.h"
#include "tests/unit/controller/fake_agent.h"

// <arpa/nameser.h> (pulled in by httplib) defines DELETE as a macro.
#undef DELETE

namespace alcor::controller::testing {
namespace {

using namespace std::chrono_literals;

template <typename Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = 5000ms) {
  auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return pred();
}

// Every state must pass the agent's conversion (what it validates before programming).
void expectAgentAccepts(const schema::GoalStateV2& gs) {
  for (const auto& [k, s] : gs.vpc_states()) EXPECT_TRUE(agent::toVpc(s.configuration()).ok()) << k;
  for (const auto& [k, s] : gs.subnet_states()) {
    auto r = agent::toSubnet(s.configuration());
    EXPECT_TRUE(r.ok()) << k << ": " << r.status();
    EXPECT_GT(s.configuration().tunnel_id(), 0u);
  }
  for (const auto& [k, s] : gs.port_states()) {
    if (s.operation_type() == schema::DELETE) continue;
    auto r = agent::toPort(s.configuration());
    EXPECT_TRUE(r.ok()) << k << ": " << r.status();
    EXPECT_EQ(s.configuration().update_type(), schema::FULL);
    for (const auto& f : s.configuration().fixed_ips()) {
      EXPECT_TRUE(gs.subnet_states().contains(f.subnet_id())) << "port " << k << " without subnet";
    }
  }
  for (const auto& [k, s] : gs.neighbor_states()) {
    if (s.operation_type() == schema::DELETE) continue;
    auto r = agent::toNeighbor(s.configuration(), k);
    EXPECT_TRUE(r.ok()) << k << ": " << r.status();
    for (const auto& f : s.configuration().fixed_ips()) {
      EXPECT_TRUE(gs.subnet_states().contains(f.subnet_id())) << "neighbor " << k;
    }
  }
  for (const auto& [k, s] : gs.dhcp_states()) {
    if (s.operation_type() != schema::DELETE)
      EXPECT_TRUE(agent::toDhcp(s.configuration()).ok()) << k;
  }
  for (const auto& [k, s] : gs.router_states()) {
    if (s.operation_type() != schema::DELETE)
      EXPECT_TRUE(agent::toRouter(s.configuration()).ok()) << k;
  }
  for (const auto& [k, s] : gs.security_group_states()) {
    if (s.operation_type() != schema::DELETE) {
      EXPECT_TRUE(agent::toSecurityGroup(s.configuration()).ok()) << k;
    }
  }
  for (const auto& [k, s] : gs.gateway_states()) {
    if (s.operation_type() != schema::DELETE)
      EXPECT_TRUE(agent::toGateway(s.configuration()).ok()) << k;
  }
  EXPECT_EQ(gs.host_resources_size(), 1);
}

std::set<std::string> keys(const auto& map) {
  std::set<std::string> out;
  for (const auto& [k, v] : map) out.insert(k);
  return out;
}

class DpmTest : public ControllerFixture {
 protected:
  void SetUp() override { start(testConfig()); }
  void start(ControllerConfig config) {
    startController(config);
    for (int i = 0; i < 3; ++i) {
      agents_[i] = std::make_unique<FakeAgent>();
      std::string ip = "127.0.0." + std::to_string(11 + i);
      ASSERT_TRUE(agents_[i]->start(ip));
      registerNode(name(i), ip, agents_[i]->port());
    }
    createVpc("v1");
    createSubnet("s1", "v1", "10.0.1.0/24");
    createSubnet("s2", "v1", "10.0.2.0/24");
    idle();
    for (auto& a : agents_) a->clear();
  }
  void TearDown() override {
    stopController();
    for (auto& a : agents_) a.reset();
  }
  static std::string name(int i) { return "node-" + std::string(1, char('a' + i)); }
  void idle() { ASSERT_TRUE(app_->scheduler().waitIdle(5000ms)); }
  FakeAgent& agent(int i) { return *agents_[i]; }
  std::string status(const std::string& port) {
    return call("GET", "/project/p/ports/" + port).body["port"]["status"];
  }
  void checkAll() {
    for (auto& a : agents_) {
      if (!a) continue;
      for (const auto& m : a->messages()) expectAgentAccepts(m);
    }
  }

  std::unique_ptr<FakeAgent> agents_[3];
};

TEST_F(DpmTest, FirstPortInSubnetGoesOnlyToItsHost) {
  createPort("p1", "v1", "s1", "node-a");
  idle();
  auto a = agent(0).merged();
  EXPECT_EQ(keys(a.port_states()), (std::set<std::string>{"p1"}));
  EXPECT_EQ(a.port_states().at("p1").operation_type(), schema::CREATE);
  EXPECT_EQ(a.port_states().at("p1").configuration().host_info().ip_address(), "127.0.0.11");
  EXPECT_TRUE(a.subnet_states().contains("s1"));
  EXPECT_TRUE(a.vpc_states().contains("v1"));
  EXPECT_TRUE(a.dhcp_states().contains("p1"));
  EXPECT_EQ(a.neighbor_states_size(), 0);
  EXPECT_TRUE(agent(0).messages()[0].host_resources().contains("127.0.0.11"));
  EXPECT_EQ(agent(1).messageCount(), 0u);
  EXPECT_EQ(agent(2).messageCount(), 0u);
  EXPECT_TRUE(eventually([&] { return status("p1") == "ACTIVE"; }));
  checkAll();
}

TEST_F(DpmTest, SecondPortOnAnotherHostMakesBothLearnEachOther) {
  json p1 = createPort("p1", "v1", "s1", "node-a");
  idle();
  agent(0).clear();
  json p2 = createPort("p2", "v1", "s1", "node-b");
  idle();
  auto a = agent(0).merged();
  auto b = agent(1).merged();
  EXPECT_EQ(a.port_states_size(), 0);
  EXPECT_EQ(keys(a.neighbor_states()), (std::set<std::string>{"L2/p2"}));
  const auto& n2 = a.neighbor_states().at("L2/p2").configuration();
  EXPECT_EQ(n2.host_ip_address(), "127.0.0.12");
  EXPECT_EQ(n2.mac_address(), p2["mac_address"]);
  EXPECT_EQ(n2.fixed_ips(0).ip_address(), p2["fixed_ips"][0]["ip_address"]);
  EXPECT_EQ(keys(b.port_states()), (std::set<std::string>{"p2"}));
  EXPECT_EQ(keys(b.neighbor_states()), (std::set<std::string>{"L2/p1"}));
  EXPECT_EQ(b.neighbor_states().at("L2/p1").configuration().host_ip_address(), "127.0.0.11");
  EXPECT_EQ(agent(2).messageCount(), 0u);
  // A third port in another subnet on host c: nobody else hears of it.
  createPort("p3", "v1", "s2", "node-c");
  idle();
  EXPECT_EQ(agent(0).merged().neighbor_states_size(), 1);
  EXPECT_EQ(agent(2).merged().neighbor_states_size(), 0);
  checkAll();
}

TEST_F(DpmTest, PortDeleteRemovesNeighborEverywhere) {
  createPort("p1", "v1", "s1", "node-a");
  createPort("p2", "v1", "s1", "node-b");
  createPort("p3", "v1", "s1", "node-b");
  idle();
  for (auto& ag : agents_) ag->clear();
  ASSERT_EQ(call("DELETE", "/project/p/ports/p2").status, 204);
  idle();
  auto a = agent(0).merged();
  auto b = agent(1).merged();
  EXPECT_EQ(keys(a.neighbor_states()), (std::set<std::string>{"L2/p2"}));
  EXPECT_EQ(a.neighbor_states().at("L2/p2").operation_type(), schema::DELETE);
  EXPECT_EQ(keys(b.port_states()), (std::set<std::string>{"p2"}));
  EXPECT_EQ(b.port_states().at("p2").operation_type(), schema::DELETE);
  EXPECT_EQ(b.dhcp_states().at("p2").operation_type(), schema::DELETE);
  EXPECT_EQ(b.neighbor_states_size(), 0);  // still has p3 in s1: keeps L2/p1
  // The last port of b in s1 goes: b also drops its neighbors of s1.
  for (auto& ag : agents_) ag->clear();
  ASSERT_EQ(call("DELETE", "/project/p/ports/p3").status, 204);
  idle();
  b = agent(1).merged();
  EXPECT_EQ(b.neighbor_states().at("L2/p1").operation_type(), schema::DELETE);
  EXPECT_EQ(agent(0).merged().neighbor_states().at("L2/p3").operation_type(), schema::DELETE);
  checkAll();
}

TEST_F(DpmTest, RouterInterfacesBringL3Neighbors) {
  createPort("p1", "v1", "s1", "node-a");
  createPort("p3", "v1", "s2", "node-c");
  idle();
  ASSERT_EQ(call("POST", "/project/p/routers", {{"router", {{"id", "r1"}}}}).status, 201);
  ASSERT_EQ(call("PUT", "/project/p/routers/r1/add_router_interface", {{"subnet_id", "s1"}}).status,
            200);
  idle();
  for (auto& ag : agents_) ag->clear();
  ASSERT_EQ(call("PUT", "/project/p/routers/r1/add_router_interface", {{"subnet_id", "s2"}}).status,
            200);
  idle();
  auto a = agent(0).merged();
  auto c = agent(2).merged();
  EXPECT_EQ(keys(a.neighbor_states()), (std::set<std::string>{"L3/p3"}));
  EXPECT_EQ(a.neighbor_states().at("L3/p3").configuration().fixed_ips(0).neighbor_type(),
            schema::L3);
  EXPECT_EQ(keys(c.neighbor_states()), (std::set<std::string>{"L3/p1"}));
  ASSERT_TRUE(a.router_states().contains("r1"));
  const auto& rc = a.router_states().at("r1").configuration();
  EXPECT_EQ(rc.subnet_routing_tables_size(), 2);
  EXPECT_EQ(rc.host_dvr_mac_address().substr(0, 8), "fe:16:11");
  EXPECT_TRUE(c.router_states().contains("r1"));
  EXPECT_EQ(agent(1).messageCount(), 0u);
  checkAll();
  // A new port behind the router reaches the other subnet's host as L3.
  for (auto& ag : agents_) ag->clear();
  createPort("p4", "v1", "s2", "node-b");
  idle();
  EXPECT_EQ(keys(agent(0).merged().neighbor_states()), (std::set<std::string>{"L3/p4"}));
  EXPECT_EQ(keys(agent(2).merged().neighbor_states()), (std::set<std::string>{"L2/p4"}));
  auto b = agent(1).merged();
  EXPECT_EQ(keys(b.neighbor_states()), (std::set<std::string>{"L2/p3", "L3/p1"}));
  checkAll();
  // Detaching s2 withdraws the L3 neighbors.
  for (auto& ag : agents_) ag->clear();
  ASSERT_EQ(
      call("PUT", "/project/p/routers/r1/remove_router_interface", {{"subnet_id", "s2"}}).status,
      200);
  idle();
  a = agent(0).merged();
  EXPECT_EQ(a.neighbor_states().at("L3/p3").operation_type(), schema::DELETE);
  EXPECT_EQ(a.neighbor_states().at("L3/p4").operation_type(), schema::DELETE);
  c = agent(2).merged();
  EXPECT_EQ(c.neighbor_states().at("L3/p1").operation_type(), schema::DELETE);
  EXPECT_EQ(c.router_states().at("r1").operation_type(), schema::DELETE);
}

TEST_F(DpmTest, UnreachableHostIsRetriedAndRecovers) {
  createPort("p1", "v1", "s1", "node-a");
  idle();
  // A port nobody listens on yet.
  auto late = std::make_unique<FakeAgent>();
  ASSERT_TRUE(late->start("127.0.0.14"));
  int port = late->port();
  late->stop();
  registerNode("node-d", "127.0.0.14", port);
  createPort("p4", "v1", "s1", "node-d");
  ASSERT_TRUE(eventually([&] { return app_->scheduler().stats().rpc_failures >= 2; }));
  EXPECT_EQ(status("p4"), "DOWN");
  // Other hosts learn of p4 regardless; the REST call did not wait.
  EXPECT_TRUE(eventually([&] { return agent(0).merged().neighbor_states().contains("L2/p4"); }));
  ASSERT_TRUE(late->start("127.0.0.14", port));
  ASSERT_TRUE(eventually([&] { return status("p4") == "ACTIVE"; }, 15000ms));
  auto d = late->merged();
  EXPECT_TRUE(d.port_states().contains("p4"));
  EXPECT_TRUE(d.neighbor_states().contains("L2/p1"));
  for (const auto& m : late->messages()) expectAgentAccepts(m);
}

TEST_F(DpmTest, PortOfUnknownHostWaitsForItsNodeAndRestartResyncs) {
  createPort("p1", "v1", "s1", "node-a");
  createPort("p9", "v1", "s1", "node-z");
  idle();
  EXPECT_EQ(status("p9"), "DOWN");
  EXPECT_FALSE(agent(0).merged().neighbor_states().contains("L2/p9"));
  FakeAgent z;
  ASSERT_TRUE(z.start("127.0.0.19"));
  registerNode("node-z", "127.0.0.19", z.port());
  idle();
  EXPECT_TRUE(eventually([&] { return status("p9") == "ACTIVE"; }));
  EXPECT_TRUE(z.merged().port_states().contains("p9"));
  EXPECT_TRUE(z.merged().neighbor_states().contains("L2/p1"));
  EXPECT_TRUE(agent(0).merged().neighbor_states().contains("L2/p9"));
  // Agent restart: re-registration (PUT) pushes the full state again.
  z.clear();
  auto r = call("PUT", "/nodes/node-z", {{"host_info", {{"node_name", "node-z"}}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  idle();
  auto full = z.merged();
  EXPECT_TRUE(full.port_states().contains("p9"));
  EXPECT_TRUE(full.neighbor_states().contains("L2/p1"));
  for (const auto& m : z.messages()) expectAgentAccepts(m);
}

TEST_F(DpmTest, SecurityGroupsAndGatewaysReachTheHosts) {
  ASSERT_EQ(
      call("POST", "/project/p/security-groups", {{"security_group", {{"id", "sg1"}}}}).status,
      201);
  ASSERT_EQ(call("POST", "/project/p/gateways",
                 {{"gateway",
                   {{"id", "zgw"},
                    {"gateway_type", "ZETA"},
                    {"destinations",
                     {{{"ip_address", "172.16.0.5"}, {"mac_address", "02:00:00:00:aa:01"}}}},
                    {"zeta_info", {{"port_inband_operation", 8300}}}}}})
                .status,
            201);
  ASSERT_EQ(call("PUT", "/project/p/vpcs/v1", {{"network", {{"gateway_ids", {"zgw"}}}}}).status,
            200);
  auto r = call("POST", "/project/p/ports",
                {{"port",
                  {{"id", "p1"},
                   {"network_id", "v1"},
                   {"binding:host_id", "node-a"},
                   {"security_groups", {"sg1"}}}}});
  ASSERT_EQ(r.status, 201);
  idle();
  auto a = agent(0).merged();
  EXPECT_TRUE(a.security_group_states().contains("sg1"));
  ASSERT_TRUE(a.gateway_states().contains("zgw"));
  EXPECT_EQ(a.gateway_states().at("zgw").configuration().zeta_info().port_inband_operation(),
            8300u);
  agent(0).clear();
  r = call("POST", "/project/p/security-group-rules",
           {{"security_group_rule",
             {{"security_group_id", "sg1"},
              {"protocol", "tcp"},
              {"port_range_min", 22},
              {"port_range_max", 22}}}});
  ASSERT_EQ(r.status, 201);
  idle();
  a = agent(0).merged();
  ASSERT_TRUE(a.security_group_states().contains("sg1"));
  EXPECT_EQ(a.security_group_states().at("sg1").configuration().security_group_rules_size(), 1);
  checkAll();
}

TEST_F(DpmTest, RemoteGroupMembersReachHostsWhoseRulesNameTheGroup) {
  // "web" on node-a allows ingress from members of "db"; "db" ports live on node-b.
  for (const char* g : {"web", "db"}) {
    ASSERT_EQ(call("POST", "/project/p/security-groups", {{"security_group", {{"id", g}}}}).status,
              201);
  }
  ASSERT_EQ(call("POST", "/project/p/security-group-rules",
                 {{"security_group_rule",
                   {{"security_group_id", "web"},
                    {"direction", "ingress"},
                    {"protocol", "tcp"},
                    {"remote_group_id", "db"}}}})
                .status,
            201);
  ASSERT_EQ(call("POST", "/project/p/ports",
                 {{"port",
                   {{"id", "w1"},
                    {"network_id", "v1"},
                    {"binding:host_id", "node-a"},
                    {"fixed_ips", {{{"subnet_id", "s1"}, {"ip_address", "10.0.1.10"}}}},
                    {"security_groups", {"web"}}}}})
                .status,
            201);
  idle();
  auto a = agent(0).merged();
  ASSERT_TRUE(a.security_group_states().contains("db"));  // the remote group, without members
  EXPECT_EQ(a.security_group_states().at("db").configuration().member_ip_addresses_size(), 0);
  agent(0).clear();
  ASSERT_EQ(call("POST", "/project/p/ports",
                 {{"port",
                   {{"id", "d1"},
                    {"network_id", "v1"},
                    {"binding:host_id", "node-b"},
                    {"fixed_ips", {{{"subnet_id", "s2"}, {"ip_address", "10.0.2.20"}}}},
                    {"security_groups", {"db"}}}}})
                .status,
            201);
  idle();
  // node-a learns the new member of "db"; "web"'s own state is not resent.
  a = agent(0).merged();
  ASSERT_TRUE(a.security_group_states().contains("db"));
  const auto& members = a.security_group_states().at("db").configuration().member_ip_addresses();
  EXPECT_EQ(std::vector<std::string>(members.begin(), members.end()),
            std::vector<std::string>{"10.0.2.20"});
  EXPECT_FALSE(a.security_group_states().contains("web"));
  // node-c has no port that uses or names "db": nothing.
  EXPECT_TRUE(agent(2).merged().security_group_states().empty());
  agent(0).clear();
  ASSERT_EQ(call("DELETE", "/project/p/ports/d1").status, 204);
  idle();
  a = agent(0).merged();
  ASSERT_TRUE(a.security_group_states().contains("db"));
  EXPECT_EQ(a.security_group_states().at("db").configuration().member_ip_addresses_size(), 0);
  checkAll();
}

TEST_F(DpmTest, APortJoiningAGroupResendsThatGroupOnlyNotEveryGroupItIsIn) {
  // "web" on node-a names "db" and "cache"; d1 on node-b is in "db", then joins "cache".
  for (const char* g : {"web", "db", "cache"}) {
    ASSERT_EQ(call("POST", "/project/p/security-groups", {{"security_group", {{"id", g}}}}).status,
              201);
  }
  for (const char* remote : {"db", "cache"}) {
    ASSERT_EQ(call("POST", "/project/p/security-group-rules",
                   {{"security_group_rule",
                     {{"security_group_id", "web"},
                      {"direction", "ingress"},
                      {"protocol", "tcp"},
                      {"remote_group_id", remote}}}})
                  .status,
              201);
  }
  for (auto [id, host, ip, groups] : {std::tuple{"w1", "node-a", "10.0.1.10", json{"web"}},
                                      std::tuple{"d1", "node-b", "10.0.2.20", json{"db"}}}) {
    ASSERT_EQ(
        call("POST", "/project/p/ports",
             {{"port",
               {{"id", id},
                {"network_id", "v1"},
                {"binding:host_id", host},
                {"fixed_ips", {{{"subnet_id", ip[5] == '1' ? "s1" : "s2"}, {"ip_address", ip}}}},
                {"security_groups", groups}}}})
            .status,
        201);
  }
  idle();
  agent(0).clear();
  ASSERT_EQ(
      call("PUT", "/project/p/ports/d1", {{"port", {{"security_groups", {"db", "cache"}}}}}).status,
      200);
  idle();
  auto a = agent(0).merged();
  ASSERT_TRUE(a.security_group_states().contains("cache"));
  const auto& members = a.security_group_states().at("cache").configuration().member_ip_addresses();
  EXPECT_EQ(std::vector<std::string>(members.begin(), members.end()),
            std::vector<std::string>{"10.0.2.20"});
  EXPECT_FALSE(a.security_group_states().contains("db")) << "its members did not change";
  checkAll();
}

TEST_F(DpmTest, LargeNeighborSetsAreSplit) {
  stopController();
  for (auto& a : agents_) a.reset();
  auto config = testConfig();
  config.max_neighbors_per_message = 3;
  start(config);
  json ports = json::array();
  for (int i = 0; i < 10; ++i) {
    ports.push_back({{"id", "b" + std::to_string(i)},
                     {"network_id", "v1"},
                     {"binding:host_id", "node-b"},
                     {"fixed_ips", {{{"subnet_id", "s1"}}}}});
  }
  ASSERT_EQ(call("POST", "/project/p/ports/bulk", {{"ports", ports}}).status, 201);
  idle();
  createPort("a0", "v1", "s1", "node-a");
  idle();
  auto messages = agent(0).messages();
  EXPECT_GE(messages.size(), 4u);
  for (const auto& m : messages) EXPECT_LE(m.neighbor_states_size(), 3);
  EXPECT_EQ(agent(0).merged().neighbor_states_size(), 10);
  checkAll();
}

TEST_F(DpmTest, OnDemandPushesBeforeReplying) {
  // A node whose agent is on 127.0.0.1: the source address of a local gRPC call.
  FakeAgent local;
  ASSERT_TRUE(local.start("127.0.0.1"));
  registerNode("node-l", "127.0.0.1", local.port());
  createPort("pl", "v1", "s2", "node-l");
  json p1 = createPort("p1", "v1", "s1", "node-a");
  idle();
  local.clear();
  auto stub = schema::GoalStateProvisioner::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(app_->grpcPort()), grpc::InsecureChannelCredentials()));
  schema::HostRequest req;
  auto* r = req.add_state_requests();
  r->set_request_type(schema::ON_DEMAND);
  r->set_request_id("q1");
  r->set_tunnel_id(call("GET", "/project/p/vpcs/v1").body["network"]["tunnel_id"]);
  r->set_destination_ip(p1["fixed_ips"][0]["ip_address"]);
  auto* miss = req.add_state_requests();
  *miss = *r;
  miss->set_request_id("q2");
  miss->set_destination_ip("10.0.1.250");
  grpc::ClientContext ctx;
  schema::HostRequestReply reply;
  ASSERT_TRUE(stub->RequestGoalStates(&ctx, req, &reply).ok());
  ASSERT_EQ(reply.operation_statuses_size(), 2);
  EXPECT_EQ(reply.operation_statuses(0).operation_status(), schema::SUCCESS);
  EXPECT_EQ(reply.operation_statuses(1).operation_status(), schema::FAILURE);
  // Pushed before the reply.
  EXPECT_TRUE(local.merged().neighbor_states().contains("L2/p1"));
  for (const auto& m : local.messages()) expectAgentAccepts(m);
}

TEST_F(DpmTest, OnDemandAnswersOnlyHostsWithPortsInTheVpc) {
  createVpc("v2", "10.8.0.0/16");
  createSubnet("s8", "v2", "10.8.1.0/24");
  json p1 = createPort("p1", "v1", "s1", "node-a");
  createPort("p2", "v1", "s2", "node-b");  // node-b: a port in v1, another subnet
  createPort("p8", "v2", "s8", "node-c");  // node-c: ports in v2 only
  idle();
  const uint32_t vni = call("GET", "/project/p/vpcs/v1").body["network"]["tunnel_id"];
  auto ip = Ipv4Address::parse(p1["fixed_ips"][0]["ip_address"].get<std::string>()).value();
  EXPECT_TRUE(app_->services().onDemandState("127.0.0.12", vni, ip).has_value());
  // node-c asks about v1's addresses: it has no pod there, so it learns nothing.
  EXPECT_FALSE(app_->services().onDemandState("127.0.0.13", vni, ip).has_value());
}

TEST_F(DpmTest, GoalStateV1Mode) {
  stopController();
  for (auto& a : agents_) a.reset();
  auto config = testConfig();
  config.goalstate_version = 1;
  start(config);
  createPort("p1", "v1", "s1", "node-a");
  createPort("p2", "v1", "s1", "node-b");
  idle();
  EXPECT_TRUE(agent(0).merged().port_states().contains("p1"));
  EXPECT_TRUE(agent(0).merged().neighbor_states().contains("L2/p2"));
  EXPECT_TRUE(eventually([&] { return status("p2") == "ACTIVE"; }));
}

TEST_F(DpmTest, PortStaysDownWhenTheHostDoesNotConfirm) {
  agent(0).setPortStatus(schema::PENDING);
  createPort("p1", "v1", "s1", "node-a");
  idle();
  EXPECT_EQ(status("p1"), "DOWN");
}

}  // namespace
}  // namespace alcor::controller::testing
