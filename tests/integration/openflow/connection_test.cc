// ConnectionImpl against a real ovs-vswitchd (userspace datapath in a private netns): flows
// installed singly and in bundles are exactly what ovs-ofctl dumps (and formatFlow prints the
// same text), failing bundles apply nothing, groups, packet-in with userdata, packet-out, and
// reconnection after a vswitchd restart.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "lib/base/strings.h"
#include "lib/openflow/connection.h"
#include "tests/harness/ovs_test_fixture.h"
#include "tests/unit/openflow/sample_flows.h"

namespace alcor::openflow {
namespace {

using alcor::testing::addVethPair;
using alcor::testing::Netns;
using alcor::testing::waitFor;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAreArray;

class OpenflowConnectionTest : public alcor::testing::OvsNamespaceTest {
 protected:
  void SetUp() override {
    OvsNamespaceTest::SetUp();
    ASSERT_TRUE(ovs_->addBridge("br0").ok());
    auto c = ConnectionImpl::connect(ovs_->mgmtTarget("br0"));
    ASSERT_TRUE(c.ok()) << c.status();
    conn_ = std::move(c).value();
  }
  void TearDown() override {
    conn_.reset();
    OvsNamespaceTest::TearDown();
  }

  std::vector<std::string> expectedDump(const std::vector<Flow>& flows) {
    std::vector<std::string> lines;
    for (const auto& f : flows) lines.push_back(formatFlow(f));
    std::sort(lines.begin(), lines.end());
    return lines;
  }

  Status addGroup5() {
    GroupMod g;
    g.group_id = 5;
    g.type = GroupMod::kSelect;
    g.buckets = {{0, 10, {output(1)}}, {1, 20, {output(2)}}};
    return conn_->groupMod(g);
  }

  std::unique_ptr<ConnectionImpl> conn_;
};

Flow simpleFlow(uint8_t table, uint16_t priority, uint32_t in_port) {
  Flow f;
  f.table = table;
  f.priority = priority;
  f.match.in_port = in_port;
  f.actions = {output(in_port + 1)};
  return f;
}

TEST_F(OpenflowConnectionTest, SingleFlowsAreDumpedExactly) {
  ASSERT_TRUE(addGroup5().ok());
  std::vector<Flow> flows;
  std::vector<FlowMod> mods;
  for (const auto& c : openflow::testing::flowCases()) {
    flows.push_back(c.flow);
    mods.push_back(FlowMod::add(c.flow));
  }
  ASSERT_TRUE(conn_->send(mods).ok());
  // formatFlow is the golden text: exactly what ovs-ofctl dump-flows prints.
  EXPECT_THAT(ovs_->dumpFlows("br0"), ElementsAreArray(expectedDump(flows)));
  // Decoding OVS's own flow stats replies gives back the flows we installed.
  auto dumped = conn_->dumpFlows();
  ASSERT_TRUE(dumped.ok()) << dumped.status();
  EXPECT_THAT(*dumped, UnorderedElementsAreArray(flows));
}

TEST_F(OpenflowConnectionTest, PackedBundleInstallsAndDeletesTheSameFlows) {
  ASSERT_TRUE(addGroup5().ok());
  std::vector<Flow> flows;
  std::vector<PackedFlow> packed;
  for (const auto& c : openflow::testing::flowCases()) {
    flows.push_back(c.flow);
    packed.push_back(pack(c.flow));
  }
  std::vector<PackedFlowMod> adds;
  for (const auto& p : packed) adds.push_back({FlowMod::kAdd, p.key, p.value});
  ASSERT_TRUE(conn_->bundlePacked(adds).ok());
  EXPECT_THAT(ovs_->dumpFlows("br0"), ElementsAreArray(expectedDump(flows)));
  // Strict deletes of all but the first leave exactly that one.
  std::vector<PackedFlowMod> deletes;
  for (size_t i = 1; i < packed.size(); ++i) {
    deletes.push_back({FlowMod::kDeleteStrict, packed[i].key, packed[i].value});
  }
  ASSERT_TRUE(conn_->bundlePacked(deletes).ok());
  EXPECT_THAT(ovs_->dumpFlows("br0"), ElementsAreArray(expectedDump({flows.front()})));
}

TEST_F(OpenflowConnectionTest, BundleInstallsAllAndDumpFiltersByTableAndCookie) {
  std::vector<FlowMod> mods;
  std::vector<Flow> flows;
  for (uint32_t i = 1; i <= 200; ++i) {
    Flow f = simpleFlow(static_cast<uint8_t>(i % 3), 100, i);
    f.cookie = i % 2 ? 0x1100 + i : 0x2200 + i;
    flows.push_back(f);
    mods.push_back(FlowMod::add(f));
  }
  ASSERT_TRUE(conn_->bundle(mods).ok());
  EXPECT_THAT(ovs_->dumpFlows("br0"), ElementsAreArray(expectedDump(flows)));
  auto table1 = conn_->dumpFlows(1);
  ASSERT_TRUE(table1.ok());
  EXPECT_EQ(table1->size(), 67u);
  auto odd = conn_->dumpFlows(kTableAll, 0x1100, 0xff00);
  ASSERT_TRUE(odd.ok());
  EXPECT_EQ(odd->size(), 100u);

  // Cookie-masked delete of the odd ones, then a strict modify.
  FlowMod del{FlowMod::kDelete, Flow{}, 0xff00, kTableAll};
  del.flow.cookie = 0x1100;
  ASSERT_TRUE(conn_->bundle({del}).ok());
  EXPECT_EQ(ovs_->dumpFlows("br0").size(), 100u);
  FlowMod mod{FlowMod::kModifyStrict, simpleFlow(2, 100, 2)};
  mod.flow.actions = {output(kPortLocal)};
  ASSERT_TRUE(conn_->send({mod}).ok());
  EXPECT_THAT(ovs_->dumpFlows("br0", "in_port=2"),
              ElementsAreArray({"cookie=0x2202, table=2, priority=100,in_port=2 actions=LOCAL"}));
}

TEST_F(OpenflowConnectionTest, FailingBundleAppliesNothing) {
  ovs_->allowLogPattern("connmgr|INFO|.*");
  ovs_->allowLogPattern("ofproto|.*");
  ovs_->allowLogPattern("ofp_actions|.*");
  ovs_->allowLogPattern("connmgr|.*");
  ASSERT_TRUE(conn_->send({FlowMod::add(simpleFlow(0, 1, 99))}).ok());
  Flow backwards = simpleFlow(3, 10, 1);
  backwards.goto_table = 1;  // goto must go to a later table
  Status s = conn_->bundle({FlowMod::add(simpleFlow(0, 10, 1)), FlowMod::add(backwards)});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("OFPBIC_BAD_TABLE_ID"));
  Flow bad_group = simpleFlow(0, 10, 2);
  bad_group.actions = {Group{77}};
  s = conn_->bundle({FlowMod::add(simpleFlow(0, 10, 1)), FlowMod::add(bad_group)});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("OFPBAC_BAD_OUT_GROUP"));
  EXPECT_THAT(ovs_->dumpFlows("br0"), ElementsAreArray(expectedDump({simpleFlow(0, 1, 99)})));
  // The connection is still usable afterwards.
  ASSERT_TRUE(conn_->bundle({FlowMod::add(simpleFlow(0, 10, 1))}).ok());
  EXPECT_EQ(ovs_->dumpFlows("br0").size(), 2u);
  // Non-atomic send reports the error too.
  s = conn_->send({FlowMod::add(bad_group)});
  EXPECT_THAT(s.message(), HasSubstr("OFPBAC_BAD_OUT_GROUP"));
}

TEST_F(OpenflowConnectionTest, GroupModShowsInDumpGroups) {
  ASSERT_TRUE(addGroup5().ok());
  GroupMod all;
  all.group_id = 6;
  all.buckets = {{0, 0, {output(1)}}, {1, 0, {output(2)}}};
  ASSERT_TRUE(conn_->groupMod(all).ok());
  auto r = ovs_->ofctl({"dump-groups", "br0"});
  ASSERT_TRUE(r.ok()) << r.describe();
  EXPECT_THAT(r.out, HasSubstr("group_id=5,type=select,bucket=bucket_id:0,weight:10,"
                               "actions=output:1,bucket=bucket_id:1,weight:20,actions=output:2"));
  EXPECT_THAT(r.out, HasSubstr("group_id=6,type=all,bucket=bucket_id:0,actions=output:1,"
                               "bucket=bucket_id:1,actions=output:2"));
  ovs_->allowLogPattern("connmgr|.*");
  EXPECT_FALSE(conn_->groupMod(all).ok());  // already exists
}

uint64_t rxPackets(const Netns& ns, const std::string& ifname) {
  auto r = ns.exec({"cat", "/proc/net/dev"});
  for (auto line : splitString(r.out, '\n')) {
    auto t = trimSpace(line);
    if (!startsWith(t, ifname + ":")) continue;
    auto fields = splitString(t.substr(ifname.size() + 1), ' ');
    return fields.size() > 1 ? parseInt<uint64_t>(fields[1]).value_or(0) : 0;
  }
  return 0;
}

TEST_F(OpenflowConnectionTest, PacketInCarriesUserdataAndPacketOutReachesPod) {
  ovs_->allowLogPattern("vpod1");  // the veth goes away with the pod namespace
  auto pod = Netns::create("pod");
  ASSERT_TRUE(pod.ok());
  ASSERT_TRUE(addVethPair(node_->name(), "vpod1", (*pod)->name(), "eth0").ok());
  auto r = ovs_->vsctl(
      {"add-port", "br0", "vpod1", "--", "set", "interface", "vpod1", "ofport_request=1"});
  ASSERT_TRUE(r.ok()) << r.describe();
  ASSERT_TRUE((*pod)->shell("ip addr add 10.0.0.1/24 dev eth0").ok());

  std::mutex mu;
  std::vector<PacketIn> seen;
  conn_->setPacketInHandler([&](const PacketIn& p) {
    std::lock_guard<std::mutex> lock(mu);
    seen.push_back(p);
  });
  Flow f;
  f.table = 0;
  f.priority = 100;
  f.cookie = 0x77;
  f.match = arpMatch();
  f.actions = {loadReg(3, 0xabc), controller({1, 2, 3, 4})};
  ASSERT_TRUE(conn_->bundle({FlowMod::add(f)}).ok());

  // The pod ARPs for its neighbour; the request reaches the controller action. (Retried: the
  // first ARP may come before the datapath polls the new port.)
  auto got = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return !seen.empty();
  };
  for (int i = 0; i < 10 && !got(); ++i) {
    (*pod)->exec({"ping", "-c", "1", "-W", "1", "10.0.0.2"});
  }
  ASSERT_TRUE(waitFor(got, std::chrono::seconds(2)));
  PacketIn p;
  {
    std::lock_guard<std::mutex> lock(mu);
    p = seen.front();
  }
  EXPECT_EQ(p.userdata, (std::vector<uint8_t>{1, 2, 3, 4}));
  EXPECT_EQ(p.cookie, 0x77u);
  EXPECT_EQ(p.reason, PacketInReason::kAction);
  EXPECT_EQ(p.match.in_port, 1u);
  EXPECT_EQ(p.match.reg[3], Masked<uint32_t>(0xabc));
  ASSERT_GE(p.data.size(), 42u);
  EXPECT_EQ(p.data[12], 0x08);
  EXPECT_EQ(p.data[13], 0x06);

  // Packet-out: the ARP request, broadcast back into the pod.
  uint64_t before = rxPackets(**pod, "eth0");
  PacketOut out;
  out.actions = {output(1)};
  out.data = p.data;
  ASSERT_TRUE(conn_->packetOut(out).ok());
  EXPECT_TRUE(waitFor([&] { return rxPackets(**pod, "eth0") > before; }, std::chrono::seconds(3)));
  ASSERT_TRUE(ovs_->vsctl({"del-port", "br0", "vpod1"}).ok());
}

TEST_F(OpenflowConnectionTest, ReconnectsAfterVswitchdRestart) {
  ovs_->allowLogPattern(".*");  // a restart logs connection resets on both sides
  std::atomic<int> reconnects{0};
  std::atomic<int> disconnects{0};
  std::atomic<bool> disconnect_first{false};
  conn_->setDisconnectHandler([&] {
    if (reconnects.load() == 0) disconnect_first = true;
    ++disconnects;
  });
  conn_->setReconnectHandler([&] {
    ++reconnects;
    // Replaying from the handler must work (it runs off the reader thread).
    EXPECT_TRUE(conn_->bundle({FlowMod::add(simpleFlow(0, 5, 5))}).ok());
  });
  ASSERT_TRUE(conn_->bundle({FlowMod::add(simpleFlow(0, 5, 5))}).ok());
  ASSERT_TRUE(ovs_->restartVswitchd().ok());
  ASSERT_TRUE(waitFor([&] { return reconnects.load() > 0; }, std::chrono::seconds(20)));
  // The loss was reported, and before the reconnect.
  EXPECT_GE(disconnects.load(), 1);
  EXPECT_TRUE(disconnect_first.load());
  EXPECT_TRUE(conn_->connected());
  EXPECT_TRUE(waitFor([&] { return ovs_->dumpFlows("br0").size() == 1; }, std::chrono::seconds(5)));
  EXPECT_TRUE(conn_->barrier().ok());
}

TEST(OpenflowConnectOnlyTest, BadTargetsFail) {
  EXPECT_EQ(ConnectionImpl::connect("tcp:1.2.3.4:6653").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ConnectionImpl::connect("unix:/nonexistent/br0.mgmt").status().code(),
            StatusCode::kUnavailable);
}

}  // namespace
}  // namespace alcor::openflow
