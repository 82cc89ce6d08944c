// The controller's services and DPM over an in-memory store and FakeGoalStateSink, no network:
// what each change queues for which host (multicast neighbors, on-demand learners), and the
// internal API a policy component uses (groups with rules, a port's groups).

#include "controller/service/controller_services.h"

#include <gtest/gtest.h>

#include "controller/store/sqlite_store.h"
#include "tests/fakes/fake_goalstate_sink.h"

namespace alcor::controller {
namespace {

ResourceId id(const std::string& text) { return ResourceId::parse(text).value(); }

// The states of `type` in `states`, by key -> operation (the last one queued wins).
std::map<std::string, schema::OperationType> statesOf(const std::vector<StatePtr>& states,
                                                      schema::ResourceType type) {
  std::map<std::string, schema::OperationType> out;
  for (const auto& s : states) {
    if (s->type == type) out[s->key] = s->operation;
  }
  return out;
}

class ServicesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = SqliteStore::open(":memory:").value();
    services_ = ControllerServices::create(*db_, sink_).value();
    for (const char* name : {"node-a", "node-b", "node-c"}) addNode(name);
    Vpc vpc;
    vpc.id = id("v1");
    vpc.project_id = "p";
    vpc.cidr = Ipv4Prefix::parse("10.0.0.0/16").value();
    ASSERT_TRUE(services_->vpcs().create(vpc).ok());
    addSubnet("s1", "10.0.1.0/24");
    addSubnet("s2", "10.0.2.0/24");
    sink_.clear();
  }

  void addNode(const std::string& name) {
    Node n;
    n.id = id(name);
    n.name = name;
    n.local_ip = Ipv4Address::parse(ipOf(name)).value();
    ASSERT_TRUE(services_->nodes().create(n).ok());
  }
  static std::string ipOf(const std::string& node) {
    return "127.0.0." + std::to_string(11 + (node.back() - 'a'));
  }
  void addSubnet(const std::string& name, const std::string& cidr) {
    Subnet s;
    s.id = id(name);
    s.project_id = "p";
    s.network_id = id("v1");
    s.cidr = Ipv4Prefix::parse(cidr).value();
    ASSERT_TRUE(services_->subnets().create(s).ok());
  }
  Port addPort(const std::string& name, const std::string& subnet, const std::string& node) {
    Port p;
    p.id = id(name);
    p.project_id = "p";
    p.network_id = id("v1");
    p.host_id = node;
    p.fixed_ips.push_back({id(subnet), std::nullopt});
    auto created = services_->ports().create(p);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : p;
  }
  uint32_t vni() { return services_->vpcs().get("p", id("v1"))->tunnel_id; }

  FakeGoalStateSink sink_;
  std::unique_ptr<SqliteStore> db_;
  std::unique_ptr<ControllerServices> services_;
};

TEST_F(ServicesTest, RegisteringANodeGivesItsAddressAndAResync) {
  EXPECT_EQ(sink_.address("127.0.0.11"), "127.0.0.11:50001");
  addNode("node-d");
  EXPECT_EQ(sink_.address("127.0.0.14"), "127.0.0.14:50001");
  EXPECT_TRUE(sink_.resyncRequested("127.0.0.14"));
  ASSERT_TRUE(services_->nodes().remove(id("node-d")).ok());
  EXPECT_TRUE(sink_.forgotten("127.0.0.14"));
}

TEST_F(ServicesTest, OneNeighborStateIsQueuedForEveryHostOfTheSubnet) {
  addPort("pb", "s1", "node-b");
  addPort("pc", "s1", "node-c");
  sink_.clear();
  addPort("pa", "s1", "node-a");
  auto own = sink_.take("127.0.0.11");
  EXPECT_EQ(statesOf(own, schema::PORT).count("pa"), 1u);
  auto b = sink_.take("127.0.0.12");
  auto c = sink_.take("127.0.0.13");
  const EncodedState* at_b = nullptr;
  const EncodedState* at_c = nullptr;
  for (const auto& s : b) at_b = s->key == "L2/pa" ? s.get() : at_b;
  for (const auto& s : c) at_c = s->key == "L2/pa" ? s.get() : at_c;
  ASSERT_NE(at_b, nullptr);
  // Built and serialized once: the very same encoded state for both hosts.
  EXPECT_EQ(at_b, at_c);
  EXPECT_EQ(at_b->operation, schema::CREATE);
  // Neither gets the other's port state.
  EXPECT_EQ(statesOf(b, schema::PORT).count("pa"), 0u);
}

TEST_F(ServicesTest, AChangedPortGetsANewlyEncodedNeighborState) {
  Port pa = addPort("pa", "s1", "node-a");
  addPort("pb", "s1", "node-b");
  sink_.clear();
  // The kept encoded state must not outlive the port's version it was built from: two updates
  // in a row give two different UPDATE states.
  for (const char* mac : {"fa:16:3e:00:00:98", "fa:16:3e:00:00:99"}) {
    pa.mac_address = MacAddress::parse(mac).value();
    ASSERT_TRUE(services_->ports().update("p", id("pa"), pa).ok());
  }
  const EncodedState* update = nullptr;
  for (const auto& s : sink_.take("127.0.0.12")) update = s->key == "L2/pa" ? s.get() : update;
  ASSERT_NE(update, nullptr);
  EXPECT_EQ(update->operation, schema::UPDATE);
  schema::NeighborState decoded;
  ASSERT_TRUE(decoded.ParseFromString(update->bytes));
  EXPECT_EQ(decoded.configuration().mac_address(), "fa:16:3e:00:00:99");
}

// --southbound=auto picks the path per VPC from the DPM's count of its placed ports: the sink
// hears the count after every change, before the change's states, without a scan.
TEST_F(ServicesTest, TheSinkHearsEachVpcsPlacedPortCount) {
  EXPECT_EQ(sink_.vpcPorts("v1"), -1);  // no port change yet
  addPort("pa", "s1", "node-a");
  EXPECT_EQ(sink_.vpcPorts("v1"), 1);
  addPort("pb", "s2", "node-b");
  addPort("pc", "s1", "node-c");
  EXPECT_EQ(sink_.vpcPorts("v1"), 3);
  ASSERT_TRUE(services_->ports().remove("p", id("pa")).ok());
  EXPECT_EQ(sink_.vpcPorts("v1"), 2);
  // A port of an unknown node is not placed: not counted until its node registers.
  addPort("pd", "s1", "node-x");
  EXPECT_EQ(sink_.vpcPorts("v1"), 2);
  addNode("node-x");
  EXPECT_EQ(sink_.vpcPorts("v1"), 3);
  // Its node leaves: its ports are no longer placed.
  ASSERT_TRUE(services_->nodes().remove(id("node-x")).ok());
  EXPECT_EQ(sink_.vpcPorts("v1"), 2);
}

TEST_F(ServicesTest, NeighborLearnedOnDemandIsRemovedWhenItsPortIsDeleted) {
  Port pa = addPort("pa", "s1", "node-a");
  addPort("pb", "s2", "node-b");  // node-b: the same VPC, another subnet, no router
  sink_.clear();
  auto learned = services_->onDemandState("127.0.0.12", vni(), *pa.fixed_ips[0].ip_address);
  ASSERT_TRUE(learned.has_value());
  ASSERT_EQ(learned->size(), 1u);
  EXPECT_EQ((*learned)[0]->key, "L2/pa");
  EXPECT_EQ(services_->onDemandHostsOf(id("pa")), std::set<std::string>{"127.0.0.12"});

  ASSERT_TRUE(services_->ports().remove("p", id("pa")).ok());
  auto neighbors = statesOf(sink_.take("127.0.0.12"), schema::NEIGHBOR);
  ASSERT_EQ(neighbors.count("L2/pa"), 1u);
  EXPECT_EQ(neighbors["L2/pa"], schema::DELETE);
  EXPECT_TRUE(services_->onDemandHostsOf(id("pa")).empty());
  // node-c learned nothing and hears nothing.
  EXPECT_TRUE(statesOf(sink_.take("127.0.0.13"), schema::NEIGHBOR).empty());
}

TEST_F(ServicesTest, NeighborLearnedOnDemandFollowsItsPort) {
  Port pa = addPort("pa", "s1", "node-a");
  addPort("pb", "s2", "node-b");
  addPort("pc", "s2", "node-c");
  ASSERT_TRUE(services_->onDemandState("127.0.0.12", vni(), *pa.fixed_ips[0].ip_address));
  sink_.clear();
  // The port moves to node-c: node-b must learn the new location.
  pa.host_id = "node-c";
  ASSERT_TRUE(services_->ports().update("p", id("pa"), pa).ok());
  auto neighbors = statesOf(sink_.take("127.0.0.12"), schema::NEIGHBOR);
  ASSERT_EQ(neighbors.count("L2/pa"), 1u);
  EXPECT_EQ(neighbors["L2/pa"], schema::UPDATE);
  // A node that registers again starts afresh: it forgets what it learned.
  Node b = services_->nodes().get(id("node-b")).value();
  b.server_port = 50002;
  ASSERT_TRUE(services_->nodes().update(b.id, b).ok());
  EXPECT_TRUE(services_->onDemandHostsOf(id("pa")).empty());
}

TEST_F(ServicesTest, ANodesNewMacReachesItsPortsNeighborsAndLearners) {
  Port pa = addPort("pa", "s1", "node-a");
  addPort("pb", "s1", "node-b");  // an L2 neighbor of pa
  addPort("pc", "s2", "node-c");  // learns pa on demand
  ASSERT_TRUE(services_->onDemandState("127.0.0.13", vni(), *pa.fixed_ips[0].ip_address));
  sink_.clear();
  // Neighbor states carry their port's host MAC: a new one is announced again.
  Node a = services_->nodes().get(id("node-a")).value();
  a.mac_address = MacAddress::parse("02:00:00:00:00:aa").value();
  ASSERT_TRUE(services_->nodes().update(a.id, a).ok());
  for (const char* host : {"127.0.0.12", "127.0.0.13"}) {
    const EncodedState* state = nullptr;
    for (const auto& s : sink_.take(host)) state = s->key == "L2/pa" ? s.get() : state;
    ASSERT_NE(state, nullptr) << host;
    schema::NeighborState decoded;
    ASSERT_TRUE(decoded.ParseFromString(state->bytes));
    EXPECT_EQ(decoded.configuration().host_mac_address(), "02:00:00:00:00:aa") << host;
  }
}

TEST_F(ServicesTest, OnDemandIsOnlyForHostsWithPortsInTheVpc) {
  Port pa = addPort("pa", "s1", "node-a");
  EXPECT_FALSE(services_->onDemandState("127.0.0.12", vni(), *pa.fixed_ips[0].ip_address));
  EXPECT_FALSE(
      services_->onDemandState("127.0.0.11", vni(), Ipv4Address::parse("10.0.9.9").value()));
}

TEST_F(ServicesTest, PolicyComponentSetsGroupsWithRulesAndPortMemberships) {
  addPort("pa", "s1", "node-a");
  Port pb = addPort("pb", "s1", "node-b");
  SecurityGroup g;
  g.id = id("np-web");
  g.project_id = "p";
  g.name = "web";
  SecurityGroupRule allow;
  allow.direction = Direction::kIngress;
  allow.protocol = RuleProtocol::kTcp;
  allow.port_range_min = allow.port_range_max = 80;
  allow.remote_group_id = id("np-web");
  g.rules.push_back(allow);
  auto created = services_->securityGroups().create(g);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_EQ(created->rules.size(), 1u);
  EXPECT_FALSE(created->rules[0].id.empty());
  sink_.clear();

  auto set = services_->ports().setSecurityGroups("p", id("pa"), {id("np-web")});
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->security_groups, std::vector<ResourceId>{id("np-web")});
  auto groups = statesOf(sink_.take("127.0.0.11"), schema::SECURITYGROUP);
  EXPECT_EQ(groups.count("np-web"), 1u);

  // The whole rule set replaced; the port's host hears of it.
  g.rules.clear();
  ASSERT_TRUE(services_->securityGroups().replace("p", id("np-web"), g).ok());
  EXPECT_EQ(services_->securityGroups().get("p", id("np-web"))->rules.size(), 0u);
  EXPECT_EQ(statesOf(sink_.take("127.0.0.11"), schema::SECURITYGROUP).count("np-web"), 1u);

  // Bad input changes nothing.
  EXPECT_EQ(services_->ports().setSecurityGroups("p", id("pb"), {id("missing")}).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(services_->ports().get("p", pb.id)->security_groups.empty());
  EXPECT_EQ(services_->securityGroups().remove("p", id("np-web")).code(),
            StatusCode::kFailedPrecondition);
  ASSERT_TRUE(services_->ports().setSecurityGroups("p", id("pa"), {}).ok());
  EXPECT_TRUE(services_->securityGroups().remove("p", id("np-web")).ok());
}

TEST_F(ServicesTest, PolicyBatchIsAllOrNothing) {
  Port pa = addPort("pa", "s1", "node-a");
  pa.device_owner = "compute:kubernetes";
  ASSERT_TRUE(services_->ports().update("p", pa.id, pa).ok());
  addPort("pb", "s1", "node-b");
  auto group = [](const std::string& gid, const std::string& remote) {
    SecurityGroup g;
    g.id = id(gid);
    g.project_id = "p";
    SecurityGroupRule r;
    r.remote_group_id = id(remote);
    g.rules.push_back(r);
    return g;
  };
  SecurityPolicyService& policy = services_->securityPolicy();
  // Two groups naming each other, and a port's groups, in one call.
  SecurityPolicyChange change;
  change.put = {group("np-a", "np-b"), group("np-b", "np-a")};
  change.ports[id("pa")] = {id("np-a"), id("np-b")};
  sink_.clear();
  ASSERT_TRUE(policy.apply(change).ok());
  EXPECT_EQ(policy.groupsWithPrefix("np-").size(), 2u);
  EXPECT_EQ(policy.groupsWithPrefix("other").size(), 0u);
  ASSERT_EQ(policy.portsOfOwner("compute:kubernetes").size(), 1u);
  EXPECT_EQ(policy.portsOfOwner("compute:kubernetes")[0].security_groups.size(), 2u);
  auto groups = statesOf(sink_.take("127.0.0.11"), schema::SECURITYGROUP);
  EXPECT_EQ(groups.count("np-a"), 1u);
  EXPECT_EQ(groups.count("np-b"), 1u);

  // Removing a group a port keeps fails, and the group put with it is not created either.
  SecurityPolicyChange bad;
  bad.put = {group("np-c", "np-c")};
  bad.remove = {id("np-a")};
  EXPECT_EQ(policy.apply(bad).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(policy.groupsWithPrefix("np-").size(), 2u);
  // A port gaining a group that does not exist: nothing changes.
  SecurityPolicyChange missing;
  missing.put = {group("np-d", "np-d")};
  missing.ports[id("pb")] = {id("np-zz")};
  EXPECT_EQ(policy.apply(missing).code(), StatusCode::kNotFound);
  EXPECT_FALSE(services_->securityGroups().get("p", id("np-d")).ok());

  // Memberships dropped and both groups removed in one call; np-b named np-a, both go.
  SecurityPolicyChange clear;
  clear.ports[id("pa")] = {};
  clear.remove = {id("np-a"), id("np-b")};
  ASSERT_TRUE(policy.apply(clear).ok());
  EXPECT_TRUE(policy.groupsWithPrefix("np-").empty());
  EXPECT_TRUE(services_->ports().get("p", id("pa"))->security_groups.empty());
}

TEST_F(ServicesTest, NetworkPolicyGroupsFilterOrCountAPortApartFromItsOwnGroups) {
  // A component like NetworkPolicy: its groups ("np-") filter pa, and count pb's address as a
  // member of np-peers without filtering pb; pb keeps its own groups.
  auto pod = [&](const std::string& name, const std::string& node) {
    Port p = addPort(name, "s1", node);
    p.device_owner = "compute:kubernetes";
    p.device_id = "uid-" + name;
    EXPECT_TRUE(services_->ports().update("p", p.id, p).ok());
    return p;
  };
  pod("pa", "node-a");
  Port pb = pod("pb", "node-b");
  SecurityGroup own;
  own.id = id("own");
  own.project_id = "p";
  ASSERT_TRUE(services_->securityGroups().create(own).ok());
  ASSERT_TRUE(services_->ports().setSecurityGroups("p", pb.id, {id("own")}).ok());
  SecurityGroup peers;
  peers.id = id("np-peers");
  peers.project_id = "p";
  SecurityGroup web;
  web.id = id("np-web");
  web.project_id = "p";
  SecurityGroupRule from_peers;
  from_peers.id = id("np-rule");
  from_peers.remote_group_id = peers.id;
  web.rules.push_back(from_peers);
  services_->securityGroups().setManagedPrefix("np-");
  int changed = 0;
  std::optional<PolicyMembership> for_new_port;
  services_->ports().setPolicyHooks({"compute:kubernetes",
                                     [&](const std::string&, bool) { return for_new_port; },
                                     [&] { ++changed; }});

  SecurityPolicyService& policy = services_->securityPolicy();
  SecurityPolicyChange change;
  change.put = {peers, web};
  change.policy_ports[id("pa")] = {{id("np-web")}, {}};
  change.policy_ports[id("pb")] = {{}, {id("np-peers")}};
  change.policy_ports[id("gone")] = {{id("np-web")}, {}};  // deleted meanwhile: skipped
  sink_.clear();
  ASSERT_TRUE(policy.apply(change).ok());
  // pa's host gets both groups, np-peers with pb's address as its member.
  auto a = sink_.take("127.0.0.11");
  auto groups = statesOf(a, schema::SECURITYGROUP);
  EXPECT_EQ(groups.count("np-web"), 1u);
  ASSERT_EQ(groups.count("np-peers"), 1u);
  for (const auto& st : a) {
    if (st->type == schema::SECURITYGROUP && st->key == "np-peers") {
      schema::SecurityGroupState state;
      ASSERT_TRUE(state.ParseFromString(st->bytes));
      ASSERT_EQ(state.configuration().member_ip_addresses_size(), 1);
      EXPECT_EQ(state.configuration().member_ip_addresses(0), textOf(pb.fixed_ips[0].ip_address));
    }
    if (st->type == schema::PORT && st->key == "pa") {
      schema::PortState state;
      ASSERT_TRUE(state.ParseFromString(st->bytes));
      ASSERT_EQ(state.configuration().security_group_ids_size(), 1);
      EXPECT_EQ(state.configuration().security_group_ids(0).id(), "np-web");
    }
  }
  // pb is filtered by its own group only: np-peers counts it, never filters it.
  for (const auto& st : sink_.take("127.0.0.12")) {
    if (st->type != schema::PORT || st->key != "pb") continue;
    schema::PortState state;
    ASSERT_TRUE(state.ParseFromString(st->bytes));
    ASSERT_EQ(state.configuration().security_group_ids_size(), 1);
    EXPECT_EQ(state.configuration().security_group_ids(0).id(), "own");
  }
  EXPECT_EQ(services_->ports().get("p", pb.id)->security_groups,
            std::vector<ResourceId>{id("own")});
  EXPECT_EQ(services_->ports().get("p", pb.id)->policy_address_groups,
            std::vector<ResourceId>{id("np-peers")});

  // The component's groups change only through it; a port update keeps its policy groups.
  EXPECT_EQ(services_->securityGroups().remove("p", id("np-web")).code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(services_->securityGroups().replace("p", id("np-web"), web).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(services_->securityGroups()
                .create(SecurityGroup{id("np-x"), "p", "", "", {}})
                .status()
                .code(),
            StatusCode::kFailedPrecondition);
  const int before = changed;
  Port update = *services_->ports().get("p", id("pa"));
  update.policy_security_groups.clear();
  update.name = "renamed";
  ASSERT_TRUE(services_->ports().update("p", update.id, update).ok());
  EXPECT_EQ(services_->ports().get("p", id("pa"))->policy_security_groups,
            std::vector<ResourceId>{id("np-web")});
  EXPECT_GT(changed, before) << "the component hears of its ports' changes";

  // A new pod port starts with the groups the component gives it (existing ones only).
  for_new_port = PolicyMembership{{id("np-web"), id("np-missing")}, {id("np-peers")}};
  Port pc;
  pc.id = id("pc");
  pc.project_id = "p";
  pc.network_id = id("v1");
  pc.host_id = "node-c";
  pc.device_owner = "compute:kubernetes";
  pc.device_id = "uid-pc";
  pc.policy_address_groups = {id("own")};  // not the caller's to choose
  pc = services_->ports().create(pc).value();
  EXPECT_EQ(pc.policy_security_groups, std::vector<ResourceId>{id("np-web")});
  EXPECT_EQ(pc.policy_address_groups, std::vector<ResourceId>{id("np-peers")});

  // Groups an address member still uses cannot go; once nobody uses them, the hosts that held
  // them are told to delete them.
  SecurityPolicyChange early;
  early.remove = {id("np-peers")};
  EXPECT_EQ(policy.apply(early).code(), StatusCode::kFailedPrecondition);
  SecurityPolicyChange clear;
  for (const char* p : {"pa", "pb", "pc"}) clear.policy_ports[id(p)] = {};
  clear.remove = {id("np-web"), id("np-peers")};
  sink_.clear();
  ASSERT_TRUE(policy.apply(clear).ok());
  auto deleted = statesOf(sink_.take("127.0.0.11"), schema::SECURITYGROUP);
  EXPECT_EQ(deleted["np-web"], schema::DELETE);
  EXPECT_EQ(deleted["np-peers"], schema::DELETE);
  EXPECT_TRUE(policy.groupsWithPrefix("np-").empty());
  EXPECT_TRUE(services_->ports().get("p", pb.id)->policy_address_groups.empty());
}

}  // namespace
}  // namespace alcor::controller
