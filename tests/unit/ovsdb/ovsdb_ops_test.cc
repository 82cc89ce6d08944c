#include "lib/ovsdb/ovsdb_ops.h"

#include <gtest/gtest.h>

namespace alcor::ovsdb {
namespace {

using nlohmann::json;

TEST(OvsdbValueTest, EncodesRfc7047Values) {
  EXPECT_EQ(value::uuid("u1"), json::parse(R"(["uuid","u1"])"));
  EXPECT_EQ(value::namedUuid("p"), json::parse(R"(["named-uuid","p"])"));
  EXPECT_EQ(value::stringSet({"a", "b"}), json::parse(R"(["set",["a","b"]])"));
  EXPECT_EQ(value::emptySet(), json::parse(R"(["set",[]])"));
  EXPECT_EQ(value::map({{"k", "v"}, {"a", "b"}}), json::parse(R"(["map",[["a","b"],["k","v"]]])"));
}

TEST(OvsdbValueTest, DecodesServerValues) {
  EXPECT_EQ(value::setElements(json::parse(R"(["set",[1,2]])")).size(), 2u);
  EXPECT_EQ(value::setElements(json("one")).size(), 1u);  // a lone atom is a 1-element set
  EXPECT_EQ(value::optionalInt(json::parse(R"(["set",[]])")), std::nullopt);
  EXPECT_EQ(value::optionalInt(json(5)), 5);
  EXPECT_EQ(value::stringMap(json::parse(R"(["map",[["a","1"]]])")).at("a"), "1");
  EXPECT_TRUE(value::stringMap(json::parse(R"(["set",[]])")).empty());
  EXPECT_EQ(value::uuidOf(json::parse(R"(["uuid","x"])")), "x");
  EXPECT_EQ(value::uuidOf(json("x")), "");
}

TEST(OvsdbOpTest, BuildsOperations) {
  EXPECT_EQ(op::insert("Port", {{"name", "p0"}}, "new"),
            json::parse(R"({"op":"insert","table":"Port","row":{"name":"p0"},"uuid-name":"new"})"));
  EXPECT_EQ(op::select("Bridge", json::array({cond::nameIs("br0")}), {"_uuid"}),
            json::parse(R"({"op":"select","table":"Bridge","where":[["name","==","br0"]],
                            "columns":["_uuid"]})"));
  EXPECT_EQ(op::mutate("Open_vSwitch", json::array(), json::array({mutation::add("next_cfg", 1)})),
            json::parse(R"({"op":"mutate","table":"Open_vSwitch","where":[],
                            "mutations":[["next_cfg","+=",1]]})"));
  EXPECT_EQ(op::wait("Bridge", json::array({cond::uuidIs("u")}), {"name"},
                     json::array({{{"name", "br0"}}})),
            json::parse(R"({"op":"wait","table":"Bridge","where":[["_uuid","==",["uuid","u"]]],
                            "columns":["name"],"until":"==","rows":[{"name":"br0"}],
                            "timeout":0})"));
  EXPECT_EQ(op::remove("Port", json::array()),
            json::parse(R"({"op":"delete","table":"Port","where":[]})"));
}

TEST(OvsdbErrorTest, MapsErrorsToStatusCodes) {
  Status s = statusFromOvsdbError(
      json::parse(R"({"error":"constraint violation","details":"duplicate name"})"), "commit");
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(), "ovsdb: commit: constraint violation: duplicate name");
  EXPECT_EQ(statusFromOvsdbError(json::parse(R"({"error":"timed out"})")).code(),
            StatusCode::kAborted);
  EXPECT_EQ(statusFromOvsdbError(json("unknown method")).code(), StatusCode::kUnimplemented);
  EXPECT_EQ(statusFromOvsdbError(json(12)).code(), StatusCode::kUnknown);
}

TEST(OvsdbErrorTest, ChecksTransactResults) {
  json ops = json::array({op::comment("a"), op::select("Bridge", json::array())});
  EXPECT_TRUE(checkTransactResult(ops, json::parse(R"([{}, {"rows":[]}])")).ok());
  Status op_error = checkTransactResult(
      ops, json::parse(R"([{}, {"error":"syntax error","details":"bad column"}])"));
  EXPECT_EQ(op_error.message(), "ovsdb: op 1 (select Bridge): syntax error: bad column");
  // A commit failure is the extra element after the op results.
  Status commit = checkTransactResult(
      ops, json::parse(R"([{}, {"rows":[]}, {"error":"referential integrity violation"}])"));
  EXPECT_EQ(commit.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(commit.message().find("commit"), std::string::npos);
  EXPECT_FALSE(checkTransactResult(ops, json::object()).ok());
}

}  // namespace
}  // namespace alcor::ovsdb
