// OvsdbClientImpl against a scripted in-process server on a socketpair (or a unix socket, for
// reconnection): request/reply matching, errors, echo both ways, monitors.

#include "lib/ovsdb/ovsdb_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <thread>

#include "lib/base/unique_fd.h"
#include "lib/ovsdb/jsonrpc.h"

namespace alcor::ovsdb {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

// The server end of one connection: records what the client sent and answers through `respond`
// (which may return nothing and answer later with send()).
class ScriptedServer {
 public:
  using Responder = std::function<std::vector<json>(const json& request)>;
  ScriptedServer(int fd, Responder respond) : fd_(fd), respond_(std::move(respond)) {
    thread_ = std::thread([this] { loop(); });
  }
  ~ScriptedServer() { close(); }

  void send(const json& msg) {
    std::string bytes = msg.dump();
    std::lock_guard<std::mutex> l(write_mu_);
    if (fd_.valid()) (void)!::write(fd_.get(), bytes.data(), bytes.size());
  }
  void sendRaw(const std::string& bytes) {
    std::lock_guard<std::mutex> l(write_mu_);
    (void)!::write(fd_.get(), bytes.data(), bytes.size());
  }
  void close() {
    if (fd_.valid()) ::shutdown(fd_.get(), SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> l(write_mu_);
    fd_.reset();
  }
  // Waits until the client has sent a message matching `pred`; returns it (null on timeout).
  json waitFor(const std::function<bool(const json&)>& pred, std::chrono::milliseconds t = 3s) {
    std::unique_lock<std::mutex> l(mu_);
    json found;
    cv_.wait_for(l, t, [&] {
      for (const auto& m : received_) {
        if (pred(m)) {
          found = m;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  static std::function<bool(const json&)> method(const std::string& m) {
    return [m](const json& j) { return j.value("method", "") == m; };
  }

 private:
  void loop() {
    JsonStreamSplitter splitter;
    char buf[4096];
    while (true) {
      ssize_t n = ::read(fd_.get(), buf, sizeof(buf));
      if (n <= 0) return;
      std::vector<json> msgs;
      if (!splitter.feed(std::string_view(buf, n), &msgs).ok()) return;
      for (const auto& m : msgs) {
        {
          std::lock_guard<std::mutex> l(mu_);
          received_.push_back(m);
        }
        cv_.notify_all();
        if (respond_) {
          for (const auto& r : respond_(m)) send(r);
        }
      }
    }
  }

  UniqueFd fd_;
  Responder respond_;
  std::mutex write_mu_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<json> received_;
  std::thread thread_;
};

// Answers transact with the first op's "comment" as result (so each caller can check it got its
// own reply), and monitor with an empty initial state.
std::vector<json> echoCommentServer(const json& req) {
  std::string m = req.value("method", "");
  if (m == "transact") {
    return {makeJsonRpcReply(json::array({{{"comment", req["params"][1]["comment"]}}}), req["id"])};
  }
  if (m == "monitor" || m == "monitor_cond") {
    return {makeJsonRpcReply(json::object({{"T", json::object()}}), req["id"])};
  }
  if (m == "echo" && !req["id"].is_null()) return {makeJsonRpcReply(req["params"], req["id"])};
  if (m == "monitor_cancel") return {makeJsonRpcReply(json::object(), req["id"])};
  return {};
}

struct Pair {
  std::unique_ptr<OvsdbClientImpl> client;
  std::unique_ptr<ScriptedServer> server;
};

Pair makePair(ScriptedServer::Responder respond, OvsdbClientOptions options = {}) {
  int sv[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  Pair p;
  p.server = std::make_unique<ScriptedServer>(sv[1], std::move(respond));
  p.client = OvsdbClientImpl::adoptFd(sv[0], options);
  return p;
}

json commentOp(const std::string& text) { return json::array({op::comment(text)}); }

TEST(OvsdbClientTest, TransactReturnsResult) {
  auto p = makePair(echoCommentServer);
  auto r = p.client->transact("Open_vSwitch", commentOp("hello"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0]["comment"], "hello");
  json sent = p.server->waitFor(ScriptedServer::method("transact"));
  EXPECT_EQ(sent["params"][0], "Open_vSwitch");
  EXPECT_EQ(sent["params"][1]["op"], "comment");
}

TEST(OvsdbClientTest, RepliesOutOfOrderReachTheirCallers) {
  // Hold the replies until 8 requests are in, then answer them in reverse order.
  std::mutex mu;
  std::vector<json> held;
  auto p = makePair([&](const json& req) -> std::vector<json> {
    std::lock_guard<std::mutex> l(mu);
    held.push_back(req);
    if (held.size() < 8) return {};
    std::vector<json> replies;
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      replies.push_back(echoCommentServer(*it)[0]);
    }
    return replies;
  });
  std::vector<std::thread> threads;
  std::atomic<int> matched{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = p.client->transact("db", commentOp("call" + std::to_string(i)));
      if (r.ok() && (*r)[0]["comment"] == "call" + std::to_string(i)) ++matched;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(matched.load(), 8);
}

TEST(OvsdbClientTest, ErrorReplyBecomesStatus) {
  auto p = makePair([](const json& req) -> std::vector<json> {
    return {makeJsonRpcErrorReply("unknown database", req["id"])};
  });
  auto r = p.client->transact("nope", commentOp("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("unknown database"));
}

TEST(OvsdbClientTest, OpErrorInResultBecomesStatusWithOvsdbText) {
  auto p = makePair([](const json& req) -> std::vector<json> {
    return {makeJsonRpcReply(json::parse(R"([{}, {"error":"constraint violation",
                             "details":"rows in Bridge table have identical values"}])"),
                             req["id"])};
  });
  auto r = p.client->transact("Open_vSwitch", commentOp("x"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("constraint violation"));
  EXPECT_THAT(r.status().message(), ::testing::HasSubstr("identical values"));
}

TEST(OvsdbClientTest, NonArrayOpsAreRejectedLocally) {
  auto p = makePair(echoCommentServer);
  EXPECT_EQ(p.client->transact("db", json::object()).status().code(), StatusCode::kInvalidArgument);
}

TEST(OvsdbClientTest, AnswersServerEcho) {
  auto p = makePair(echoCommentServer);
  p.server->send(makeJsonRpcRequest("echo", json::array({"ping", 1}), "server-echo-1"));
  json reply =
      p.server->waitFor([](const json& m) { return m.value("id", json()) == "server-echo-1"; });
  ASSERT_FALSE(reply.is_null());
  EXPECT_EQ(reply["result"], json::array({"ping", 1}));
  EXPECT_TRUE(reply["error"].is_null());
}

TEST(OvsdbClientTest, RejectsUnknownServerRequests) {
  auto p = makePair(echoCommentServer);
  p.server->send(makeJsonRpcRequest("lock", json::array({"x"}), 99));
  json reply = p.server->waitFor([](const json& m) { return m.value("id", json()) == 99; });
  EXPECT_EQ(reply["error"], "unknown method");
}

TEST(OvsdbClientTest, SendsEchoWhenIdleAndStaysConnectedWhenAnswered) {
  OvsdbClientOptions o;
  o.echo_interval = 100ms;
  auto p = makePair(echoCommentServer, o);
  json echo = p.server->waitFor(ScriptedServer::method("echo"));
  ASSERT_FALSE(echo.is_null());
  std::this_thread::sleep_for(500ms);
  EXPECT_TRUE(p.client->connected());
}

TEST(OvsdbClientTest, DropsSilentConnection) {
  OvsdbClientOptions o;
  o.echo_interval = 100ms;
  auto p = makePair(nullptr, o);  // never answers, not even echo
  EXPECT_TRUE(p.client->connected());
  auto start = std::chrono::steady_clock::now();
  while (p.client->connected() && std::chrono::steady_clock::now() - start < 3s) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(p.client->connected());
}

TEST(OvsdbClientTest, PendingCallFailsWhenConnectionCloses) {
  auto p = makePair(nullptr);
  std::thread closer([&] {
    p.server->waitFor(ScriptedServer::method("transact"));
    p.server->close();
  });
  auto r = p.client->transact("db", commentOp("x"));
  closer.join();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_FALSE(p.client->connected());
  // Without reconnection the loss is final: later calls fail at once rather than wait.
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(p.client->transact("db", commentOp("y")).status().code(), StatusCode::kUnavailable);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(OvsdbClientTest, GarbageFromServerDropsConnection) {
  auto p = makePair(nullptr);
  p.server->sendRaw("{\"id\":1,\"result\":[]} this is not json");
  auto start = std::chrono::steady_clock::now();
  while (p.client->connected() && std::chrono::steady_clock::now() - start < 3s) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_FALSE(p.client->connected());
}

TEST(OvsdbClientTest, CallTimesOut) {
  OvsdbClientOptions o;
  o.request_timeout = 200ms;
  auto p = makePair(nullptr, o);
  auto r = p.client->transact("db", commentOp("x"));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(p.client->connected());
}

TEST(OvsdbClientTest, MonitorDeliversInitialThenUpdatesInOrder) {
  auto p = makePair([](const json& req) -> std::vector<json> {
    if (req.value("method", "") != "monitor") return {};
    return {
        makeJsonRpcReply(json::parse(R"({"Interface":{"u1":{"new":{"name":"a"}}}})"), req["id"]),
        makeJsonRpcNotification(
            "update",
            json::array({req["params"][1], json::parse(R"({"Interface":{"u1":{"old":{}}}})")}))};
  });
  std::mutex mu;
  std::condition_variable cv;
  std::vector<MonitorEvent> events;
  Status s = p.client->monitor("Open_vSwitch", "mon1",
                               json::parse(R"({"Interface":{"columns":["name"]}})"),
                               [&](const MonitorEvent& e) {
                                 std::lock_guard<std::mutex> l(mu);
                                 events.push_back(e);
                                 cv.notify_all();
                               });
  ASSERT_TRUE(s.ok()) << s;
  std::unique_lock<std::mutex> l(mu);
  ASSERT_TRUE(cv.wait_for(l, 3s, [&] { return events.size() == 2; }));
  EXPECT_TRUE(events[0].initial);
  EXPECT_EQ(events[0].updates["Interface"]["u1"]["new"]["name"], "a");
  EXPECT_FALSE(events[1].initial);
  EXPECT_FALSE(events[1].update2);
  EXPECT_TRUE(events[1].updates["Interface"]["u1"].contains("old"));
  json req = p.server->waitFor(ScriptedServer::method("monitor"));
  EXPECT_EQ(req["params"],
            json::parse(R"(["Open_vSwitch","mon1",{"Interface":{"columns":["name"]}}])"));
  l.unlock();
  EXPECT_EQ(p.client->monitor("Open_vSwitch", "mon1", json::object(), [](auto&) {}).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(p.client->monitor("Open_vSwitch", "mon2", json::object(), nullptr).code(),
            StatusCode::kInvalidArgument);
}

TEST(OvsdbClientTest, MonitorCondUsesUpdate2) {
  auto p = makePair(echoCommentServer);
  std::atomic<int> update2{0};
  ASSERT_TRUE(p.client
                  ->monitorCond("db", "m2", json::object(),
                                [&](const MonitorEvent& e) {
                                  if (e.update2) ++update2;
                                })
                  .ok());
  p.server->send(makeJsonRpcNotification("update2", json::array({"m2", json::object()})));
  p.server->send(makeJsonRpcNotification("update2", json::array({"other", json::object()})));
  auto start = std::chrono::steady_clock::now();
  while (update2 < 2 && std::chrono::steady_clock::now() - start < 3s) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(update2.load(), 2);  // initial + one update; the unknown monitor id is ignored
  EXPECT_TRUE(p.client->cancelMonitor("m2").ok());
  EXPECT_EQ(p.client->cancelMonitor("m2").code(), StatusCode::kNotFound);
}

TEST(OvsdbClientTest, CallFromMonitorCallbackFailsInsteadOfDeadlocking) {
  auto p = makePair(echoCommentServer);
  std::promise<Status> nested;
  ASSERT_TRUE(p.client
                  ->monitor("db", "m", json::object(),
                            [&](const MonitorEvent& e) {
                              if (!e.initial) {
                                nested.set_value(p.client->transact("db", commentOp("x")).status());
                              }
                            })
                  .ok());
  p.server->send(makeJsonRpcNotification("update", json::array({"m", json::object()})));
  auto f = nested.get_future();
  ASSERT_EQ(f.wait_for(3s), std::future_status::ready);
  EXPECT_EQ(f.get().code(), StatusCode::kFailedPrecondition);
}

TEST(OvsdbClientTest, ConnectRejectsBadTargets) {
  EXPECT_EQ(OvsdbClientImpl::connect("ssl:1.2.3.4:6640").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(OvsdbClientImpl::connect("tcp:nohost").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OvsdbClientImpl::connect("unix:/nonexistent/db.sock").status().code(),
            StatusCode::kUnavailable);
}

// A unix-socket listener that accepts connections one at a time, for reconnection.
class Listener {
 public:
  explicit Listener(const std::string& path) : path_(path) {
    fd_.reset(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_.get(), 4), 0);
  }
  std::unique_ptr<ScriptedServer> accept(ScriptedServer::Responder respond) {
    int c = ::accept4(fd_.get(), nullptr, nullptr, SOCK_CLOEXEC);
    return std::make_unique<ScriptedServer>(c, std::move(respond));
  }

 private:
  std::string path_;
  UniqueFd fd_;
};

TEST(OvsdbClientTest, ReconnectsAndReestablishesMonitors) {
  std::string dir =
      std::filesystem::temp_directory_path() / ("ovsdb-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::string path = dir + "/db.sock";
  Listener listener(path);
  std::unique_ptr<ScriptedServer> first;
  std::thread acceptor([&] { first = listener.accept(echoCommentServer); });
  OvsdbClientOptions o;
  o.reconnect_initial = 20ms;
  auto client = OvsdbClientImpl::connect("unix:" + path, o);
  acceptor.join();
  ASSERT_TRUE(client.ok()) << client.status();
  std::atomic<int> initials{0};
  ASSERT_TRUE((*client)
                  ->monitor("db", "mon", json::object(),
                            [&](const MonitorEvent& e) {
                              if (e.initial) ++initials;
                            })
                  .ok());
  EXPECT_EQ(initials.load(), 1);

  first->close();  // the server goes away; the client must come back and re-monitor
  auto second = listener.accept(echoCommentServer);
  json again = second->waitFor(ScriptedServer::method("monitor"));
  ASSERT_FALSE(again.is_null());
  EXPECT_EQ(again["params"][1], "mon");
  auto start = std::chrono::steady_clock::now();
  while (initials < 2 && std::chrono::steady_clock::now() - start < 3s) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(initials.load(), 2);
  EXPECT_EQ((*client)->connectCount(), 2);
  auto r = (*client)->transact("db", commentOp("after"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0]["comment"], "after");
  client->reset();
  second.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace alcor::ovsdb
