// FlowTable on its own: which owner's flow an identity installs when several want it, that a
// staged pass changes nothing until it is committed, and what happens to flows read back from
// the switch.

#include "node-agent/dataplane/flow_table.h"

#include <gtest/gtest.h>

namespace alcor::agent {
namespace {

using openflow::FlowMod;
using pipeline::OwnerKey;

// A flow of table 20 whose identity is `ip` and whose content names `cookie`.
openflow::PackedFlow flow(uint32_t ip, uint64_t cookie) {
  openflow::Flow f;
  f.table = 20;
  f.priority = 200;
  f.cookie = cookie;
  f.match = openflow::arpMatch();
  f.match.arp_tpa = Ipv4Address(ip);
  f.actions = {openflow::OutputInPort{}};
  return openflow::pack(f);
}

FlowTable::OwnerUpdate update(OwnerKey owner, std::vector<openflow::PackedFlow> flows) {
  return FlowTable::OwnerUpdate{std::move(owner), std::move(flows), {}, ""};
}

// The commands and cookies a plan sends, e.g. "add 1" / "delete 2".
std::vector<std::string> sent(const FlowTable::Plan& plan) {
  std::vector<std::string> out;
  for (const auto& m : plan.mods) {
    auto f = openflow::unpack(m.key, m.value);
    out.push_back(std::string(m.command == FlowMod::kAdd ? "add " : "delete ") +
                  std::to_string(f.ok() ? f->cookie : 0));
  }
  return out;
}

std::vector<std::string> apply(FlowTable& table, FlowTable::Updates updates, bool full = false,
                               bool keep_restored = false) {
  FlowTable::Plan plan = table.stage(updates, full, keep_restored);
  auto out = sent(plan);
  table.commit(plan, updates);
  return out;
}

using Sent = std::vector<std::string>;

TEST(FlowTableTest, TheFirstOwnerInOrderIsInstalledAndTheNextTakesOverWhenItGoes) {
  FlowTable table;
  const OwnerKey port = pipeline::portOwner("p1");
  const OwnerKey neighbor = pipeline::neighborOwner("L2/n1");
  // The neighbor comes first but ranks after the port: the port's flow replaces it.
  EXPECT_EQ(apply(table, {update(neighbor, {flow(5, 2)})}), Sent{"add 2"});
  EXPECT_EQ(apply(table, {update(port, {flow(5, 1)})}), Sent{"add 1"});
  EXPECT_EQ(apply(table, {update(neighbor, {flow(5, 2)})}), Sent{});  // still the port's
  EXPECT_EQ(table.installedFlows(), 1u);
  // The port goes: the neighbor's flow is put back; then it goes too.
  EXPECT_EQ(apply(table, {update(port, {})}), Sent{"add 2"});
  EXPECT_EQ(apply(table, {update(neighbor, {})}), Sent{"delete 2"});
  EXPECT_EQ(table.installedFlows(), 0u);
  EXPECT_EQ(table.owners(), 0u);
}

TEST(FlowTableTest, AStagedPassChangesNothingUntilCommitted) {
  FlowTable table;
  const OwnerKey port = pipeline::portOwner("p1");
  EXPECT_EQ(apply(table, {update(port, {flow(5, 1), flow(6, 1)})}), (Sent{"add 1", "add 1"}));
  FlowTable::Updates failed = {update(port, {flow(6, 1), flow(7, 1)})};
  FlowTable::Plan plan = table.stage(failed, false, false);
  EXPECT_EQ(sent(plan), (Sent{"add 1", "delete 1"}));
  // The switch refused it: the plan is dropped; the same change stages the same way again.
  FlowTable::Updates again = {update(port, {flow(6, 1), flow(7, 1)})};
  EXPECT_EQ(sent(table.stage(again, false, false)), (Sent{"add 1", "delete 1"}));
  EXPECT_EQ(table.installedFlows(), 2u);
}

TEST(FlowTableTest, FlowsReadBackStayUntilTheRestoreEndsUnlessAnOwnerTakesThem) {
  FlowTable table;
  // The switch holds three flows of a previous agent.
  table.setInstalled({flow(5, 1), flow(6, 1), flow(7, 9)}, /*restored=*/true);
  EXPECT_EQ(table.installedFlows(), 3u);
  // While restoring, a relearned owner wanting the same flows sends nothing, and a changed one
  // replaces just that flow; nobody's flows stay.
  const OwnerKey port = pipeline::portOwner("p1");
  EXPECT_EQ(apply(table, {update(port, {flow(5, 1), flow(6, 2)})}, true, true), Sent{"add 2"});
  EXPECT_EQ(table.installedFlows(), 3u);
  // The restore ends: the flow nobody took goes.
  EXPECT_EQ(apply(table, {update(port, {flow(5, 1), flow(6, 2)})}, true, false), Sent{"delete 9"});
  EXPECT_EQ(table.installedFlows(), 2u);
}

}  // namespace
}  // namespace alcor::agent
