#include "lib/openflow/fake_connection.h"

#include <gtest/gtest.h>

namespace alcor::openflow {
namespace {

Flow flow(uint8_t table, uint16_t priority, uint32_t in_port, uint64_t cookie = 0) {
  Flow f;
  f.table = table;
  f.priority = priority;
  f.cookie = cookie;
  f.match.in_port = in_port;
  f.actions = {output(in_port + 100)};
  return f;
}

TEST(FakeConnectionTest, AddReplacesSameMatchAndPriority) {
  FakeConnection c;
  ASSERT_TRUE(c.send({FlowMod::add(flow(0, 10, 1)), FlowMod::add(flow(0, 20, 1))}).ok());
  Flow replacement = flow(0, 10, 1);
  replacement.actions = {output(7)};
  ASSERT_TRUE(c.send({FlowMod::add(replacement)}).ok());
  auto flows = c.flows();
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[0].priority, 20);
  EXPECT_EQ(flows[1], replacement);
}

TEST(FakeConnectionTest, LooseAndStrictDelete) {
  FakeConnection c;
  Flow specific = flow(1, 10, 1);
  specific.match.eth_type = kEthTypeIpv4;
  ASSERT_TRUE(
      c.send({FlowMod::add(flow(1, 10, 1)), FlowMod::add(specific), FlowMod::add(flow(1, 10, 2))})
          .ok());
  // Strict: only the exact match and priority.
  ASSERT_TRUE(c.send({FlowMod::deleteStrict(flow(1, 10, 1))}).ok());
  EXPECT_EQ(c.flows().size(), 2u);
  // Loose on in_port=1 removes the more specific flow too.
  FlowMod loose{FlowMod::kDelete, flow(1, 0, 1)};
  ASSERT_TRUE(c.send({loose}).ok());
  ASSERT_EQ(c.flows().size(), 1u);
  EXPECT_EQ(c.flows()[0].match.in_port, 2u);
}

TEST(FakeConnectionTest, CookieMaskedDeleteAcrossTables) {
  FakeConnection c;
  ASSERT_TRUE(c.bundle({FlowMod::add(flow(0, 1, 1, 0x1100)), FlowMod::add(flow(5, 1, 2, 0x1200)),
                        FlowMod::add(flow(6, 1, 3, 0x2100))})
                  .ok());
  FlowMod del{FlowMod::kDelete, Flow{}, 0xff00, kTableAll};
  del.flow.cookie = 0x1100;
  ASSERT_TRUE(c.send({del}).ok());
  auto flows = c.flows();
  ASSERT_EQ(flows.size(), 2u);
  auto dumped = c.dumpFlows(kTableAll, 0x2000, 0xf000);
  ASSERT_TRUE(dumped.ok());
  ASSERT_EQ(dumped->size(), 1u);
  EXPECT_EQ((*dumped)[0].table, 6);
}

TEST(FakeConnectionTest, ModifyChangesActionsOnly) {
  FakeConnection c;
  ASSERT_TRUE(c.send({FlowMod::add(flow(2, 10, 1, 7))}).ok());
  FlowMod mod{FlowMod::kModifyStrict, flow(2, 10, 1)};
  mod.flow.actions = {output(9)};
  mod.flow.goto_table = 3;
  ASSERT_TRUE(c.send({mod}).ok());
  auto f = c.flows().at(0);
  EXPECT_EQ(f.cookie, 7u);
  EXPECT_EQ(f.actions, std::vector<Action>{output(9)});
  EXPECT_EQ(f.goto_table, 3);
}

TEST(FakeConnectionTest, FailingBundleAppliesNothing) {
  FakeConnection c;
  Flow bad = flow(3, 1, 1);
  bad.goto_table = 2;  // backwards: rejected like OVS does
  auto s = c.bundle({FlowMod::add(flow(0, 1, 1)), FlowMod::add(bad)});
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(c.flows().empty());
  c.failNext(unavailableError("down"));
  EXPECT_EQ(c.bundle({FlowMod::add(flow(0, 1, 1))}).code(), StatusCode::kUnavailable);
  EXPECT_TRUE(c.flows().empty());
  EXPECT_TRUE(c.bundle({FlowMod::add(flow(0, 1, 1))}).ok());
  EXPECT_EQ(c.bundleCount(), 1u);
}

TEST(FakeConnectionTest, GroupsPacketsAndReconnect) {
  FakeConnection c;
  GroupMod g{GroupMod::kAdd, GroupMod::kAll, 5, {{0, 0, {output(1)}}}};
  ASSERT_TRUE(c.groupMod(g).ok());
  EXPECT_FALSE(c.groupMod(g).ok());
  PacketOut p;
  p.actions = {output(1)};
  p.data = {1, 2, 3};
  ASSERT_TRUE(c.packetOut(p).ok());
  EXPECT_EQ(c.packetOuts(), std::vector<PacketOut>{p});

  std::vector<uint8_t> seen;
  c.setPacketInHandler([&](const PacketIn& pin) { seen = pin.userdata; });
  PacketIn pin;
  pin.userdata = {4};
  c.injectPacketIn(pin);
  EXPECT_EQ(seen, std::vector<uint8_t>{4});

  ASSERT_TRUE(c.send({FlowMod::add(flow(0, 1, 1))}).ok());
  int reconnects = 0;
  c.setReconnectHandler([&] { ++reconnects; });
  int disconnects = 0;
  c.setDisconnectHandler([&] {
    ++disconnects;
    EXPECT_FALSE(c.connected());
  });
  c.simulateDisconnect();
  EXPECT_EQ(disconnects, 1);
  EXPECT_EQ(reconnects, 0);
  c.simulateReconnect();
  EXPECT_EQ(reconnects, 1);
  EXPECT_TRUE(c.connected());
  EXPECT_TRUE(c.flows().empty());
  EXPECT_TRUE(c.groups().empty());
}

}  // namespace
}  // namespace alcor::openflow
