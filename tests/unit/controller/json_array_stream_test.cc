// JsonArrayStream: the elements of one array member of a body arriving in pieces, the other
// members skipped, bad structure rejected wherever the body is cut.

#include "controller/rest/json_array_stream.h"

#include <gtest/gtest.h>

namespace alcor::controller {
namespace {

struct Streamed {
  Status status;
  std::vector<std::string> elements;
};

// Feeds `body` in pieces of `piece` bytes.
Streamed stream(const std::string& body, const std::string& key, size_t piece,
                size_t max_value = 1 << 20) {
  Streamed out;
  JsonArrayStream s(
      key,
      [&](std::string_view e) {
        out.elements.emplace_back(e);
        return okStatus();
      },
      max_value);
  for (size_t i = 0; i < body.size() && out.status.ok(); i += piece) {
    out.status = s.feed(std::string_view(body).substr(i, piece));
  }
  if (out.status.ok()) out.status = s.finish();
  return out;
}

TEST(JsonArrayStreamTest, HandsOverEachElementWhateverThePieces) {
  const std::string body =
      R"( {"before": {"a": [1, "]}"], "b": null}, "ports" : [ {"id": "p1", "x": "[{,"},)"
      R"( {"id": "p2", "n": [1,2,{"z":true}]} , 7, "s\"]", -1.5e3 ], "after": false } )";
  for (size_t piece : {1u, 2u, 3u, 7u, 1000u}) {
    auto r = stream(body, "ports", piece);
    ASSERT_TRUE(r.status.ok()) << "piece " << piece << ": " << r.status;
    EXPECT_EQ(r.elements, (std::vector<std::string>{R"({"id": "p1", "x": "[{,"})",
                                                    R"({"id": "p2", "n": [1,2,{"z":true}]})", "7",
                                                    R"("s\"]")", "-1.5e3"}))
        << "piece " << piece;
  }
}

TEST(JsonArrayStreamTest, EmptyArrayAndMissingKey) {
  auto empty = stream(R"({"ports": []})", "ports", 1);
  EXPECT_TRUE(empty.status.ok());
  EXPECT_TRUE(empty.elements.empty());
  auto missing = stream(R"({"port": [{}]})", "ports", 4);
  EXPECT_EQ(missing.status.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status.message().find("\"ports\""), std::string::npos);
  auto not_array = stream(R"({"ports": {"a": 1}})", "ports", 4);
  EXPECT_EQ(not_array.status.code(), StatusCode::kInvalidArgument);
}

TEST(JsonArrayStreamTest, RejectsBadStructureWithoutCrashing) {
  const std::string good = R"({"x": [1, {"y": "z"}], "ports": [{"id": "p1"}, {"id": "p2"}]})";
  // Every proper prefix is incomplete; none is accepted.
  for (size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(stream(good.substr(0, n), "ports", 3).status.ok()) << n;
  }
  for (const char* bad :
       {R"([])", R"({"ports": [1,]})", R"({"ports": [1 2]})", R"({"ports": []} x)",
        R"({ports: []})", R"({"ports": [], })", R"({"a": tru, "ports": []})",
        R"({"ports": ["abc]})", R"({"ports": [] "b": 1})"}) {
    auto r = stream(bad, "ports", 2);
    EXPECT_EQ(r.status.code(), StatusCode::kInvalidArgument) << bad;
  }
  // A NUL byte inside an element would end nlohmann's parse of it early.
  EXPECT_FALSE(stream(std::string(R"({"ports": [-1)") + '\0' + "5]}", "ports", 1).status.ok());
}

TEST(JsonArrayStreamTest, ElementTextsAreTheCallersToCheck) {
  // The scanner only delimits elements; readArrayStream parses each with nlohmann.
  auto r = stream(R"({"ports": [{"a" 1}, }]})", "ports", 2);
  EXPECT_TRUE(r.status.ok()) << r.status;
  EXPECT_EQ(r.elements, (std::vector<std::string>{R"({"a" 1})", "}"}));
}

TEST(JsonArrayStreamTest, BoundsOneValueAndTheNesting) {
  std::string big = R"({"ports": [")" + std::string(200, 'a') + R"("]})";
  EXPECT_FALSE(stream(big, "ports", 16, /*max_value=*/100).status.ok());
  EXPECT_TRUE(stream(big, "ports", 16, /*max_value=*/1000).status.ok());
  std::string deep = R"({"ports": [)" + std::string(5000, '[') + std::string(5000, ']') + "]}";
  EXPECT_FALSE(stream(deep, "ports", 64).status.ok());
}

TEST(JsonArrayStreamTest, AnElementErrorStopsTheStream) {
  int seen = 0;
  JsonArrayStream s("ports", [&](std::string_view) {
    return ++seen == 2 ? invalidArgumentError("second is bad") : okStatus();
  });
  Status st = s.feed(R"({"ports": [1, 2, 3]})");
  EXPECT_EQ(st.message(), "second is bad");
  EXPECT_EQ(seen, 2);
  EXPECT_FALSE(s.finish().ok());
}

}  // namespace
}  // namespace alcor::controller
