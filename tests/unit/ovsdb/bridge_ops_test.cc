#include "lib/ovsdb/bridge_ops.h"

#include <gtest/gtest.h>

namespace alcor::ovsdb::bridge_ops {
namespace {

using nlohmann::json;

TEST(BridgeOpsTest, CreateBridgeInsertsBridgeLocalPortAndLinksRoot) {
  BridgeSpec spec;
  spec.name = "br-int";
  spec.datapath_type = "netdev";
  spec.other_config = {{"hwaddr", "02:00:00:00:00:01"}};
  json expected = json::parse(R"([
    {"op":"insert","table":"Interface","row":{"name":"br-int","type":"internal"},
     "uuid-name":"local_if"},
    {"op":"insert","table":"Port","row":{"name":"br-int","interfaces":["named-uuid","local_if"]},
     "uuid-name":"local_port"},
    {"op":"insert","table":"Bridge","uuid-name":"bridge","row":{
       "name":"br-int","ports":["set",[["named-uuid","local_port"]]],"datapath_type":"netdev",
       "fail_mode":"secure","protocols":["set",["OpenFlow13","OpenFlow15"]],
       "other_config":["map",[["hwaddr","02:00:00:00:00:01"]]],"external_ids":["map",[]]}},
    {"op":"mutate","table":"Open_vSwitch","where":[],
     "mutations":[["bridges","insert",["set",[["named-uuid","bridge"]]]]]}
  ])");
  EXPECT_EQ(createBridgeOps(spec), expected) << createBridgeOps(spec).dump(2);
}

TEST(BridgeOpsTest, UpdateBridgeSetsColumnsAndMergesMapKeys) {
  BridgeSpec spec;
  spec.name = "br-int";
  spec.fail_mode = "";
  spec.protocols = {"OpenFlow15"};
  spec.external_ids = {{"owner", "alcor"}};
  json expected = json::parse(R"([
    {"op":"update","table":"Bridge","where":[["_uuid","==",["uuid","B"]]],
     "row":{"datapath_type":"system","fail_mode":["set",[]],"protocols":["set",["OpenFlow15"]]}},
    {"op":"mutate","table":"Bridge","where":[["_uuid","==",["uuid","B"]]],
     "mutations":[["external_ids","delete",["set",["owner"]]],
                  ["external_ids","insert",["map",[["owner","alcor"]]]]]}
  ])");
  EXPECT_EQ(updateBridgeOps("B", spec), expected) << updateBridgeOps("B", spec).dump(2);
}

TEST(BridgeOpsTest, AddPortsInsertsNewAndUpdatesExistingInOneTransaction) {
  PortSpec tap{"tap0", "", {}, {{"iface-id", "p0"}}, 7, std::nullopt};
  PortSpec vx{"vxlan0", "vxlan", {{"remote_ip", "flow"}, {"key", "flow"}}, {}, std::nullopt, 1450};
  json ops = addPortsOps("br-int", "B", {tap, vx}, {{"tap0", {"P0", "I0"}}});
  json expected = json::parse(R"([
    {"op":"wait","table":"Bridge","where":[["_uuid","==",["uuid","B"]]],"columns":["name"],
     "until":"==","rows":[{"name":"br-int"}],"timeout":0},
    {"op":"update","table":"Interface","where":[["_uuid","==",["uuid","I0"]]],
     "row":{"type":"","options":["map",[]],"external_ids":["map",[["iface-id","p0"]]],
            "ofport_request":7,"mtu_request":["set",[]]}},
    {"op":"insert","table":"Interface","uuid-name":"if1",
     "row":{"name":"vxlan0","type":"vxlan","options":["map",[["key","flow"],["remote_ip","flow"]]],
            "external_ids":["map",[]],"ofport_request":["set",[]],"mtu_request":1450}},
    {"op":"insert","table":"Port","uuid-name":"port1",
     "row":{"name":"vxlan0","interfaces":["named-uuid","if1"]}},
    {"op":"mutate","table":"Bridge","where":[["_uuid","==",["uuid","B"]]],
     "mutations":[["ports","insert",["set",[["named-uuid","port1"]]]]]}
  ])");
  EXPECT_EQ(ops, expected) << ops.dump(2);
}

TEST(BridgeOpsTest, DeletePortsUnlinksFromBridge) {
  EXPECT_EQ(deletePortsOps("B", {"P1", "P2"}), json::parse(R"([
    {"op":"mutate","table":"Bridge","where":[["_uuid","==",["uuid","B"]]],
     "mutations":[["ports","delete",["set",[["uuid","P1"],["uuid","P2"]]]]]}])"));
}

TEST(BridgeOpsTest, NextCfgAndFlowRestoreWait) {
  EXPECT_EQ(bumpNextCfgOps(), json::parse(R"([
    {"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[["next_cfg","+=",1]]},
    {"op":"select","table":"Open_vSwitch","where":[],"columns":["next_cfg"]}])"));
  EXPECT_EQ(flowRestoreWaitOps(true), json::parse(R"([
    {"op":"mutate","table":"Open_vSwitch","where":[],"mutations":[
      ["other_config","delete",["set",["flow-restore-wait"]]],
      ["other_config","insert",["map",[["flow-restore-wait","true"]]]]]}])"));
  EXPECT_EQ(flowRestoreWaitOps(false)[0]["mutations"].size(), 1u);
}

}  // namespace
}  // namespace alcor::ovsdb::bridge_ops
