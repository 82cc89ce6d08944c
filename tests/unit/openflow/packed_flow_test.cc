// Packed flows: every sample flow survives pack/unpack unchanged, a packed bundle add is
// byte-for-byte the message the FlowMod codec writes, and damaged bytes are refused.

#include "lib/openflow/packed_flow.h"

#include <gtest/gtest.h>

#include "tests/unit/openflow/sample_flows.h"

namespace alcor::openflow {
namespace {

TEST(PackedFlowTest, EverySampleFlowRoundTrips) {
  for (const auto& c : testing::flowCases()) {
    Flow flow = c.flow;
    flow.idle_timeout = 30;
    PackedFlow packed = pack(flow);
    EXPECT_EQ(packedKey(flow), packed.key) << c.name;
    auto back = unpack(packed.key, packed.value);
    ASSERT_TRUE(back.ok()) << c.name << ": " << back.status();
    EXPECT_EQ(*back, flow) << c.name;
  }
}

TEST(PackedFlowTest, KeyIsTableAndPriorityAndMatchOnly) {
  Flow a = testing::flowCases().front().flow;
  Flow b = a;
  b.cookie = a.cookie + 1;
  b.actions.clear();
  b.goto_table.reset();
  EXPECT_EQ(pack(a).key, pack(b).key);
  EXPECT_NE(pack(a).value, pack(b).value);
  b.priority = static_cast<uint16_t>(a.priority + 1);
  EXPECT_NE(pack(a).key, pack(b).key);
}

TEST(PackedFlowTest, BundleAddBytesEqualTheFlowModCodec) {
  for (const auto& c : testing::flowCases()) {
    PackedFlow packed = pack(c.flow);
    for (auto command : {FlowMod::kAdd, FlowMod::kDeleteStrict}) {
      std::vector<uint8_t> ours;
      encodeBundleAddTo(77, 9, kBundleAtomic | kBundleOrdered,
                        PackedFlowMod{command, packed.key, packed.value}, ours);
      FlowMod mod{command, c.flow};
      EXPECT_EQ(ours, encode(Message{77, BundleAdd{9, kBundleAtomic | kBundleOrdered, mod}}))
          << c.name << " command " << int(command);
    }
  }
}

TEST(PackedFlowTest, DamagedBytesAreRefused) {
  PackedFlow packed = pack(testing::flowCases().front().flow);
  EXPECT_FALSE(unpack(packed.key.substr(0, 2), packed.value).ok());
  EXPECT_FALSE(unpack(packed.key, packed.value.substr(0, 5)).ok());
  EXPECT_FALSE(unpack(packed.key + "x", packed.value).ok());
  for (size_t cut = 0; cut < packed.key.size(); ++cut) {
    (void)unpack(packed.key.substr(0, cut), packed.value);  // never crashes
  }
}

}  // namespace
}  // namespace alcor::openflow
