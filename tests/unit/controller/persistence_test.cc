// Restart with the same database file: every resource and allocation survives, ACTIVE ports are
// not pushed again, and a newer schema version is refused.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include "controller/store/sqlite_store.h"
#include "tests/unit/controller/controller_fixture.h"
#include "tests/unit/controller/fake_agent.h"

namespace alcor::controller::testing {
namespace {

using namespace std::chrono_literals;

class PersistenceTest : public ControllerFixture {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/alcor-controller-db-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    db_ = dir_ + "/controller.db";
  }
  void TearDown() override {
    stopController();
    std::filesystem::remove_all(dir_);
  }
  std::string dir_, db_;
};

TEST_F(PersistenceTest, RestartKeepsResourcesAllocationsAndStatus) {
  FakeAgent agent;
  ASSERT_TRUE(agent.start("127.0.0.31"));
  startController(testConfig(db_));
  createVpc("v1");
  createSubnet("s1", "v1", "10.0.1.0/24");
  registerNode("node-a", "127.0.0.31", agent.port());
  json p1 = createPort("p1", "v1", "s1", "node-a");
  json p2 = createPort("p2", "v1", "s1", "node-unknown");
  ASSERT_EQ(call("POST", "/project/p/security-groups", {{"security_group", {{"id", "sg"}}}}).status,
            201);
  ASSERT_EQ(call("POST", "/project/p/routers", {{"router", {{"id", "r1"}}}}).status, 201);
  ASSERT_EQ(call("PUT", "/project/p/routers/r1/add_router_interface", {{"subnet_id", "s1"}}).status,
            200);
  ASSERT_TRUE(app_->scheduler().waitIdle(5000ms));
  ASSERT_EQ(call("GET", "/project/p/ports/p1").body["port"]["status"], "ACTIVE");
  int vni = call("GET", "/project/p/vpcs/v1").body["network"]["tunnel_id"];
  std::string dvr = call("GET", "/nodes/node-a").body["host_info"]["host_dvr_mac"];
  stopController();

  agent.clear();
  startController(testConfig(db_));
  ASSERT_TRUE(app_->scheduler().waitIdle(5000ms));
  EXPECT_EQ(agent.messageCount(), 0u) << "an ACTIVE port was pushed again";
  auto r = call("GET", "/project/p/ports/p1");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body["port"]["status"], "ACTIVE");
  EXPECT_EQ(r.body["port"]["fixed_ips"], p1["fixed_ips"]);
  EXPECT_EQ(r.body["port"]["mac_address"], p1["mac_address"]);
  EXPECT_EQ(call("GET", "/project/p/ports/p2").body["port"]["status"], "DOWN");
  EXPECT_EQ(call("GET", "/project/p/vpcs/v1").body["network"]["tunnel_id"], vni);
  EXPECT_EQ(call("GET", "/nodes/node-a").body["host_info"]["host_dvr_mac"], dvr);
  EXPECT_EQ(call("GET", "/project/p/security-groups/sg").status, 200);
  EXPECT_EQ(call("GET", "/project/p/routers/r1").body["router"]["interfaces"].size(), 1u);
  // Allocations are rebuilt: the stored addresses and MACs are taken.
  EXPECT_EQ(call("POST", "/project/p/ports",
                 {{"port", {{"network_id", "v1"}, {"fixed_ips", p1["fixed_ips"]}}}})
                .status,
            409);
  EXPECT_EQ(call("POST", "/project/p/ports",
                 {{"port", {{"network_id", "v1"}, {"mac_address", p2["mac_address"]}}}})
                .status,
            409);
  EXPECT_EQ(call("POST", "/project/p/vpcs", {{"network", {{"tunnel_id", vni}}}}).status, 409);
  EXPECT_EQ(call("DELETE", "/project/p/vpcs/v1").status, 409);
  // The DPM cache is rebuilt: a new port on another host announces itself to node-a.
  FakeAgent b;
  ASSERT_TRUE(b.start("127.0.0.32"));
  registerNode("node-b", "127.0.0.32", b.port());
  createPort("p3", "v1", "s1", "node-b");
  ASSERT_TRUE(app_->scheduler().waitIdle(5000ms));
  EXPECT_TRUE(agent.merged().neighbor_states().contains("L2/p3"));
  EXPECT_TRUE(b.merged().neighbor_states().contains("L2/p1"));
}

TEST_F(PersistenceTest, UnconfirmedPortsArePushedAfterRestart) {
  FakeAgent agent;
  ASSERT_TRUE(agent.start("127.0.0.33"));
  agent.setPortStatus(schema::PENDING);
  startController(testConfig(db_));
  createVpc("v1");
  createSubnet("s1", "v1", "10.0.1.0/24");
  registerNode("node-a", "127.0.0.33", agent.port());
  createPort("p1", "v1", "s1", "node-a");
  ASSERT_TRUE(app_->scheduler().waitIdle(5000ms));
  stopController();
  agent.clear();
  agent.setPortStatus(schema::SUCCESS);
  startController(testConfig(db_));
  ASSERT_TRUE(app_->scheduler().waitIdle(5000ms));
  EXPECT_TRUE(agent.merged().port_states().contains("p1"));
  EXPECT_EQ(call("GET", "/project/p/ports/p1").body["port"]["status"], "ACTIVE");
}

TEST_F(PersistenceTest, SchemaVersionIsRecordedAndNewerOnesRefused) {
  {
    auto store = SqliteStore::open(db_);
    ASSERT_TRUE(store.ok()) << store.status();
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_.c_str(), &db), SQLITE_OK);
  char* mode = nullptr;
  sqlite3_stmt* stmt = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
  sqlite3_finalize(stmt);
  (void)mode;
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version (version) VALUES (99)", nullptr, nullptr,
                         nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteStore::open(db_);
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition) << store.status();
}

}  // namespace
}  // namespace alcor::controller::testing
