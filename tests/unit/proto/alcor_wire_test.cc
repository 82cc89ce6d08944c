// The project's copy of Alcor's schema must decode bytes that Alcor's own schema encoded exactly
// as Alcor's protoc does (tests/testdata/alcor-wire/*.expected), and re-encode them to the same
// bytes. The fixtures were produced from Alcor's schema; see tests/testdata/alcor-wire.

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <sstream>

#include "alcor/goalstate.pb.h"
#include "alcor/goalstateprovisioner.pb.h"
#include "cni/v1/cni.pb.h"

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string fixture(const std::string& name) {
  return readFile(std::string(ALCOR_SOURCE_DIR) + "/tests/testdata/alcor-wire/" + name);
}

std::string deterministicBytes(const google::protobuf::Message& m) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  m.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

struct Case {
  std::string name;
  std::function<std::unique_ptr<google::protobuf::Message>()> make;
};

class AlcorWireTest : public ::testing::TestWithParam<Case> {};

TEST_P(AlcorWireTest, DecodesLikeAlcorAndReencodesSameBytes) {
  const Case& c = GetParam();
  std::string wire = fixture(c.name + ".pb");
  ASSERT_FALSE(wire.empty());
  auto msg = c.make();
  ASSERT_TRUE(msg->ParseFromString(wire));
  // No field may be unknown to our schema: every Alcor field must have a home here.
  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(*msg, &text));
  EXPECT_EQ(text, fixture(c.name + ".expected"));
  EXPECT_EQ(deterministicBytes(*msg), wire);
}

TEST_P(AlcorWireTest, TextSourceEncodesToAlcorBytes) {
  const Case& c = GetParam();
  auto msg = c.make();
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(fixture(c.name + ".txtpb"), msg.get()));
  EXPECT_EQ(deterministicBytes(*msg), fixture(c.name + ".pb"));
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, AlcorWireTest,
    ::testing::Values(
        Case{"gsv1_public", [] { return std::make_unique<alcor::schema::GoalState>(); }},
        Case{"gsv2_public", [] { return std::make_unique<alcor::schema::GoalStateV2>(); }},
        Case{"reply_public",
             [] { return std::make_unique<alcor::schema::GoalStateOperationReply>(); }}),
    [](const auto& info) { return info.param.name; });

TEST(AlcorSchemaTest, SubnetTunnelIdIs64Bit) {
  alcor::schema::SubnetConfiguration subnet;
  subnet.set_tunnel_id(0x1'0000'0001ULL);
  alcor::schema::SubnetConfiguration back;
  ASSERT_TRUE(back.ParseFromString(subnet.SerializeAsString()));
  EXPECT_EQ(back.tunnel_id(), 0x1'0000'0001ULL);
}

TEST(CniProtoTest, ErrorCodesMatchTheCniSpec) {
  using alcor::cni::v1::ErrorCode;
  EXPECT_EQ(ErrorCode::INCOMPATIBLE_CNI_VERSION, 1);
  EXPECT_EQ(ErrorCode::INVALID_NETWORK_CONFIG, 7);
  EXPECT_EQ(ErrorCode::TRY_AGAIN_LATER, 11);
  EXPECT_EQ(ErrorCode::PLUGIN_NOT_AVAILABLE, 50);
  EXPECT_EQ(ErrorCode::PLUGIN_NOT_AVAILABLE_LIMITED_CONNECTIVITY, 51);
}

}  // namespace
