// BridgeClientImpl and OvsdbClientImpl against a real ovsdb-server + ovs-vswitchd (userspace
// datapath) in a private namespace; ovs-vsctl is the independent oracle.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "lib/base/strings.h"
#include "lib/ovsdb/bridge_client.h"
#include "lib/ovsdb/ovsdb_client.h"
#include "tests/harness/ovs_test_fixture.h"

namespace alcor::ovsdb {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

auto in(std::chrono::milliseconds d) { return std::chrono::steady_clock::now() + d; }

class BridgeClientTest : public alcor::testing::OvsNamespaceTest {
 protected:
  void SetUp() override {
    OvsNamespaceTest::SetUp();
    if (HasFatalFailure()) return;
    auto c = BridgeClientImpl::connect(ovs_->dbTarget());
    ASSERT_TRUE(c.ok()) << c.status();
    client_ = std::move(c).value();
  }
  void TearDown() override {
    // Let vswitchd finish the last change: exiting with unread database updates makes
    // ovsdb-server log a reset connection, which the fixture counts as a failure.
    if (client_) {
      EXPECT_TRUE(client_->waitApplied(in(10s)).ok());
    }
    client_.reset();
    OvsNamespaceTest::TearDown();
  }

  // `ovs-vsctl get TABLE RECORD COLUMN`, trimmed.
  std::string get(const std::string& table, const std::string& record, const std::string& col) {
    auto r = ovs_->vsctl({"get", table, record, col});
    EXPECT_TRUE(r.ok()) << r.describe();
    return std::string(trimSpace(r.out));
  }
  std::vector<std::string> lines(const std::vector<std::string>& args) {
    auto r = ovs_->vsctl(args);
    EXPECT_TRUE(r.ok()) << r.describe();
    std::vector<std::string> out;
    for (auto l : splitString(r.out, '\n')) out.emplace_back(trimSpace(l));
    return out;
  }
  BridgeSpec netdevBridge(const std::string& name) {
    BridgeSpec spec;
    spec.name = name;
    spec.datapath_type = "netdev";
    return spec;
  }

  std::unique_ptr<BridgeClientImpl> client_;
};

TEST_F(BridgeClientTest, EnsureBridgeCreatesThenUpdatesInPlace) {
  BridgeSpec spec = netdevBridge("br-int");
  spec.other_config = {{"hwaddr", "02:00:00:00:00:01"}};
  spec.external_ids = {{"owner", "alcor"}};
  ASSERT_TRUE(client_->ensureBridge(spec).ok());
  EXPECT_EQ(lines({"list-br"}), std::vector<std::string>{"br-int"});
  EXPECT_EQ(get("Bridge", "br-int", "datapath_type"), "netdev");
  EXPECT_EQ(get("Bridge", "br-int", "fail_mode"), "secure");
  EXPECT_EQ(get("Bridge", "br-int", "protocols"), "[OpenFlow13, OpenFlow15]");
  EXPECT_EQ(get("Bridge", "br-int", "other_config:hwaddr"), "\"02:00:00:00:00:01\"");
  EXPECT_EQ(lines({"list-ports", "br-int"}), std::vector<std::string>{});  // only the local port
  EXPECT_EQ(get("Interface", "br-int", "type"), "internal");
  EXPECT_TRUE(*client_->bridgeExists("br-int"));
  EXPECT_FALSE(*client_->bridgeExists("br-nope"));

  spec.protocols = {"OpenFlow15"};
  spec.other_config = {{"disable-in-band", "true"}};
  ASSERT_TRUE(client_->ensureBridge(spec).ok());
  ASSERT_TRUE(client_->ensureBridge(spec).ok());
  EXPECT_EQ(lines({"list-br"}), std::vector<std::string>{"br-int"});
  EXPECT_EQ(get("Bridge", "br-int", "protocols"), "[OpenFlow15]");
  EXPECT_EQ(get("Bridge", "br-int", "other_config:disable-in-band"), "\"true\"");
  EXPECT_EQ(get("Bridge", "br-int", "other_config:hwaddr"), "\"02:00:00:00:00:01\"");
  ASSERT_TRUE(client_->waitApplied(in(10s)).ok());
  EXPECT_EQ(ovs_->ofctl({"show", ovs_->mgmtTarget("br-int")}).exit_code, 0);
}

TEST_F(BridgeClientTest, AddPortsInOneCallMatchesOvsVsctl) {
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-int")).ok());
  std::vector<PortSpec> ports;
  for (int i = 0; i < 4; ++i) {
    PortSpec p;
    p.name = "int" + std::to_string(i);
    p.type = "internal";
    p.external_ids = {{"pod", "pod" + std::to_string(i)}, {"owner", "alcor"}};
    p.ofport_request = 10 + i;
    ports.push_back(p);
  }
  ports[0].mtu_request = 1400;
  PortSpec vx;
  vx.name = "vxlan0";
  vx.type = "vxlan";
  vx.options = {{"remote_ip", "flow"}, {"key", "flow"}, {"dst_port", "4789"}};
  vx.ofport_request = 100;
  ports.push_back(vx);
  ASSERT_TRUE(client_->addPorts("br-int", ports).ok());

  EXPECT_THAT(lines({"list-ports", "br-int"}),
              UnorderedElementsAre("int0", "int1", "int2", "int3", "vxlan0"));
  EXPECT_EQ(get("Interface", "vxlan0", "type"), "vxlan");
  EXPECT_EQ(get("Interface", "vxlan0", "options"), "{dst_port=\"4789\", key=flow, remote_ip=flow}");
  EXPECT_EQ(get("Interface", "int2", "external_ids:pod"), "pod2");
  EXPECT_EQ(get("Interface", "int0", "mtu_request"), "1400");

  auto ofports = client_->waitForOfports({"int0", "int1", "int2", "int3", "vxlan0"}, in(10s));
  ASSERT_TRUE(ofports.ok()) << ofports.status();
  for (const auto& [name, ofport] : *ofports) {
    EXPECT_EQ(get("Interface", name, "ofport"), std::to_string(ofport)) << name;
  }
  EXPECT_EQ(ofports->at("int3"), 13);
  EXPECT_EQ(ofports->at("vxlan0"), 100);
  ASSERT_TRUE(client_->waitApplied(in(10s)).ok());
  EXPECT_EQ(get("Interface", "int0", "mtu"), "1400");

  // Adding again updates in place: no duplicate rows, new external_ids and options.
  ports[1].external_ids = {{"pod", "moved"}};
  ports[4].options["key"] = "42";
  ASSERT_TRUE(client_->addPorts("br-int", {ports[1], ports[4]}).ok());
  EXPECT_EQ(lines({"--columns=name", "--bare", "find", "Interface", "name=int1"}).size(), 1u);
  EXPECT_EQ(get("Interface", "int1", "external_ids"), "{pod=moved}");
  EXPECT_EQ(get("Interface", "vxlan0", "options:key"), "\"42\"");
  EXPECT_THAT(lines({"list-ports", "br-int"}),
              UnorderedElementsAre("int0", "int1", "int2", "int3", "vxlan0"));
}

TEST_F(BridgeClientTest, ListPortsFiltersByExternalIds) {
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-int")).ok());
  ASSERT_TRUE(client_
                  ->addPorts("br-int", {{.name = "a",
                                         .type = "internal",
                                         .external_ids = {{"owner", "alcor"}, {"pod", "x"}}},
                                        {.name = "b",
                                         .type = "internal",
                                         .external_ids = {{"owner", "alcor"}, {"pod", "y"}}},
                                        {.name = "c", .type = "internal"}})
                  .ok());
  ASSERT_TRUE(client_->waitForOfports({"a", "b", "c"}, in(10s)).ok());
  auto all = client_->listPorts("br-int");
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->size(), 4u);  // a, b, c and the bridge's local port
  auto mine = client_->listPorts("br-int", {{"owner", "alcor"}});
  ASSERT_TRUE(mine.ok());
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].name, "a");
  EXPECT_EQ((*mine)[1].name, "b");
  auto y = client_->listPorts("br-int", {{"owner", "alcor"}, {"pod", "y"}});
  ASSERT_EQ(y->size(), 1u);
  const PortInfo& b = (*y)[0];
  EXPECT_EQ(b.type, "internal");
  EXPECT_EQ(b.ofport, std::stoll(get("Interface", "b", "ofport")));
  EXPECT_EQ(b.interface_uuid, get("Interface", "b", "_uuid"));
  EXPECT_EQ(b.port_uuid, get("Port", "b", "_uuid"));
  EXPECT_EQ("\"" + b.mac_in_use + "\"", get("Interface", "b", "mac_in_use"));
  EXPECT_EQ(client_->listPorts("br-nope").status().code(), StatusCode::kNotFound);
}

TEST_F(BridgeClientTest, DeletePortsIsIdempotent) {
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-int")).ok());
  ASSERT_TRUE(client_
                  ->addPorts("br-int",
                             {{.name = "a", .type = "internal"}, {.name = "b", .type = "internal"}})
                  .ok());
  ASSERT_TRUE(client_->deletePorts("br-int", {"a", "ghost"}).ok());
  EXPECT_THAT(lines({"list-ports", "br-int"}), UnorderedElementsAre("b"));
  EXPECT_FALSE(ovs_->vsctl({"get", "Interface", "a", "name"}).ok());  // garbage-collected
  ASSERT_TRUE(client_->deletePorts("br-int", {"a", "b"}).ok());
  ASSERT_TRUE(client_->deletePorts("br-int", {"a", "b"}).ok());
  ASSERT_TRUE(client_->deletePorts("br-nope", {"a"}).ok());
  EXPECT_EQ(lines({"list-ports", "br-int"}), std::vector<std::string>{});
  ASSERT_TRUE(client_->waitApplied(in(10s)).ok());
}

TEST_F(BridgeClientTest, PortNameOnAnotherBridgeIsRejected) {
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-a")).ok());
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-b")).ok());
  ASSERT_TRUE(client_->addPorts("br-a", {{.name = "p", .type = "internal"}}).ok());
  Status s = client_->addPorts("br-b", {{.name = "p", .type = "internal"}});
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s;
  ASSERT_TRUE(client_->deletePorts("br-b", {"p"}).ok());  // not on br-b: left alone
  EXPECT_THAT(lines({"list-ports", "br-a"}), UnorderedElementsAre("p"));
  EXPECT_EQ(client_->addPorts("br-c", {{.name = "q"}}).code(), StatusCode::kNotFound);
}

TEST_F(BridgeClientTest, WaitForOfportsReportsInterfaceErrors) {
  ovs_->allowLogPattern("nosuch");
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-int")).ok());
  ASSERT_TRUE(client_->addPorts("br-int", {{.name = "nosuch"}}).ok());  // no such netdev
  auto r = client_->waitForOfports({"nosuch"}, in(10s));
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("nosuch"));
  auto missing = client_->waitForOfports({"never"}, in(200ms));
  EXPECT_EQ(missing.status().code(), StatusCode::kDeadlineExceeded);
}

TEST_F(BridgeClientTest, WaitAppliedAndFlowRestoreWait) {
  ASSERT_TRUE(client_->setFlowRestoreWait(true).ok());
  EXPECT_EQ(get("Open_vSwitch", ".", "other_config:flow-restore-wait"), "\"true\"");
  ASSERT_TRUE(client_->setFlowRestoreWait(false).ok());
  EXPECT_FALSE(ovs_->vsctl({"get", "Open_vSwitch", ".", "other_config:flow-restore-wait"}).ok());
  ASSERT_TRUE(client_->waitApplied(in(10s)).ok());
  int64_t next = std::stoll(get("Open_vSwitch", ".", "next_cfg"));
  EXPECT_GE(std::stoll(get("Open_vSwitch", ".", "cur_cfg")), next);
  // Without vswitchd nothing applies the change: the wait times out.
  ASSERT_TRUE(ovs_->killVswitchd().ok());
  EXPECT_EQ(client_->waitApplied(in(300ms)).code(), StatusCode::kDeadlineExceeded);
  ASSERT_TRUE(ovs_->restartVswitchd().ok());
  EXPECT_TRUE(client_->waitApplied(in(10s)).ok());
}

TEST_F(BridgeClientTest, DeleteBridgeIsIdempotent) {
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-x")).ok());
  ASSERT_TRUE(client_->deleteBridge("br-x").ok());
  ASSERT_TRUE(client_->deleteBridge("br-x").ok());
  EXPECT_EQ(lines({"list-br"}), std::vector<std::string>{});
}

TEST_F(BridgeClientTest, FailingTransactionReturnsErrorAndChangesNothing) {
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-int")).ok());
  // A new bridge plus a second "br-int": the Bridge name index rejects the whole transaction.
  Json ops = Json::array(
      {op::insert("Bridge", {{"name", "br-new"}}, "a"),
       op::insert("Bridge", {{"name", "br-int"}}, "b"),
       op::mutate("Open_vSwitch", Json::array(),
                  Json::array({mutation::insert(
                      "bridges", value::set({value::namedUuid("a"), value::namedUuid("b")}))}))});
  auto r = client_->ovsdb().transact("Open_vSwitch", ops);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(r.status().message(), HasSubstr("constraint violation"));
  EXPECT_EQ(lines({"list-br"}), std::vector<std::string>{"br-int"});
  // An op error (unknown column) is reported with the op that failed.
  auto bad = client_->ovsdb().transact(
      "Open_vSwitch", Json::array({op::select("Bridge", Json::array(), {"no_such_column"})}));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("op 0 (select Bridge)"));
}

TEST_F(BridgeClientTest, MonitorSeesPortAddedByOvsVsctl) {
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-int")).ok());
  auto raw = OvsdbClientImpl::connect(ovs_->dbTarget());
  ASSERT_TRUE(raw.ok());
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> inserted;
  ASSERT_TRUE((*raw)
                  ->monitor("Open_vSwitch", "ports",
                            Json::parse(R"({"Port":{"columns":["name"]}})"),
                            [&](const MonitorEvent& e) {
                              if (e.initial) return;
                              std::lock_guard<std::mutex> l(mu);
                              for (const auto& [uuid, change] : e.updates["Port"].items()) {
                                if (!change.contains("old") && change.contains("new")) {
                                  inserted.push_back(change["new"]["name"]);
                                }
                              }
                              cv.notify_all();
                            })
                  .ok());
  auto r = ovs_->vsctl(
      {"add-port", "br-int", "viavsctl", "--", "set", "Interface", "viavsctl", "type=internal"});
  ASSERT_TRUE(r.ok()) << r.describe();
  std::unique_lock<std::mutex> l(mu);
  EXPECT_TRUE(cv.wait_for(l, 5s, [&] { return !inserted.empty(); }));
  EXPECT_THAT(inserted, UnorderedElementsAre("viavsctl"));
}

TEST_F(BridgeClientTest, ReconnectsAfterOvsdbServerRestart) {
  // vswitchd and our client both lose the database for a moment.
  ovs_->allowLogPattern("db\\.sock");
  ovs_->allowLogPattern("reconnect|connection dropped|Connection refused|Broken pipe");
  ASSERT_TRUE(client_->ensureBridge(netdevBridge("br-int")).ok());
  const std::string& d = ovs_->runDir();
  auto exit = alcor::testing::run({"ovs-appctl", "-t", d + "/ovsdb-server.ctl", "exit"});
  ASSERT_TRUE(exit.ok()) << exit.describe();
  auto* impl = dynamic_cast<OvsdbClientImpl*>(&client_->ovsdb());
  ASSERT_TRUE(alcor::testing::waitFor([&] { return !impl->connected(); }, 5s));

  alcor::testing::RunOptions o;
  o.netns = ovs_->netns();
  auto db = alcor::testing::Daemon::start(
      {"ovsdb-server", d + "/conf.db", "--remote=punix:" + d + "/db.sock",
       "--unixctl=" + d + "/ovsdb-server2.ctl", "--log-file=" + d + "/ovsdb-server2.log",
       "-vconsole:off"},
      d + "/ovsdb-server2.out", o);
  ASSERT_TRUE(db.ok()) << db.status();
  EXPECT_TRUE(alcor::testing::waitFor([&] { return impl->connected(); }, 10s));
  EXPECT_EQ(impl->connectCount(), 2);

  // Transactions work again and the re-established monitor sees new ofports.
  ASSERT_TRUE(client_->addPorts("br-int", {{.name = "after", .type = "internal"}}).ok());
  auto ofports = client_->waitForOfports({"after"}, in(15s));
  EXPECT_TRUE(ofports.ok()) << ofports.status();
  EXPECT_TRUE(client_->waitApplied(in(15s)).ok());

  // Stop our ovsdb-server before the fixture stops vswitchd (which must reach a database).
  client_.reset();
  ASSERT_TRUE(ovs_->stop().ok());
  alcor::testing::run({"ovs-appctl", "-t", d + "/ovsdb-server2.ctl", "exit"});
  db->wait(5s);
  db->stop();
}

}  // namespace
}  // namespace alcor::ovsdb
