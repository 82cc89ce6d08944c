// Bearer tokens: the Authorization header, the static token file (kube-apiserver's format),
// its reload on change, and TokenReview answers from a fake API server (audience, cache, an
// unreachable server is "unavailable", not "unauthenticated").

#include "lib/security/tokens.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <fstream>
#include <thread>

#include "lib/kubernetes/token_review.h"
#include "tests/harness/process.h"

namespace alcor::security {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(TokensTest, BearerHeader) {
  EXPECT_EQ(bearerToken("Bearer abc"), "abc");
  EXPECT_EQ(bearerToken("  bearer   abc.def-1  "), "abc.def-1");
  EXPECT_EQ(bearerToken("BEARER x"), "x");
  EXPECT_EQ(bearerToken(""), std::nullopt);
  EXPECT_EQ(bearerToken("Bearer"), std::nullopt);
  EXPECT_EQ(bearerToken("Bearer "), std::nullopt);
  EXPECT_EQ(bearerToken("Basic dXNlcjpwYXNz"), std::nullopt);
  EXPECT_EQ(bearerToken("Bearer a b"), std::nullopt);
  EXPECT_EQ(bearerToken("Bearerabc"), std::nullopt);
}

TEST(TokensTest, TokenFileFormat) {
  auto t = parseTokenFile(
      "# comment\n"
      "\n"
      "tok-admin,admin,1,\"alcor:admins,system:masters\"\r\n"
      "tok-node,alcor:node:node-1,2\n"
      "tok-q,\"quoted, user\",3,\"\"\"odd\"\"\"\n");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->size(), 3u);
  const Identity& admin = t->at(sha256Hex("tok-admin"));
  EXPECT_EQ(admin.user, "admin");
  EXPECT_THAT(admin.groups, ElementsAre("alcor:admins", "system:masters"));
  EXPECT_TRUE(admin.inGroup("alcor:admins"));
  EXPECT_EQ(t->at(sha256Hex("tok-node")).user, "alcor:node:node-1");
  EXPECT_EQ(t->at(sha256Hex("tok-q")).user, "quoted, user");
  EXPECT_THAT(t->at(sha256Hex("tok-q")).groups, ElementsAre("\"odd\""));

  EXPECT_THAT(parseTokenFile("a,u,1\na,v,2\n").status().message(), HasSubstr("line 2"));
  EXPECT_THAT(parseTokenFile("a,u\n").status().message(), HasSubstr("token,user,uid"));
  EXPECT_THAT(parseTokenFile(",u,1\n").status().message(), HasSubstr("empty token"));
  EXPECT_THAT(parseTokenFile("a b,u,1\n").status().message(), HasSubstr("spaces"));
  EXPECT_THAT(parseTokenFile("a,,1\n").status().message(), HasSubstr("empty user"));
  EXPECT_THAT(parseTokenFile("a,\"u,1\n").status().message(), HasSubstr("unterminated"));
  EXPECT_THAT(parseTokenFile("a,\"u\"x,1\n").status().message(), HasSubstr("closing quote"));
}

TEST(TokensTest, StaticTokensFollowTheFileAndSurviveABadEdit) {
  alcor::testing::TempDir dir;
  const std::string path = dir.path() + "/tokens.csv";
  std::ofstream(path) << "one,alice,1\n";
  auto auth = StaticTokenAuthenticator::open(path);
  ASSERT_TRUE(auth.ok()) << auth.status();
  EXPECT_EQ((*auth)->authenticate("one")->user, "alice");
  EXPECT_EQ((*auth)->authenticate("two").status().code(), StatusCode::kUnauthenticated);

  // Rotation: the new file replaces the old one (rename), no restart.
  std::ofstream(path + ".new") << "two,bob,2\n";
  std::rename((path + ".new").c_str(), path.c_str());
  EXPECT_EQ((*auth)->authenticate("two")->user, "bob");
  EXPECT_EQ((*auth)->authenticate("one").status().code(), StatusCode::kUnauthenticated);

  // A broken edit keeps the tokens that worked.
  std::ofstream(path + ".new") << "broken line\n";
  std::rename((path + ".new").c_str(), path.c_str());
  EXPECT_EQ((*auth)->authenticate("two")->user, "bob");

  EXPECT_FALSE(StaticTokenAuthenticator::open(dir.path() + "/missing").ok());
}

TEST(TokenReviewTest, ReadsTheReply) {
  nlohmann::json ok = {{"status",
                        {{"authenticated", true},
                         {"audiences", {"alcor-controller"}},
                         {"user",
                          {{"username", "system:serviceaccount:alcor-system:alcor-agent"},
                           {"groups", {"system:serviceaccounts"}},
                           {"extra",
                            {{"authentication.kubernetes.io/node-name", {"node-1"}},
                             {"authentication.kubernetes.io/pod-name", {"agent-x"}}}}}}}}};
  auto id = kubernetes::identityFromTokenReview(ok, {"alcor-controller"});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->user, "system:serviceaccount:alcor-system:alcor-agent");
  EXPECT_EQ(id->extraValue("authentication.kubernetes.io/node-name"), "node-1");
  EXPECT_EQ(id->extraValue("missing"), "");
  // Bound to another audience: not ours.
  EXPECT_EQ(kubernetes::identityFromTokenReview(ok, {"other"}).status().code(),
            StatusCode::kUnauthenticated);
  nlohmann::json no = {{"status", {{"authenticated", false}, {"error", "token expired"}}}};
  EXPECT_THAT(kubernetes::identityFromTokenReview(no, {}).status().message(),
              HasSubstr("token expired"));
  for (const char* junk : {R"({})", R"({"status": 1})", R"({"status": {"authenticated": "yes"}})",
                           R"({"status": {"authenticated": true}})",
                           R"({"status": {"authenticated": true, "user": {"username": 5}}})"}) {
    EXPECT_FALSE(kubernetes::identityFromTokenReview(nlohmann::json::parse(junk), {}).ok()) << junk;
  }
}

TEST(TokenReviewTest, AsksTheApiServerWithTheAudienceAndCaches) {
  httplib::Server api;
  std::atomic<int> reviews{0};
  std::string seen_auth, seen_audience;
  api.Post("/apis/authentication.k8s.io/v1/tokenreviews",
           [&](const httplib::Request& req, httplib::Response& res) {
             ++reviews;
             seen_auth = req.get_header_value("Authorization");
             auto body = nlohmann::json::parse(req.body);
             seen_audience = body["spec"]["audiences"][0];
             bool good = body["spec"]["token"] == "good";
             nlohmann::json status = {{"authenticated", good}};
             if (good) {
               status["user"] = {{"username", "u"}};
               status["audiences"] = body["spec"]["audiences"];
             }
             res.set_content(nlohmann::json{{"status", status}}.dump(), "application/json");
           });
  int port = api.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { api.listen_after_bind(); });
  alcor::testing::TempDir dir;
  std::ofstream(dir.path() + "/sa-token") << "controller-sa-token\n";

  kubernetes::ApiClient client({"http://127.0.0.1:" + std::to_string(port),
                                dir.path() + "/sa-token", "", std::chrono::milliseconds(2000)});
  kubernetes::TokenReviewAuthenticator auth(client, {{"alcor-controller"}});
  EXPECT_EQ(auth.authenticate("good")->user, "u");
  EXPECT_EQ(auth.authenticate("good")->user, "u");
  EXPECT_EQ(reviews.load(), 1);  // cached
  EXPECT_EQ(seen_auth, "Bearer controller-sa-token");
  EXPECT_EQ(seen_audience, "alcor-controller");
  EXPECT_EQ(auth.authenticate("bad").status().code(), StatusCode::kUnauthenticated);
  api.stop();
  serving.join();

  // The API server gone: "unavailable" (503), so a good token is never told it is bad.
  kubernetes::TokenReviewAuthenticator down(client, {{"alcor-controller"}});
  EXPECT_EQ(down.authenticate("other").status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace alcor::security
