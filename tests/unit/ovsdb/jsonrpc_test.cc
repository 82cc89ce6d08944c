#include "lib/ovsdb/jsonrpc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace alcor::ovsdb {
namespace {

using nlohmann::json;

std::vector<json> feedAll(JsonStreamSplitter& s, std::string_view bytes, Status* status) {
  std::vector<json> out;
  *status = s.feed(bytes, &out);
  return out;
}

TEST(JsonStreamSplitterTest, OneMessageInOneRead) {
  JsonStreamSplitter s;
  Status st;
  auto out = feedAll(s, R"({"id":1,"result":[],"error":null})", &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["id"], 1);
  EXPECT_EQ(s.pending(), 0u);
}

TEST(JsonStreamSplitterTest, MessageSplitAcrossEveryByte) {
  std::string msg =
      R"({"method":"update","params":["m",{"T":{"u":{"new":{"a":[1,2]}}}}],"id":null})";
  JsonStreamSplitter s;
  std::vector<json> out;
  for (char c : msg) ASSERT_TRUE(s.feed(std::string_view(&c, 1), &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["params"][1]["T"]["u"]["new"]["a"][1], 2);
}

TEST(JsonStreamSplitterTest, SeveralMessagesInOneReadWithWhitespace) {
  JsonStreamSplitter s;
  Status st;
  auto out = feedAll(s, " {\"id\":1}\n{\"id\":2}\r\n\t[3]  {\"id\":", &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[1]["id"], 2);
  EXPECT_EQ(out[2], json::array({3}));
  EXPECT_GT(s.pending(), 0u);
  out = feedAll(s, "4}", &st);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["id"], 4);
}

TEST(JsonStreamSplitterTest, BracesAndEscapesInsideStrings) {
  JsonStreamSplitter s;
  Status st;
  // A closing brace in a string, an escaped quote, and an escaped backslash before the end quote.
  std::string msg = R"({"a":"}}]]{","b":"say \"hi}\"","c":"back\\","d":"\u007b"})";
  auto out = feedAll(s, msg.substr(0, 20), &st);
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(out.empty());
  out = feedAll(s, msg.substr(20), &st);
  ASSERT_TRUE(st.ok()) << st;
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["a"], "}}]]{");
  EXPECT_EQ(out[0]["b"], "say \"hi}\"");
  EXPECT_EQ(out[0]["c"], "back\\");
  EXPECT_EQ(out[0]["d"], "{");
}

TEST(JsonStreamSplitterTest, EscapeSplitAcrossReads) {
  JsonStreamSplitter s;
  std::vector<json> out;
  ASSERT_TRUE(s.feed(R"({"a":"x\)", &out).ok());
  ASSERT_TRUE(s.feed(R"("}"})", &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0]["a"], "x\"}");
}

TEST(JsonStreamSplitterTest, GarbageBetweenMessagesIsAnError) {
  JsonStreamSplitter s;
  std::vector<json> out;
  Status st = s.feed("{\"id\":1} hello", &out);
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(out.size(), 1u);  // what came before the junk is still delivered
  // The stream stays failed until reset.
  EXPECT_FALSE(s.feed("{}", &out).ok());
  s.reset();
  EXPECT_TRUE(s.feed("{}", &out).ok());
  EXPECT_EQ(out.size(), 2u);
}

TEST(JsonStreamSplitterTest, BalancedButInvalidJsonIsAnError) {
  for (const char* bad : {"{\"a\" 1}", "{\"a\":1]", "[1,,2]", "{\"a\":\"\x01\"}", "{nope}"}) {
    JsonStreamSplitter s;
    std::vector<json> out;
    EXPECT_EQ(s.feed(bad, &out).code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_TRUE(out.empty()) << bad;
  }
}

TEST(JsonStreamSplitterTest, TopLevelScalarIsAnError) {
  JsonStreamSplitter s;
  std::vector<json> out;
  EXPECT_FALSE(s.feed("42", &out).ok());
}

TEST(JsonStreamSplitterTest, OversizedMessageIsAnError) {
  JsonStreamSplitter s(16);
  std::vector<json> out;
  EXPECT_TRUE(s.feed("{\"a\":\"0123", &out).ok());
  EXPECT_EQ(s.feed("456789abcdef\"}", &out).code(), StatusCode::kResourceExhausted);
}

TEST(JsonRpcMessageTest, ClassifiesRequestsNotificationsAndReplies) {
  auto req = parseJsonRpcMessage(json::parse(R"({"method":"echo","params":[1],"id":"e"})"));
  ASSERT_TRUE(req.ok());
  EXPECT_EQ(req->kind, JsonRpcMessage::Kind::kRequest);
  EXPECT_EQ(req->id, "e");

  auto note = parseJsonRpcMessage(json::parse(R"({"method":"update","params":[],"id":null})"));
  ASSERT_TRUE(note.ok());
  EXPECT_EQ(note->kind, JsonRpcMessage::Kind::kNotification);

  auto reply = parseJsonRpcMessage(json::parse(R"({"result":null,"error":"boom","id":7})"));
  ASSERT_TRUE(reply.ok());
  EXPECT_EQ(reply->kind, JsonRpcMessage::Kind::kReply);
  EXPECT_EQ(reply->error, "boom");
}

TEST(JsonRpcMessageTest, RejectsMalformedShapes) {
  for (const char* bad :
       {R"([1])", R"({"method":1,"params":[],"id":1})", R"({"method":"x","params":{},"id":1})",
        R"({"result":1})", R"({"id":1})"}) {
    EXPECT_FALSE(parseJsonRpcMessage(json::parse(bad)).ok()) << bad;
  }
}

TEST(JsonRpcMessageTest, BuildsMessages) {
  EXPECT_EQ(makeJsonRpcRequest("transact", json::array({"db"}), 3),
            json::parse(R"({"method":"transact","params":["db"],"id":3})"));
  EXPECT_EQ(makeJsonRpcReply(json::array({1}), "echo"),
            json::parse(R"({"result":[1],"error":null,"id":"echo"})"));
  EXPECT_EQ(makeJsonRpcNotification("update", json::array()),
            json::parse(R"({"method":"update","params":[],"id":null})"));
}

}  // namespace
}  // namespace alcor::ovsdb
