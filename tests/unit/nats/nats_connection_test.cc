// The NATS message bus against real `nats-server` clusters on loopback ports (3 nodes, started
// and killed by PID): subjects, publish/subscribe across nodes with headers and order,
// request/reply, credentials and permissions over TLS, failover when a node dies.

#include "lib/nats/nats_connection.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "tests/harness/nats_cluster.h"

namespace alcor::nats {
namespace {

using alcor::testing::NatsCluster;
using alcor::testing::NatsClusterOptions;
using alcor::testing::NatsUser;
using namespace std::chrono_literals;

// Collects messages delivered to a handler.
struct Inbox {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Message> messages;
  MessageHandler handler() {
    return [this](const Message& m) {
      std::lock_guard lock(mu);
      messages.push_back(m);
      cv.notify_all();
    };
  }
  bool waitCount(size_t n, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, timeout, [&] { return messages.size() >= n; });
  }
  std::vector<std::string> data() {
    std::lock_guard lock(mu);
    std::vector<std::string> out;
    for (const auto& m : messages) out.push_back(m.data);
    return out;
  }
};

std::unique_ptr<NatsConnection> connectTo(std::vector<std::string> servers, NatsOptions o = {}) {
  o.servers = std::move(servers);
  auto c = NatsConnection::connect(o);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(c).value() : nullptr;
}

TEST(NatsSubjectTest, ValidSubjectsAndWildcards) {
  EXPECT_TRUE(validSubject("alcor.gs.host.10-0-0-1"));
  EXPECT_FALSE(validSubject(""));
  EXPECT_FALSE(validSubject("alcor..gs"));
  EXPECT_FALSE(validSubject("alcor.gs."));
  EXPECT_FALSE(validSubject("alcor.*"));
  EXPECT_FALSE(validSubject("alcor.gs >"));
  EXPECT_TRUE(subjectMatches("alcor.gs.subnet.>", "alcor.gs.subnet.v.s"));
  EXPECT_FALSE(subjectMatches("alcor.gs.subnet.>", "alcor.gs.subnet"));
  EXPECT_TRUE(subjectMatches("alcor.*.host.x", "alcor.gs.host.x"));
  EXPECT_FALSE(subjectMatches("alcor.*.host.x", "alcor.gs.host.y"));
  EXPECT_FALSE(subjectMatches("alcor.gs", "alcor.gs.host"));
}

class NatsClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = NatsCluster::start(NatsClusterOptions{});
    ASSERT_TRUE(c.ok()) << c.status();
    cluster_ = std::move(c).value();
  }
  std::unique_ptr<NatsCluster> cluster_;
};

TEST_F(NatsClusterTest, PublishReachesSubscribersOnOtherNodesInOrderWithHeaders) {
  auto sub_conn = connectTo({cluster_->url(2)});
  auto pub_conn = connectTo({cluster_->url(0)});
  ASSERT_TRUE(sub_conn && pub_conn);
  Inbox inbox, other;
  auto sub = sub_conn->subscribe("alcor.test.*", inbox.handler());
  auto sub2 = sub_conn->subscribe("alcor.other", other.handler());
  ASSERT_TRUE(sub.ok() && sub2.ok());
  ASSERT_TRUE(sub_conn->flush(2s).ok());
  // Interest reaches the publisher's node asynchronously.
  ASSERT_TRUE(alcor::testing::waitFor(
      [&] {
        (void)pub_conn->publish("alcor.test.probe", "probe");
        return inbox.waitCount(1, 50ms);
      },
      5s));
  const size_t base = inbox.data().size();
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(
        pub_conn->publish("alcor.test.a", std::to_string(i), {{"Alcor-Seq", std::to_string(i)}})
            .ok());
  }
  ASSERT_TRUE(inbox.waitCount(base + 100));
  auto data = inbox.data();
  std::lock_guard lock(inbox.mu);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(data[base + i], std::to_string(i));
    EXPECT_EQ(inbox.messages[base + i].header("Alcor-Seq"), std::to_string(i));
    EXPECT_EQ(inbox.messages[base + i].subject, "alcor.test.a");
  }
  EXPECT_TRUE(other.data().empty());
  EXPECT_EQ(pub_conn->publish("bad subject", "x").code(), StatusCode::kInvalidArgument);
}

TEST_F(NatsClusterTest, UnsubscribeStopsDelivery) {
  auto conn = connectTo({cluster_->url(1)});
  ASSERT_TRUE(conn);
  Inbox inbox;
  auto sub = conn->subscribe("alcor.unsub", inbox.handler());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(conn->flush(2s).ok());
  ASSERT_TRUE(conn->publish("alcor.unsub", "one").ok());
  ASSERT_TRUE(inbox.waitCount(1));
  (*sub)->unsubscribe();
  ASSERT_TRUE(conn->publish("alcor.unsub", "two").ok());
  ASSERT_TRUE(conn->flush(2s).ok());
  // A later subscription on the same connection sees "three"; the closed one never "two".
  Inbox later;
  auto sub2 = conn->subscribe("alcor.unsub", later.handler());
  ASSERT_TRUE(sub2.ok());
  ASSERT_TRUE(conn->flush(2s).ok());
  ASSERT_TRUE(conn->publish("alcor.unsub", "three").ok());
  ASSERT_TRUE(later.waitCount(1));
  EXPECT_EQ(inbox.data(), std::vector<std::string>{"one"});
}

TEST_F(NatsClusterTest, RequestReplyAcrossNodes) {
  auto server = connectTo({cluster_->url(0)});
  auto client = connectTo({cluster_->url(2)});
  ASSERT_TRUE(server && client);
  auto sub = server->subscribe("alcor.echo", [&](const Message& m) {
    (void)server->publish(m.reply, "echo:" + m.data, {{"Who", m.header("Who")}});
  });
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(server->flush(2s).ok());
  StatusOr<Message> reply = unavailableError("not yet");
  ASSERT_TRUE(alcor::testing::waitFor(
      [&] {
        reply = client->request("alcor.echo", "hi", {{"Who", "me"}}, 1s);
        return reply.ok();
      },
      5s))
      << reply.status();
  EXPECT_EQ(reply->data, "echo:hi");
  EXPECT_EQ(reply->header("Who"), "me");
  // Nobody listens: "no responders" at once, not a timeout.
  auto none = client->request("alcor.nobody", "x", {}, 2s);
  EXPECT_EQ(none.status().code(), StatusCode::kUnavailable) << none.status();
  // A responder that never answers: the deadline.
  auto silent = server->subscribe("alcor.silent", [](const Message&) {});
  ASSERT_TRUE(silent.ok());
  ASSERT_TRUE(server->flush(2s).ok());
  ASSERT_TRUE(alcor::testing::waitFor(
      [&] {
        return client->request("alcor.silent", "x", {}, 100ms).status().code() ==
               StatusCode::kDeadlineExceeded;
      },
      5s));
}

TEST_F(NatsClusterTest, ClientsFailOverWhenTheirNodeDies) {
  auto sub_conn = connectTo({cluster_->url(0), cluster_->url(1), cluster_->url(2)});
  auto pub_conn = connectTo({cluster_->url(1), cluster_->url(2), cluster_->url(0)});
  ASSERT_TRUE(sub_conn && pub_conn);
  Inbox inbox;
  auto sub = sub_conn->subscribe("alcor.failover", inbox.handler());
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub_conn->flush(2s).ok());
  // Kill the node the subscriber is connected to.
  std::string url = sub_conn->connectedUrl();
  size_t victim = 0;
  for (size_t i = 0; i < cluster_->size(); ++i) {
    if (cluster_->url(i) == url) victim = i;
  }
  cluster_->kill(victim);
  ASSERT_TRUE(alcor::testing::waitFor(
      [&] { return sub_conn->reconnects() > 0 && sub_conn->connected(); }, 10s));
  EXPECT_NE(sub_conn->connectedUrl(), url);
  // The subscription was re-established on the new node: messages flow again.
  ASSERT_TRUE(alcor::testing::waitFor(
      [&] {
        (void)pub_conn->publish("alcor.failover", "after");
        return inbox.waitCount(1, 50ms);
      },
      10s));
  ASSERT_TRUE(cluster_->restart(victim).ok());
}

TEST_F(NatsClusterTest, OrderedDeliveryKeepsTheOrderAcrossSubjects) {
  NatsOptions o;
  o.ordered_delivery = true;
  auto sub_conn = connectTo({cluster_->url(0)}, o);
  auto pub_conn = connectTo({cluster_->url(0)});
  ASSERT_TRUE(sub_conn && pub_conn);
  std::mutex mu;
  std::vector<std::string> seen;
  auto record = [&](const Message& m) {
    std::lock_guard lock(mu);
    seen.push_back(m.data);
  };
  auto a = sub_conn->subscribe("alcor.order.a", record);
  auto b = sub_conn->subscribe("alcor.order.b", record);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(sub_conn->flush(2s).ok());
  std::vector<std::string> sent;
  for (int i = 0; i < 500; ++i) {
    sent.push_back(std::to_string(i));
    ASSERT_TRUE(pub_conn->publish(i % 3 ? "alcor.order.a" : "alcor.order.b", sent.back()).ok());
  }
  ASSERT_TRUE(alcor::testing::waitFor(
      [&] {
        std::lock_guard lock(mu);
        return seen.size() == sent.size();
      },
      5s));
  std::lock_guard lock(mu);
  EXPECT_EQ(seen, sent);
}

// TLS on the client port with certificates of scripts/gen-certs.sh, users with passwords and
// permissions: a wrong password is refused, a user receives and sends only what it may.
TEST(NatsSecurityTest, TlsCredentialsAndPermissions) {
  alcor::testing::TempDir dir("alcor-nats-pki");
  auto gen = alcor::testing::run(
      {ALCOR_SOURCE_DIR "/scripts/gen-certs.sh", dir.path(), "--san", "127.0.0.1", "--days", "2"});
  ASSERT_TRUE(gen.ok()) << gen.describe();
  NatsClusterOptions o;
  o.tls_cert = dir.path() + "/controller.crt";
  o.tls_key = dir.path() + "/controller.key";
  o.tls_ca = dir.path() + "/ca.crt";
  o.users = {NatsUser{"boss", "secret-1", {}, {}},
             NatsUser{"agent", "secret-2", {"alcor.up.agent", "_INBOX.>"}, {"alcor.down.agent"}}};
  auto started = NatsCluster::start(o);
  ASSERT_TRUE(started.ok()) << started.status();
  auto& cluster = *started;
  EXPECT_EQ(cluster->url(0).rfind("tls://", 0), 0u);

  NatsOptions boss;
  boss.servers = cluster->urls();
  boss.user = "boss";
  boss.password = "secret-1";
  boss.ca_file = o.tls_ca;
  auto bad = boss;
  bad.password = "wrong";
  bad.max_reconnects = 0;
  EXPECT_FALSE(NatsConnection::connect(bad).ok());
  auto plain = boss;
  plain.ca_file.clear();
  plain.servers = {"nats://" + cluster->url(0).substr(6)};
  EXPECT_FALSE(NatsConnection::connect(plain).ok()) << "plaintext to a TLS port";

  auto boss_conn = NatsConnection::connect(boss);
  ASSERT_TRUE(boss_conn.ok()) << boss_conn.status();
  NatsOptions agent = boss;
  agent.user = "agent";
  agent.password = "secret-2";
  auto agent_conn = NatsConnection::connect(agent);
  ASSERT_TRUE(agent_conn.ok()) << agent_conn.status();

  Inbox allowed, forbidden, from_agent, spoofed;
  auto s1 = (*agent_conn)->subscribe("alcor.down.agent", allowed.handler());
  auto s2 = (*agent_conn)->subscribe("alcor.down.other", forbidden.handler());
  auto s3 = (*boss_conn)->subscribe("alcor.up.agent", from_agent.handler());
  auto s4 = (*boss_conn)->subscribe("alcor.up.other", spoofed.handler());
  ASSERT_TRUE(s1.ok() && s3.ok() && s4.ok());
  ASSERT_TRUE((*agent_conn)->flush(2s).ok());
  ASSERT_TRUE((*boss_conn)->flush(2s).ok());
  ASSERT_TRUE(alcor::testing::waitFor(
      [&] {
        (void)(*boss_conn)->publish("alcor.down.agent", "for you");
        (void)(*boss_conn)->publish("alcor.down.other", "not for you");
        (void)(*agent_conn)->publish("alcor.up.other", "pretending");
        (void)(*agent_conn)->publish("alcor.up.agent", "me");
        return allowed.waitCount(1, 50ms) && from_agent.waitCount(1, 50ms);
      },
      5s));
  ASSERT_TRUE((*boss_conn)->flush(2s).ok());
  EXPECT_TRUE(forbidden.data().empty());
  EXPECT_TRUE(spoofed.data().empty());
}

}  // namespace
}  // namespace alcor::nats
