// The controller with --southbound=mq over a real 3-node NATS cluster, and in-process agents
// (the agent's real NatsGoalStateSubscriber over a recording apply), each on another node of
// the cluster: ports turn ACTIVE and every host holds every neighbor, a subnet's neighbors
// travel once per change on its subject; killing a NATS node during a burst of port creations
// loses nothing; a restarted agent resubscribes and gets its full state; with multicast off
// (a high minimum) everything still arrives by unicast. --southbound=auto: unicast by the
// scheduler's pusher (standing for gRPC, into the agents' applyUnicast), the VPC's subnets
// multicast only while it is above the threshold, across both crossings and back; a gap is
// repaired by a full state over that path.

#include <gtest/gtest.h>

#include <fstream>

#include "controller/mq/nats_sink.h"
#include "lib/nats/nats_connection.h"
#include "lib/southbound/subjects.h"
#include "node-agent/goalstate/nats_subscriber.h"
#include "node-agent/ondemand/ondemand_client.h"
#include "tests/fakes/fake_goalstate_pusher.h"
#include "tests/fakes/recording_goalstate_apply.h"
#include "tests/harness/nats_cluster.h"
#include "tests/unit/controller/controller_fixture.h"
#include "tests/unit/controller/fake_agent.h"

namespace alcor::controller::testing {
namespace {

using namespace std::chrono_literals;
using alcor::testing::waitFor;

// An agent taking GoalStates over NATS only.
struct MqAgent {
  std::string ip;
  std::unique_ptr<nats::NatsConnection> bus;
  agent::RecordingGoalStateApply state;
  std::unique_ptr<agent::NatsGoalStateSubscriber> subscriber;
  std::atomic<int> resyncs{0};

  static std::unique_ptr<MqAgent> start(const std::string& ip, nats::NatsOptions o,
                                        std::function<void(const std::string& ip)> resync) {
    auto a = std::make_unique<MqAgent>();
    a->ip = ip;
    o.ordered_delivery = true;
    auto bus = nats::NatsConnection::connect(o);
    EXPECT_TRUE(bus.ok()) << bus.status();
    if (!bus.ok()) return nullptr;
    a->bus = std::move(bus).value();
    MqAgent* self = a.get();
    a->subscriber = std::make_unique<agent::NatsGoalStateSubscriber>(
        *a->bus, ip, [self](const schema::GoalStateV2& gs) { return self->state.apply(gs); },
        [self, resync] {
          ++self->resyncs;
          resync(self->ip);
          return okStatus();
        });
    EXPECT_TRUE(a->subscriber->start().ok());
    return a;
  }
};

class NatsSouthboundTest : public ControllerFixture {
 protected:
  void SetUp() override {
    auto c = alcor::testing::NatsCluster::start({});
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = std::move(c).value();
  }
  void TearDown() override {
    agents_.clear();
    ControllerFixture::TearDown();
  }
  ControllerConfig natsConfig(const std::string& southbound, int64_t multicast_min) {
    ControllerConfig config = testConfig();
    config.southbound = southbound;
    config.push_timeout_ms = 2000;
    config.mq_multicast_min = multicast_min;
    for (const auto& u : cluster_->urls()) config.nats_servers += u + ",";
    if (secured_) {
      config.nats_user = "alcor-controller";
      config.nats_password_file = pki_->path() + "/controller.pw";
      config.nats_ca = pki_->path() + "/ca.crt";
    }
    return config;
  }
  void start(int hosts, int64_t multicast_min = 2) {
    startController(natsConfig("mq", multicast_min));
    addHosts(hosts);
  }
  void addHosts(int hosts) {
    for (int i = 0; i < hosts; ++i) {
      addAgent(i);
      registerNode("node-" + std::to_string(i), ipOf(i), 50001);
    }
    createVpc("vpc1");
    createSubnet("s1", "vpc1", "10.0.1.0/24");
  }
  std::string ipOf(int i) const { return "10.8.0." + std::to_string(i + 1); }
  // Each agent prefers another node of the cluster; secured: its own user.
  nats::NatsOptions agentOptions(int i) const {
    nats::NatsOptions o;
    for (size_t k = 0; k < cluster_->size(); ++k) {
      o.servers.push_back(cluster_->url((i + k) % cluster_->size()));
    }
    if (secured_) {
      o.user = "node-" + std::to_string(i);
      o.password = "pw-" + std::to_string(i);
      o.ca_file = pki_->path() + "/ca.crt";
    }
    return o;
  }
  void addAgent(int i) {
    auto a = MqAgent::start(ipOf(i), agentOptions(i), [this](const std::string& host) {
      app_->sink().requestResync(host);  // what RequestGoalStates AGENT_RESTARTED does
    });
    ASSERT_TRUE(a);
    agents_.resize(std::max<size_t>(agents_.size(), i + 1));
    agents_[i] = std::move(a);
  }
  // Bulk-creates `n` ports spread over the hosts; returns their ids.
  std::vector<std::string> createPorts(int n, const std::string& prefix) {
    json ports = json::array();
    std::vector<std::string> ids;
    for (int k = 0; k < n; ++k) {
      ids.push_back(prefix + std::to_string(k));
      ports.push_back({{"id", ids.back()},
                       {"network_id", "vpc1"},
                       {"binding:host_id", "node-" + std::to_string(k % agents_.size())},
                       {"device_id", "dev-" + ids.back()},
                       {"fixed_ips", {{{"subnet_id", "s1"}}}}});
    }
    auto r = call("POST", "/project/p/ports/bulk", {{"ports", ports}});
    EXPECT_EQ(r.status, 201) << r.body.dump();
    return ids;
  }
  // Every port ACTIVE, on its host's agent, and an L2 neighbor on every other host.
  bool converged(const std::vector<std::string>& ids) {
    auto r = call("GET", "/project/p/ports");
    if (r.status != 200) return false;
    std::map<std::string, std::string> host_of;
    for (const auto& p : r.body["ports"]) {
      if (p["status"] != "ACTIVE") return false;
      host_of[p["id"]] = p["binding:host_id"];
    }
    for (size_t i = 0; i < agents_.size(); ++i) {
      auto ports = agents_[i]->state.ports();
      auto neighbors = agents_[i]->state.neighborKeys();
      // Deleted ports gone from their hosts; a host whose last port went drops the subnet's
      // neighbors just after the port.
      for (const auto& port : ports) {
        if (!host_of.count(port)) return false;
      }
      if (ports.empty() && !neighbors.empty()) return false;
      for (const auto& id : ids) {
        bool local = host_of[id] == "node-" + std::to_string(i);
        if (local && !ports.count(id)) return false;
        // Hosts with a port in the subnet hold every other port as a neighbor.
        if (!local && !ports.empty() && !neighbors.count("L2/" + id)) return false;
      }
    }
    return true;
  }
  void expectConverged(const std::vector<std::string>& ids) {
    EXPECT_TRUE(waitFor([&] { return converged(ids); }, 30s));
    for (size_t i = 0; i < agents_.size(); ++i) {
      const size_t own = agents_[i]->state.ports().size();
      EXPECT_EQ(agents_[i]->state.neighborKeys().size(), own ? ids.size() - own : 0)
          << "host " << i << " holds a neighbor it should not";
    }
  }

  std::unique_ptr<alcor::testing::NatsCluster> cluster_;
  std::vector<std::unique_ptr<MqAgent>> agents_;
  bool secured_ = false;
  std::unique_ptr<alcor::testing::TempDir> pki_;
};

// TLS with scripts/gen-certs.sh certificates, a user per agent with the permissions of
// southbound::agentPermissions, the controller's user with controllerPermissions.
class SecuredNatsSouthboundTest : public NatsSouthboundTest {
 protected:
  static constexpr int kHosts = 3;
  static alcor::testing::NatsUser user(const std::string& name, const std::string& password,
                                       const southbound::Permissions& p) {
    return {name, password, p.publish, p.subscribe, p.allow_responses};
  }
  void SetUp() override {
    secured_ = true;
    pki_ = std::make_unique<alcor::testing::TempDir>("alcor-nats-pki");
    auto gen = alcor::testing::run({ALCOR_SOURCE_DIR "/scripts/gen-certs.sh", pki_->path(), "--san",
                                    "127.0.0.1", "--days", "2"});
    ASSERT_TRUE(gen.ok()) << gen.describe();
    std::ofstream(pki_->path() + "/controller.pw") << "pw-controller\n";
    alcor::testing::NatsClusterOptions o;
    o.tls_cert = pki_->path() + "/controller.crt";
    o.tls_key = pki_->path() + "/controller.key";
    o.tls_ca = pki_->path() + "/ca.crt";
    o.users.push_back(
        user("alcor-controller", "pw-controller", southbound::controllerPermissions()));
    for (int i = 0; i < kHosts; ++i) {
      o.users.push_back(user("node-" + std::to_string(i), "pw-" + std::to_string(i),
                             southbound::agentPermissions(ipOf(i))));
    }
    auto c = alcor::testing::NatsCluster::start(o);
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = std::move(c).value();
  }
};

TEST_F(SecuredNatsSouthboundTest, AgentsWorkWithTheirOwnPermissionsAndCannotReadOtherHosts) {
  start(kHosts);
  auto ids = createPorts(3, "a");
  expectConverged(ids);
  ASSERT_TRUE(waitFor([&] { return app_->natsSink()->stats().members == kHosts; }, 10s));
  // Node 0's credentials, trying to read node 1's unicast subject: nothing arrives.
  auto spy = nats::NatsConnection::connect(agentOptions(0));
  ASSERT_TRUE(spy.ok()) << spy.status();
  std::atomic<int> seen{0};
  auto sub =
      (*spy)->subscribe(southbound::hostSubject(ipOf(1)), [&](const nats::Message&) { ++seen; });
  ASSERT_TRUE(sub.ok());
  (void)(*spy)->flush(2s);
  // Nor speak for node 1: a notice on its subject is not delivered to the controller.
  ASSERT_TRUE(
      (*spy)
          ->publish(southbound::agentSubject(ipOf(1)), "unsubscribed alcor.gs.subnet.vpc1.s1")
          .ok());
  auto more = createPorts(6, "b");
  ids.insert(ids.end(), more.begin(), more.end());
  expectConverged(ids);
  EXPECT_EQ(seen.load(), 0);
  EXPECT_EQ(app_->natsSink()->stats().members, static_cast<uint64_t>(kHosts));
  EXPECT_GT(app_->natsSink()->stats().messages, 0u);
}

TEST_F(NatsSouthboundTest, PortsTurnActiveAndNeighborsTravelOncePerSubnet) {
  start(4);
  // The first port of each host makes its agent subscribe to the subnet's subject.
  auto first = createPorts(4, "a");
  expectConverged(first);
  ASSERT_TRUE(waitFor([&] { return app_->natsSink()->stats().members == 4; }, 10s));
  auto before = app_->natsSink()->stats();
  auto more = createPorts(12, "b");
  first.insert(first.end(), more.begin(), more.end());
  expectConverged(first);
  auto after = app_->natsSink()->stats();
  // 12 ports, each announced to 3 hosts (4 counting its own, which ignores it): at least
  // 12 * 3 host copies from the subnet subject, in far fewer messages.
  EXPECT_GE(after.host_copies - before.host_copies, 36u);
  EXPECT_LT(after.messages - before.messages, 12u);
  for (const auto& a : agents_) {
    EXPECT_EQ(a->subscriber->subjects(), std::set<std::string>{"alcor.gs.subnet.vpc1.s1"});
    EXPECT_EQ(a->resyncs.load(), 0);
    EXPECT_GT(a->subscriber->stats().multicast_messages, 0u);
  }

  // Deleting a host's ports: its neighbors go everywhere, and it leaves the subject.
  for (const auto& id : first) {
    if (std::stoi(id.substr(1)) % 4 == 3) {
      EXPECT_EQ(call("DELETE", "/project/p/ports/" + id).status, 204);
    }
  }
  std::vector<std::string> left;
  for (const auto& id : first) {
    if (std::stoi(id.substr(1)) % 4 != 3) left.push_back(id);
  }
  EXPECT_TRUE(waitFor([&] { return agents_[3]->subscriber->subjects().empty(); }, 10s));
  expectConverged(left);
  EXPECT_TRUE(agents_[3]->state.neighborKeys().empty());
}

TEST_F(NatsSouthboundTest, KillingANatsNodeDuringABurstLosesNothing) {
  start(3);
  auto ids = createPorts(3, "a");
  expectConverged(ids);
  std::thread killer([&] {
    std::this_thread::sleep_for(20ms);
    cluster_->kill(1);
  });
  for (int round = 0; round < 6; ++round) {
    auto more = createPorts(10, "r" + std::to_string(round) + "x");
    ids.insert(ids.end(), more.begin(), more.end());
    std::this_thread::sleep_for(10ms);
  }
  killer.join();
  expectConverged(ids);
  ASSERT_TRUE(cluster_->restart(1).ok());
}

TEST_F(NatsSouthboundTest, ARestartedAgentResubscribesAndResyncs) {
  start(3);
  auto ids = createPorts(9, "a");
  expectConverged(ids);
  // Agent 2 restarts with nothing: it registers its node again, which resyncs it.
  agents_[2].reset();
  addAgent(2);
  auto r = call("PUT", "/nodes/node-2",
                {{"host_info",
                  {{"node_id", "node-2"},
                   {"node_name", "node-2"},
                   {"local_ip", ipOf(2)},
                   {"mac_address", macFor(ipOf(2))},
                   {"server_port", 50001}}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  expectConverged(ids);
  EXPECT_EQ(agents_[2]->subscriber->subjects().size(), 1u);
  // And it is counted on the subject again: new ports reach it from there.
  ASSERT_TRUE(waitFor([&] { return app_->natsSink()->stats().members == 3; }, 10s));
  auto more = createPorts(6, "b");
  ids.insert(ids.end(), more.begin(), more.end());
  expectConverged(ids);
}

// An agent on 127.0.0.1 (the source address of its local gRPC calls, which is how the
// plaintext controller knows the host) asks for its full state over RequestGoalStates when a
// subnet message is missing.
TEST_F(NatsSouthboundTest, AGapIsRepairedThroughRequestGoalStates) {
  start(2);
  auto ondemand =
      agent::makeGrpcOnDemandClient("127.0.0.1:" + std::to_string(app_->grpcPort()), 5000ms);
  auto local = MqAgent::start("127.0.0.1", {.servers = cluster_->urls()}, [&](const std::string&) {
    schema::HostRequest request;
    request.add_state_requests()->set_request_type(schema::AGENT_RESTARTED);
    auto reply = ondemand->requestGoalStates(request);
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_EQ(reply->operation_statuses_size(), 1);
    EXPECT_EQ(reply->operation_statuses(0).operation_status(), schema::SUCCESS);
  });
  ASSERT_TRUE(local);
  registerNode("node-2", "127.0.0.1", 50001);  // agents_[2]
  agents_.push_back(std::move(local));
  auto ids = createPorts(3, "a");
  expectConverged(ids);
  ASSERT_TRUE(waitFor([&] { return app_->natsSink()->stats().members == 3; }, 10s));
  auto counted = createPorts(3, "c");  // by multicast: every host has a baseline now
  ids.insert(ids.end(), counted.begin(), counted.end());
  expectConverged(ids);
  ASSERT_GT(agents_[2]->subscriber->stats().baselines, 0u);
  const uint64_t resyncs = app_->scheduler().stats().resyncs;
  // A message the agent never saw: the next one it gets is a gap.
  auto tester = nats::NatsConnection::connect(nats::NatsOptions{.servers = cluster_->urls()});
  ASSERT_TRUE(tester.ok());
  ASSERT_TRUE((*tester)
                  ->publish("alcor.gs.subnet.vpc1.s1", schema::GoalStateV2().SerializeAsString(),
                            {{southbound::kEpochHeader, app_->natsSink()->epoch()},
                             {southbound::kSeqHeader, "100000"}})
                  .ok());
  ASSERT_TRUE(waitFor([&] { return agents_[2]->resyncs.load() == 1; }, 10s));
  EXPECT_TRUE(waitFor([&] { return app_->scheduler().stats().resyncs > resyncs; }, 10s));
  // Counted again after saying what it subscribed to; more ports converge.
  ASSERT_TRUE(waitFor([&] { return app_->natsSink()->stats().members == 3; }, 10s));
  auto more = createPorts(6, "b");
  ids.insert(ids.end(), more.begin(), more.end());
  expectConverged(ids);
}

TEST_F(NatsSouthboundTest, WithoutMulticastEverythingArrivesByUnicast) {
  start(3, /*multicast_min=*/1000);
  auto ids = createPorts(12, "a");
  expectConverged(ids);
  EXPECT_EQ(app_->natsSink()->stats().messages, 0u);
}

// --southbound=auto. The agents get unicast from the scheduler's pusher, here a fake handing
// the bytes to what their gRPC server calls (applyUnicast, with the epoch of the metadata), and
// subnet messages over NATS.
class AutoSouthboundTest : public NatsSouthboundTest {
 protected:
  void startAuto(int hosts, int64_t up, int64_t down) {
    ControllerConfig config = natsConfig("auto", 2);
    config.mq_auto_up = up;
    config.mq_auto_down = down;
    auto pusher = std::make_unique<FakeGoalStatePusher>();
    pusher->deliverTo(
        [this](const std::string& address, const EncodedGoalState& message) -> StatusOr<PushReply> {
          MqAgent* agent = nullptr;
          for (const auto& a : agents_) agent = address == a->ip + ":50001" ? a.get() : agent;
          if (!agent) return unavailableError("no agent at " + address);
          schema::GoalStateV2 gs;
          if (!gs.ParseFromString(message.bytes)) return internalError("not a GoalStateV2");
          auto reply = agent->subscriber->applyUnicast(std::move(gs), epoch_);
          return readPushReply(reply.SerializeAsString());
        });
    auto app = ControllerApp::start(config, std::move(pusher));
    ASSERT_TRUE(app.ok()) << app.status();
    app_ = std::move(app).value();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", app_->restPort());
    epoch_ = app_->natsSink()->epoch();
    addHosts(hosts);
  }
  void deletePorts(std::vector<std::string>& ids, size_t keep) {
    while (ids.size() > keep) {
      EXPECT_EQ(call("DELETE", "/project/p/ports/" + ids.front()).status, 204);
      ids.erase(ids.begin());
    }
  }
  std::string metrics() {
    auto r = client_->Get("/metrics");
    return r ? r->body : "";
  }
  std::string epoch_;
};

TEST_F(AutoSouthboundTest, AVpcCrossesToNatsAndBackLosingNothing) {
  startAuto(3, /*up=*/6, /*down=*/3);
  // 3 ports: gRPC only. Their agents subscribed all the same (ports delivered by gRPC drive
  // the subscriptions), ready for a crossing.
  auto ids = createPorts(3, "a");
  expectConverged(ids);
  ASSERT_TRUE(waitFor([&] { return app_->natsSink()->stats().members == 3; }, 10s));
  EXPECT_FALSE(app_->natsSink()->multicastVpc("vpc1"));
  EXPECT_EQ(app_->natsSink()->stats().messages, 0u);

  // 9 ports > 6: the request that crosses sends its neighbors over NATS already.
  auto more = createPorts(6, "b");
  ids.insert(ids.end(), more.begin(), more.end());
  expectConverged(ids);
  auto up = app_->natsSink()->stats();
  EXPECT_TRUE(app_->natsSink()->multicastVpc("vpc1"));
  EXPECT_EQ(up.vpcs_on_mq, 1u);
  EXPECT_EQ(up.path_switches, 1u);
  EXPECT_GT(up.messages, 0u);
  EXPECT_GE(up.host_copies, 12u);  // 6 new ports, each to the 2 other hosts at least
  EXPECT_NE(metrics().find("alcor_mq_auto_vpcs 1\n"), std::string::npos);

  // Deleted down to 2 ports (< 3): back to gRPC; between 6 and 3 it stays on NATS.
  deletePorts(ids, 3);
  EXPECT_TRUE(app_->natsSink()->multicastVpc("vpc1"));
  deletePorts(ids, 2);
  expectConverged(ids);
  EXPECT_FALSE(app_->natsSink()->multicastVpc("vpc1"));
  EXPECT_EQ(app_->natsSink()->stats().path_switches, 2u);
  EXPECT_NE(metrics().find("alcor_mq_auto_switches_total 2\n"), std::string::npos);

  // On gRPC the agents still subscribed get their neighbors by unicast.
  const uint64_t messages = app_->natsSink()->stats().messages;
  more = createPorts(3, "c");
  ids.insert(ids.end(), more.begin(), more.end());
  expectConverged(ids);
  EXPECT_EQ(app_->natsSink()->stats().messages, messages);

  // Up again: the subjects' sequence goes on where the agents left it, no gap, no resync.
  more = createPorts(4, "d");
  ids.insert(ids.end(), more.begin(), more.end());
  expectConverged(ids);
  EXPECT_GT(app_->natsSink()->stats().messages, messages);
  EXPECT_EQ(app_->natsSink()->stats().path_switches, 3u);
  for (const auto& a : agents_) {
    EXPECT_EQ(a->resyncs.load(), 0);
    EXPECT_EQ(a->subscriber->stats().gaps, 0u);
  }
}

// A lost subnet message: the agent asks for its full state, which comes back over the gRPC
// path (the fake pusher here), and it is counted on the subject again.
TEST_F(AutoSouthboundTest, AGapIsRepairedWithAFullStateOverGrpc) {
  startAuto(3, /*up=*/3, /*down=*/1);
  auto ids = createPorts(6, "a");
  expectConverged(ids);
  ASSERT_TRUE(waitFor([&] { return app_->natsSink()->stats().members == 3; }, 10s));
  auto more = createPorts(3, "b");  // multicast: every host has its baseline now
  ids.insert(ids.end(), more.begin(), more.end());
  expectConverged(ids);
  ASSERT_TRUE(app_->natsSink()->multicastVpc("vpc1"));
  const uint64_t resyncs = app_->scheduler().stats().resyncs;
  auto tester = nats::NatsConnection::connect(nats::NatsOptions{.servers = cluster_->urls()});
  ASSERT_TRUE(tester.ok());
  ASSERT_TRUE((*tester)
                  ->publish("alcor.gs.subnet.vpc1.s1", schema::GoalStateV2().SerializeAsString(),
                            {{southbound::kEpochHeader, epoch_}, {southbound::kSeqHeader, "9999"}})
                  .ok());
  ASSERT_TRUE(waitFor(
      [&] {
        for (const auto& a : agents_) {
          if (a->resyncs.load() != 1) return false;
        }
        return true;
      },
      10s));
  EXPECT_TRUE(waitFor([&] { return app_->scheduler().stats().resyncs >= resyncs + 3; }, 10s));
  ASSERT_TRUE(waitFor([&] { return app_->natsSink()->stats().members == 3; }, 10s));
  const uint64_t messages = app_->natsSink()->stats().messages;
  more = createPorts(6, "c");
  ids.insert(ids.end(), more.begin(), more.end());
  expectConverged(ids);
  EXPECT_GT(app_->natsSink()->stats().messages, messages);
  for (const auto& a : agents_) EXPECT_EQ(a->subscriber->stats().gaps, 1u);
}

// The real gRPC pusher: unicast goes to the agent's gRPC server, with the epoch of the NATS
// messages as metadata.
TEST_F(AutoSouthboundTest, UnicastGoesOverGrpcWithTheControllersEpoch) {
  startController(natsConfig("auto", 2));
  FakeAgent grpc_agent;
  ASSERT_TRUE(grpc_agent.start("127.0.0.1"));
  registerNode("node-g", "127.0.0.1", grpc_agent.port());
  createVpc("vpc1");
  createSubnet("s1", "vpc1", "10.0.1.0/24");
  createPort("p1", "vpc1", "s1", "node-g");
  ASSERT_TRUE(waitFor([&] { return grpc_agent.merged().port_states().contains("p1"); }, 10s));
  EXPECT_EQ(grpc_agent.epochs(), std::set<std::string>{app_->natsSink()->epoch()});
}

TEST_F(AutoSouthboundTest, BadThresholdsAreRefused) {
  ControllerConfig config = natsConfig("auto", 2);
  config.mq_auto_up = 10;
  config.mq_auto_down = 20;
  auto app = ControllerApp::start(config);
  ASSERT_FALSE(app.ok());
  EXPECT_EQ(app.status().code(), StatusCode::kInvalidArgument);
  config.southbound = "broker";
  EXPECT_EQ(ControllerApp::start(config).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace alcor::controller::testing
