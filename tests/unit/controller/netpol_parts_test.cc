// The parts of the NetworkPolicy component on their own: the reflector against a scripted API
// server (pages, resourceVersion, bookmarks, 410 Gone as a status and as an event, backoff on
// failures), label selectors, CIDR subtraction, and the Events of the status reporter.

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <deque>
#include <mutex>
#include <thread>

#include "controller/netpol/label_selector.h"
#include "controller/netpol/policy_status.h"
#include "controller/netpol/translator.h"
#include "lib/kubernetes/reflector.h"
#include "tests/harness/process.h"

namespace alcor::controller::netpol {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

json object(const std::string& name, const std::string& version) {
  return {{"metadata", {{"name", name}, {"resourceVersion", version}}}};
}

// An API server whose answers the test scripts: lists answer from `pages` (one per request,
// the last one repeated), watches from `watches` (a status and the event lines; an empty
// script keeps the stream open until the test ends). Records every request's query.
class ScriptedApi {
 public:
  struct Answer {
    int status = 200;
    std::vector<json> lines;  // a list: one page; a watch: its events
  };

  ScriptedApi() {
    server_.Get("/apis/test/v1/things",
                [this](const httplib::Request& req, httplib::Response& res) {
                  std::unique_lock lock(mu_);
                  const bool watch = req.has_param("watch");
                  requests.push_back((watch ? "watch " : "list ") + query(req));
                  times.push_back(std::chrono::steady_clock::now());
                  auto& script = watch ? watches : pages;
                  if (script.empty()) {
                    if (!watch) {
                      res.status = 500;
                      return;
                    }
                    // Hold the watch open until the test ends.
                    cv_.wait(lock, [this] { return closing_; });
                    return;
                  }
                  Answer a = script.front();
                  if (script.size() > 1 || watch) script.pop_front();
                  res.status = a.status;
                  std::string body;
                  if (watch) {
                    for (const auto& l : a.lines) body += l.dump() + "\n";
                  } else if (!a.lines.empty()) {
                    body = a.lines.front().dump();
                  }
                  res.set_content(body, "application/json");
                });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~ScriptedApi() {
    {
      std::lock_guard lock(mu_);
      closing_ = true;
    }
    cv_.notify_all();
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  static std::string query(const httplib::Request& req) {
    std::string out;
    for (const char* k : {"limit", "continue", "resourceVersion", "allowWatchBookmarks"}) {
      if (req.has_param(k))
        out += std::string(out.empty() ? "" : "&") + k + "=" + req.get_param_value(k);
    }
    return out;
  }
  std::vector<std::string> requestsSeen() {
    std::lock_guard lock(mu_);
    return requests;
  }

  std::mutex mu_;
  std::deque<Answer> pages;
  std::deque<Answer> watches;
  std::vector<std::string> requests;
  std::vector<std::chrono::steady_clock::time_point> times;

 private:
  std::condition_variable cv_;
  bool closing_ = false;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// What the reflector delivered, as text: "replace a,b", "ADDED c".
class RecordingHandler : public kubernetes::ReflectorHandler {
 public:
  void replaceAll(const std::vector<json>& items) override {
    std::string names;
    for (const auto& i : items)
      names += (names.empty() ? "" : ",") + i["metadata"]["name"].get<std::string>();
    add("replace " + names);
  }
  void applyEvent(const std::string& type, const json& o) override {
    add(type + " " + o["metadata"]["name"].get<std::string>());
  }
  std::vector<std::string> seen() {
    std::lock_guard lock(mu_);
    return log_;
  }

 private:
  void add(std::string s) {
    std::lock_guard lock(mu_);
    log_.push_back(std::move(s));
  }
  std::mutex mu_;
  std::vector<std::string> log_;
};

json page(std::vector<json> items, const std::string& version, const std::string& cont = "") {
  json meta = {{"resourceVersion", version}};
  if (!cont.empty()) meta["continue"] = cont;
  return {{"items", items}, {"metadata", meta}};
}
json event(const std::string& type, const json& o) { return {{"type", type}, {"object", o}}; }
json gone() {
  return event("ERROR",
               {{"kind", "Status"}, {"code", 410}, {"message", "too old resource version"}});
}

class ReflectorTest : public ::testing::Test {
 protected:
  std::unique_ptr<kubernetes::Reflector> start(size_t page_size = 500) {
    kubernetes::ReflectorOptions o;
    o.collection = "/apis/test/v1/things";
    o.page_size = page_size;
    o.initial_backoff = std::chrono::milliseconds(40);
    o.max_backoff = std::chrono::milliseconds(1000);
    auto r =
        std::make_unique<kubernetes::Reflector>(kubernetes::ApiClient({api.url()}), o, handler);
    r->start();
    return r;
  }
  bool waitSeen(size_t n) {
    return testing::waitFor([&] { return handler.seen().size() >= n; }, std::chrono::seconds(10));
  }

  ScriptedApi api;
  RecordingHandler handler;
};

TEST_F(ReflectorTest, ListsEveryPageThenWatchesFromTheListsVersionAndBookmarksMoveItOn) {
  api.pages = {{200, {page({object("a", "5")}, "10", "next-page")}},
               {200, {page({object("b", "6")}, "10")}}};
  api.watches = {{200,
                  {event("ADDED", object("c", "11")), event("BOOKMARK", object("", "12")),
                   event("DELETED", object("a", "13"))}},
                 {200, {event("MODIFIED", object("b", "14"))}}};
  auto r = start(1);
  ASSERT_TRUE(waitSeen(4)) << ::testing::PrintToString(handler.seen())
                           << ::testing::PrintToString(api.requestsSeen());
  EXPECT_THAT(handler.seen(), ElementsAre("replace a,b", "ADDED c", "DELETED a", "MODIFIED b"));
  auto requests = api.requestsSeen();
  ASSERT_GE(requests.size(), 5u);
  EXPECT_EQ(requests[0], "list limit=1");
  EXPECT_EQ(requests[1], "list limit=1&continue=next-page");
  EXPECT_EQ(requests[2], "watch resourceVersion=10&allowWatchBookmarks=true");
  EXPECT_EQ(requests[3], "watch resourceVersion=13&allowWatchBookmarks=true")
      << "the watch the server ended resumes from the last event's version";
  EXPECT_EQ(requests[4], "watch resourceVersion=14&allowWatchBookmarks=true");
  EXPECT_TRUE(r->synced());
  EXPECT_EQ(r->stats().lists, 1u);
}

TEST_F(ReflectorTest, AGoneEventRelistsAndTheNewListReplacesWhatWasMissed) {
  // b is deleted while the version is too old: only the relist shows it.
  api.pages = {{200, {page({object("a", "5"), object("b", "6")}, "10")}},
               {200, {page({object("a", "5")}, "20")}}};
  api.watches = {{200, {gone()}}};
  auto r = start();
  ASSERT_TRUE(waitSeen(2));
  EXPECT_THAT(handler.seen(), ElementsAre("replace a,b", "replace a"));
  ASSERT_TRUE(
      testing::waitFor([&] { return api.requestsSeen().size() >= 4; }, std::chrono::seconds(10)));
  EXPECT_EQ(api.requestsSeen()[3], "watch resourceVersion=20&allowWatchBookmarks=true");
  EXPECT_EQ(r->stats().gone, 1u);
  EXPECT_EQ(r->stats().lists, 2u);
  EXPECT_EQ(r->stats().failures, 0u) << "410 is not a failure";
}

TEST_F(ReflectorTest, A410StatusOnTheWatchRelistsToo) {
  api.pages = {{200, {page({object("a", "5")}, "10")}}};
  api.watches = {{410, {}}};
  auto r = start();
  ASSERT_TRUE(waitSeen(2));
  EXPECT_THAT(handler.seen(), ElementsAre("replace a", "replace a"));
  EXPECT_EQ(r->stats().gone, 1u);
}

TEST_F(ReflectorTest, FailuresAreRetriedWithGrowingBackoffAndNothingIsDelivered) {
  api.pages = {{500, {}}, {403, {}}, {503, {}}, {200, {page({object("a", "5")}, "10")}}};
  auto r = start();
  ASSERT_TRUE(waitSeen(1));
  EXPECT_THAT(handler.seen(), ElementsAre("replace a"));
  EXPECT_EQ(r->stats().failures, 3u);
  EXPECT_FALSE(r->stats().last_error.empty());
  std::lock_guard lock(api.mu_);
  ASSERT_GE(api.times.size(), 4u);
  // Backoff doubles from 40 ms, each delay jittered in [d/2, d]: at least 20, 40, 80 ms.
  auto gap = [&](int i) { return api.times[i + 1] - api.times[i]; };
  EXPECT_GE(gap(0), std::chrono::milliseconds(20));
  EXPECT_GE(gap(1), std::chrono::milliseconds(40));
  EXPECT_GE(gap(2), std::chrono::milliseconds(80));
}

TEST_F(ReflectorTest, StopEndsAWatchThatIsStillOpen) {
  api.pages = {{200, {page({}, "10")}}};
  auto r = start();
  ASSERT_TRUE(waitSeen(1));
  ASSERT_TRUE(
      testing::waitFor([&] { return api.requestsSeen().size() >= 2; }, std::chrono::seconds(10)));
  r->stop();  // returns: the open watch was cancelled
  EXPECT_EQ(r->stats().failures, 0u);
}

TEST(LabelSelectorTest, MatchLabelsAndEveryOperatorMustAllHold) {
  auto s = LabelSelector::parse(json::parse(R"({"matchLabels": {"app": "db"},
      "matchExpressions": [{"key": "tier", "operator": "In", "values": ["b", "a"]},
                           {"key": "env", "operator": "NotIn", "values": ["prod"]},
                           {"key": "owner", "operator": "Exists"},
                           {"key": "legacy", "operator": "DoesNotExist"}]})"),
                                "spec.podSelector");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->matches({{"app", "db"}, {"tier", "a"}, {"owner", "x"}}));
  EXPECT_TRUE(s->matches({{"app", "db"}, {"tier", "b"}, {"owner", "x"}, {"env", "dev"}}));
  EXPECT_FALSE(s->matches({{"app", "db"}, {"tier", "c"}, {"owner", "x"}}));
  EXPECT_FALSE(s->matches({{"app", "db"}, {"tier", "a"}, {"owner", "x"}, {"env", "prod"}}));
  EXPECT_FALSE(s->matches({{"app", "db"}, {"tier", "a"}}));
  EXPECT_FALSE(s->matches({{"app", "db"}, {"tier", "a"}, {"owner", "x"}, {"legacy", ""}}));
  EXPECT_FALSE(s->matches({{"app", "web"}, {"tier", "a"}, {"owner", "x"}}));
  EXPECT_EQ(s->canonical(), "app=db,env notin (prod),!legacy,owner,tier in (a,b)");
  EXPECT_TRUE(LabelSelector::parse(json::object(), "x")->matchesEverything());
  EXPECT_TRUE(LabelSelector::parse(json(), "x")->matchesEverything());
}

TEST(LabelSelectorTest, MalformedSelectorsAreErrorsNamingTheField) {
  for (const char* bad :
       {R"({"matchExpressions": [{"key": "a", "operator": "Near"}]})",
        R"({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})",
        R"({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})",
        R"({"matchLabels": {"a": 1}})", R"({"matchLabels": []})", R"([])"}) {
    auto s = LabelSelector::parse(json::parse(bad), "spec.podSelector");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_THAT(s.status().message(), HasSubstr("spec.podSelector")) << bad;
  }
}

std::vector<std::string> subtract(const std::string& cidr, std::vector<std::string> except) {
  std::vector<Ipv4Prefix> ex;
  for (const auto& e : except) ex.push_back(*Ipv4Prefix::parse(e));
  std::vector<std::string> out;
  for (const auto& p : subtractPrefixes(*Ipv4Prefix::parse(cidr), ex)) out.push_back(p.toString());
  return out;
}

TEST(SubtractPrefixesTest, TheCidrMinusItsExceptionsAsTheFewestPrefixes) {
  EXPECT_THAT(subtract("10.0.0.0/24", {}), ElementsAre("10.0.0.0/24"));
  EXPECT_THAT(subtract("10.0.0.0/24", {"10.0.0.128/25"}), ElementsAre("10.0.0.0/25"));
  EXPECT_THAT(subtract("10.0.0.0/24", {"10.0.0.0/26", "10.0.0.192/26"}),
              ElementsAre("10.0.0.64/26", "10.0.0.128/26"));
  EXPECT_THAT(subtract("10.0.0.0/30", {"10.0.0.1/32"}), ElementsAre("10.0.0.0/32", "10.0.0.2/31"));
  EXPECT_TRUE(subtract("10.0.0.0/24", {"10.0.0.0/16"}).empty()) << "an exception covering it all";
  EXPECT_THAT(subtract("10.0.0.0/24", {"192.168.0.0/16"}), ElementsAre("10.0.0.0/24"));
  EXPECT_EQ(subtract("10.0.0.0/16", {"10.0.1.5/32"}).size(), 16u);
  // No address of an exception is allowed, every other one is.
  auto out = subtract("0.0.0.0/0", {"10.0.0.0/8", "10.1.2.3/32"});
  EXPECT_EQ(out.size(), 8u);
  for (const auto& s : out)
    EXPECT_FALSE(Ipv4Prefix::parse(s)->overlaps(*Ipv4Prefix::parse("10.0.0.0/8"))) << s;
}

// The Events the reporter posts for a policy's changes of state.
TEST(PolicyStatusReporterTest, PostsAWarningEventPerNewProblemAndCountsPoliciesByState) {
  httplib::Server server;
  std::mutex mu;
  std::vector<json> events;
  server.Post(R"(/api/v1/namespaces/([^/]+)/events)",
              [&](const httplib::Request& req, httplib::Response& res) {
                std::lock_guard lock(mu);
                events.push_back(json::parse(req.body));
                events.back()["posted_to"] = req.matches[1];
                res.status = 201;
                res.set_content("{}", "application/json");
              });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  {
    PolicyStatusReporter r(std::make_unique<kubernetes::ApiClient>(
                               kubernetes::ApiOptions{"http://127.0.0.1:" + std::to_string(port)}),
                           "alcor-controller");
    PolicyState ok{"x", "fine", "u1", Realization::kRealized, {}, {"netpol-policy-1"}};
    PolicyState sctp{"x", "sctp", "u2", Realization::kPartial, {"ingress[0].ports[0]: SCTP"}, {}};
    r.report({ok, sctp});
    r.report({ok, sctp});  // nothing new: no second Event
    PolicyState broken{"y", "bad", "u3", Realization::kFailed, {"spec.podSelector: bad"}, {}};
    r.report({ok, sctp, broken});
    const std::string two_posted =
        "alcor_controller_network_policy_events_total{result=\"posted\"} 2";
    ASSERT_TRUE(testing::waitFor([&] { return r.metrics().find(two_posted) != std::string::npos; },
                                 std::chrono::seconds(10)));
    std::lock_guard lock(mu);
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0]["reason"], "PolicyPartiallyRealized");
    EXPECT_EQ(events[0]["type"], "Warning");
    EXPECT_EQ(events[0]["posted_to"], "x");
    EXPECT_EQ(events[0]["involvedObject"]["kind"], "NetworkPolicy");
    EXPECT_EQ(events[0]["involvedObject"]["name"], "sctp");
    EXPECT_EQ(events[0]["involvedObject"]["uid"], "u2");
    EXPECT_THAT(events[0]["message"].get<std::string>(), HasSubstr("SCTP"));
    EXPECT_EQ(events[1]["reason"], "PolicyNotRealized");
    EXPECT_EQ(events[1]["posted_to"], "y");
    const std::string m = r.metrics();
    EXPECT_THAT(m, HasSubstr("alcor_controller_network_policies{state=\"realized\"} 1"));
    EXPECT_THAT(m, HasSubstr("alcor_controller_network_policies{state=\"partial\"} 1"));
    EXPECT_THAT(m, HasSubstr("alcor_controller_network_policies{state=\"failed\"} 1"));
  }
  server.stop();
  t.join();
}

}  // namespace
}  // namespace alcor::controller::netpol
