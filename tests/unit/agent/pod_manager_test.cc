#include "node-agent/cniserver/pod_manager.h"

#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fakes/fake_controller_client.h"
#include "tests/fakes/fake_dataplane.h"
#include "tests/fakes/fake_host_access.h"
#include "tests/fakes/fake_interface_plumber.h"

namespace alcor::agent {
namespace {

using cni::Command;
using cni::ErrorCode;
using nlohmann::json;
using ::testing::HasSubstr;

class PodManagerTest : public ::testing::Test {
 protected:
  static PodManagerOptions testOptions() {
    PodManagerOptions o;
    o.node_name = "node-1";
    o.default_project = "proj";
    o.ready_timeout = std::chrono::milliseconds(50);
    o.port_ready_timeout = std::chrono::milliseconds(300);
    return o;
  }

  PodManagerTest() {
    readiness_.set(true);
    // The controller's DPM pushes the port's GoalState right after the port is created.
    controller_.onCreate([this](const PortRecord& p) {
      if (!deliver_goal_state_) return;
      (void)dataplane_.update([&](NetworkState& s, ChangeSet& c) {
        Subnet sub;
        sub.id = p.fixed_ips[0].subnet_id;
        sub.vpc_id = p.network_id;
        sub.cidr = *Ipv4Prefix::parse("10.0.1.0/24");
        sub.vni = 21;
        sub.gateway_ip = *Ipv4Address::parse("10.0.1.1");
        sub.gateway_mac = *MacAddress::parse("aa:bb:cc:dd:ee:01");
        sub.dns_servers = {*Ipv4Address::parse("10.0.0.53")};
        sub.host_routes = {
            {*Ipv4Prefix::parse("192.168.0.0/16"), *Ipv4Address::parse("10.0.1.254")}};
        s.subnets[sub.id] = sub;
        Port port;
        port.id = p.id;
        port.vpc_id = p.network_id;
        port.mac = *MacAddress::parse(p.mac_address);
        port.fixed_ips = {{sub.id, *Ipv4Address::parse(p.fixed_ips[0].ip_address)}};
        s.ports[p.id] = port;
        c.ports.insert(p.id);
      });
    });
  }

  CniResponse call(Command cmd, const std::string& cid, json config = json::object(),
                   const std::string& args =
                       "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web;"
                       "K8S_POD_UID=uid-1") {
    if (!config.contains("cniVersion")) config["cniVersion"] = "1.0.0";
    if (!config.contains("vpc") && !config.contains("novpc")) config["vpc"] = "vpc-1";
    config.erase("novpc");
    CniRequest r{cmd,
                 {std::string(cni::commandName(cmd)), cid, "/proc/self/ns/net", "eth0", args, ""},
                 config.dump()};
    return manager_.handle(r);
  }

  FakeControllerClient controller_;
  FakeInterfacePlumber plumber_;
  FakeDataplane dataplane_;
  Readiness readiness_;
  PendingReleases pending_{""};
  PodManager manager_{testOptions(), controller_, plumber_, dataplane_, readiness_, pending_};
  bool deliver_goal_state_ = true;
};

TEST_F(PodManagerTest, AddReturnsResultFromTheGoalState) {
  auto r = call(Command::kAdd, "c1");
  ASSERT_TRUE(r.ok()) << r.error.message << " " << r.error.details;
  json j = json::parse(r.result);
  EXPECT_EQ(j["cniVersion"], "1.0.0");
  EXPECT_EQ(j["ips"][0]["address"], "10.0.1.11/24");
  EXPECT_EQ(j["ips"][0]["gateway"], "10.0.1.1");
  EXPECT_EQ(j["ips"][0]["interface"], 1);
  EXPECT_EQ(j["interfaces"][1]["name"], "eth0");
  EXPECT_EQ(j["interfaces"][1]["sandbox"], "/proc/self/ns/net");
  EXPECT_EQ(j["routes"][0]["dst"], "0.0.0.0/0");
  EXPECT_EQ(j["routes"][1]["dst"], "192.168.0.0/16");
  EXPECT_EQ(j["dns"]["nameservers"][0], "10.0.0.53");

  auto requests = controller_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].host_id, "node-1");
  EXPECT_EQ(requests[0].device_id, "uid-1");
  EXPECT_EQ(requests[0].device_owner, "compute:kubernetes");
  EXPECT_EQ(requests[0].name, "default/web");
  EXPECT_EQ(requests[0].project, "proj");
  EXPECT_EQ(plumber_.portCount(), 1u);
  auto addressing = plumber_.addressing().begin()->second;
  EXPECT_EQ(addressing.gateway.toString(), "10.0.1.1");
  EXPECT_TRUE(dataplane_.state().portIsPlugged("port-1"));
}

TEST_F(PodManagerTest, AddHonoursRuntimeIpAndMac) {
  auto r = call(Command::kAdd, "c1",
                {{"runtimeConfig", {{"ips", {"10.0.1.77/24"}}, {"mac", "02:11:22:33:44:55"}}}});
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(controller_.requests()[0].ip_address, "10.0.1.77");
  EXPECT_EQ(controller_.requests()[0].mac_address, "02:11:22:33:44:55");
  EXPECT_EQ(json::parse(r.result)["interfaces"][1]["mac"], "02:11:22:33:44:55");
}

TEST_F(PodManagerTest, AddTwiceForTheSameContainerFails) {
  ASSERT_TRUE(call(Command::kAdd, "c1").ok());
  auto again = call(Command::kAdd, "c1");
  EXPECT_EQ(again.error.code, ErrorCode::kConfigInterfaceFailure);
  EXPECT_THAT(again.error.message, HasSubstr("already has interface"));
  EXPECT_EQ(controller_.ports().size(), 1u);
}

TEST_F(PodManagerTest, AddWithoutVpcIsAConfigError) {
  auto r = call(Command::kAdd, "c1", {{"novpc", true}});
  EXPECT_EQ(r.error.code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_THAT(r.error.message, HasSubstr("no VPC"));
  EXPECT_TRUE(controller_.requests().empty());
}

TEST_F(PodManagerTest, ControllerDownIsTryAgainLaterAndCreatesNothing) {
  controller_.setDown(true);
  auto r = call(Command::kAdd, "c1");
  EXPECT_EQ(r.error.code, ErrorCode::kTryAgainLater);
  EXPECT_EQ(r.error.message, "the controller is unreachable");  // not "refused the port"
  EXPECT_EQ(plumber_.portCount(), 0u);
  controller_.setDown(false);
  controller_.failCreates(invalidArgumentError("HTTP 400: bad body"));
  EXPECT_EQ(call(Command::kAdd, "c1").error.message, "the controller refused the port");
}

TEST_F(PodManagerTest, ANetnsPathThatIsNoNetworkNamespaceIsNamedAsSuch) {
  // What a runtime's bind mount leaves when it never propagated into the agent's mount
  // namespace: the path exists, but it is a plain file.
  char path[] = "/tmp/alcor-netns-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  CniRequest r{Command::kAdd,
               {"ADD", "c1", path, "eth0", "K8S_POD_NAMESPACE=default;K8S_POD_NAME=web", ""},
               json({{"cniVersion", "1.0.0"}, {"vpc", "vpc-1"}}).dump()};
  auto res = manager_.handle(r);
  unlink(path);
  EXPECT_EQ(res.error.code, ErrorCode::kInvalidEnvironment);
  EXPECT_THAT(res.error.message,
              HasSubstr("is not a network namespace in alcor-agent's mount namespace"));
  EXPECT_THAT(res.error.details, HasSubstr("mountPropagation"));
  EXPECT_TRUE(controller_.requests().empty());
}

TEST_F(PodManagerTest, ControllerErrorsMapToCniCodes) {
  controller_.failCreates(notFoundError("HTTP 404: vpc vpc-1 not found"));
  EXPECT_EQ(call(Command::kAdd, "c1").error.code, ErrorCode::kInvalidNetworkConfig);
  controller_.failCreates(alreadyExistsError("HTTP 409: ip in use"));
  EXPECT_EQ(call(Command::kAdd, "c2").error.code, ErrorCode::kIpamFailure);
}

TEST_F(PodManagerTest, PlugFailureReleasesTheControllerPort) {
  plumber_.failPlug(internalError("netlink: EEXIST"));
  auto r = call(Command::kAdd, "c1");
  EXPECT_EQ(r.error.code, ErrorCode::kConfigInterfaceFailure);
  EXPECT_TRUE(controller_.ports().empty());
  EXPECT_EQ(controller_.deleted(), std::vector<std::string>{"port-1"});
}

TEST_F(PodManagerTest, MissingGoalStateRollsEverythingBack) {
  deliver_goal_state_ = false;
  auto r = call(Command::kAdd, "c1");
  EXPECT_EQ(r.error.code, ErrorCode::kTryAgainLater);
  EXPECT_THAT(r.error.message, HasSubstr("GoalState"));
  EXPECT_EQ(plumber_.portCount(), 0u);
  EXPECT_TRUE(controller_.ports().empty());
  EXPECT_TRUE(dataplane_.state().interfaces.empty());
}

TEST_F(PodManagerTest, ConfigureFailureRollsBack) {
  plumber_.failConfigure(internalError("RTM_NEWADDR: EPERM"));
  auto r = call(Command::kAdd, "c1");
  EXPECT_EQ(r.error.code, ErrorCode::kConfigInterfaceFailure);
  EXPECT_EQ(plumber_.portCount(), 0u);
  EXPECT_TRUE(controller_.ports().empty());
}

TEST_F(PodManagerTest, NotReadyAgentSaysTryAgainLater) {
  readiness_.set(false, "OVS not connected");
  auto r = call(Command::kAdd, "c1");
  EXPECT_EQ(r.error.code, ErrorCode::kTryAgainLater);
  EXPECT_THAT(r.error.message, HasSubstr("OVS not connected"));
}

TEST_F(PodManagerTest, MalformedInputCreatesNothing) {
  CniRequest bad{Command::kAdd, {"ADD", "c1", "/proc/self/ns/net", "eth0", "", ""}, "{oops"};
  EXPECT_EQ(manager_.handle(bad).error.code, ErrorCode::kDecodingFailure);
  CniRequest no_netns{
      Command::kAdd, {"ADD", "c1", "", "eth0", "", ""}, R"({"cniVersion":"1.0.0","vpc":"v"})"};
  EXPECT_EQ(manager_.handle(no_netns).error.code, ErrorCode::kInvalidEnvironment);
  EXPECT_TRUE(controller_.requests().empty());
}

TEST_F(PodManagerTest, DelRemovesEverythingAndIsIdempotent) {
  ASSERT_TRUE(call(Command::kAdd, "c1").ok());
  ASSERT_TRUE(call(Command::kDel, "c1").ok());
  EXPECT_EQ(plumber_.portCount(), 0u);
  EXPECT_TRUE(controller_.ports().empty());
  EXPECT_TRUE(dataplane_.state().interfaces.empty());
  EXPECT_TRUE(call(Command::kDel, "c1").ok());
  EXPECT_TRUE(call(Command::kDel, "never-added").ok());
}

TEST_F(PodManagerTest, DelWithControllerDownRecordsThePortForLater) {
  ASSERT_TRUE(call(Command::kAdd, "c1").ok());
  controller_.setDown(true);
  ASSERT_TRUE(call(Command::kDel, "c1").ok());
  EXPECT_EQ(plumber_.portCount(), 0u);
  EXPECT_EQ(pending_.size(), 1u);
  controller_.setDown(false);
  manager_.releasePending();
  EXPECT_EQ(pending_.size(), 0u);
  EXPECT_TRUE(controller_.ports().empty());
}

TEST_F(PodManagerTest, DelOfUnpluggedPodReleasesAPortLeftByAnInterruptedAdd) {
  PortRequest leftover;
  leftover.project = "proj";
  leftover.device_id = "uid-1";
  leftover.host_id = "node-1";
  deliver_goal_state_ = false;
  ASSERT_TRUE(controller_.createPort(leftover).ok());
  EXPECT_TRUE(call(Command::kDel, "c1").ok());
  EXPECT_TRUE(controller_.ports().empty());
}

TEST_F(PodManagerTest, CheckComparesPrevResultWithTheLiveInterface) {
  auto add = call(Command::kAdd, "c1");
  ASSERT_TRUE(add.ok());
  json prev = json::parse(add.result);
  EXPECT_TRUE(call(Command::kCheck, "c1", {{"prevResult", prev}}).ok());
  prev["ips"][0]["address"] = "10.0.1.99/24";
  auto bad = call(Command::kCheck, "c1", {{"prevResult", prev}});
  EXPECT_EQ(bad.error.code, ErrorCode::kCheckInterfaceFailure);
  EXPECT_EQ(call(Command::kCheck, "c9", {{"prevResult", prev}}).error.code,
            ErrorCode::kCheckInterfaceFailure);
}

TEST_F(PodManagerTest, GcRemovesAttachmentsThatAreNotValid) {
  ASSERT_TRUE(call(Command::kAdd, "keep").ok());
  ASSERT_TRUE(call(Command::kAdd, "drop", json::object(),
                   "K8S_POD_NAMESPACE=default;K8S_POD_NAME=db;K8S_POD_UID=uid-2")
                  .ok());
  auto r = call(Command::kGc, "",
                {{"cniVersion", "1.1.0"},
                 {"cni.dev/valid-attachments", {{{"containerID", "keep"}, {"ifname", "eth0"}}}}});
  ASSERT_TRUE(r.ok()) << r.error.message;
  EXPECT_EQ(plumber_.portCount(), 1u);
  EXPECT_EQ(controller_.ports().size(), 1u);
  EXPECT_EQ(dataplane_.state().interfaces.size(), 1u);
}

TEST_F(PodManagerTest, StatusReflectsReadinessAndController) {
  json v11 = {{"cniVersion", "1.1.0"}};
  EXPECT_TRUE(call(Command::kStatus, "", v11).ok());
  controller_.setDown(true);
  EXPECT_EQ(call(Command::kStatus, "", v11).error.code, ErrorCode::kPluginNotAvailable);
  controller_.setDown(false);
  readiness_.set(false, "starting");
  EXPECT_EQ(call(Command::kStatus, "", v11).error.code, ErrorCode::kPluginNotAvailable);
}

TEST_F(PodManagerTest, ReconcileKeepsLiveAttachmentsAndRemovesBrokenOnes) {
  plumber_.addExisting({"tapgood",
                        5,
                        {{ext_ids::kPortId, "p-good"},
                         {ext_ids::kContainerId, "c1"},
                         {ext_ids::kIfname, "eth0"},
                         {ext_ids::kNetns, "/proc/self/ns/net"}}});
  plumber_.addExisting(
      {"tapgone",
       6,
       {{ext_ids::kPortId, "p-gone"}, {ext_ids::kNetns, "/var/run/netns/does-not-exist"}}});
  plumber_.addExisting(
      {"tapnoof", 0, {{ext_ids::kPortId, "p-noof"}, {ext_ids::kNetns, "/proc/self/ns/net"}}});
  ASSERT_TRUE(manager_.reconcile().ok());
  auto s = dataplane_.state();
  EXPECT_EQ(s.interfaces.size(), 1u);
  EXPECT_EQ(s.interfaces["p-good"].ofport, 5u);
  EXPECT_EQ(plumber_.portCount(), 1u);
}

TEST_F(PodManagerTest, ReconcileRemovesVethsOfAddsCutShort) {
  plumber_.addExisting(
      {"tapgood", 5, {{ext_ids::kPortId, "p-good"}, {ext_ids::kNetns, "/proc/self/ns/net"}}});
  plumber_.stray_veths = {"tapgood", "tapcutshort"};
  ASSERT_TRUE(manager_.reconcile().ok());
  EXPECT_TRUE(plumber_.stray_veths.empty());  // asked once, with the OVS ports to keep
  EXPECT_EQ(plumber_.portCount(), 1u);
}

TEST_F(PodManagerTest, OrphanedControllerPortsOfThisNodeAreReleased) {
  // An ADD that died after the controller created its port leaves a port nobody attached.
  ASSERT_TRUE(call(Command::kAdd, "c1").ok());
  PortRequest orphan;
  orphan.project = "proj";
  orphan.network_id = "vpc-1";
  orphan.host_id = "node-1";
  orphan.device_id = "uid-dead";
  deliver_goal_state_ = false;
  ASSERT_TRUE(controller_.createPort(orphan).ok());
  PortRequest elsewhere = orphan;
  elsewhere.host_id = "node-2";
  elsewhere.device_id = "uid-other";
  ASSERT_TRUE(controller_.createPort(elsewhere).ok());
  ASSERT_EQ(controller_.ports().size(), 3u);
  manager_.releaseOrphans();
  auto left = controller_.ports();
  EXPECT_EQ(left.size(), 2u);  // the live pod's port and the other node's
  for (const auto& [id, p] : left) EXPECT_NE(p.device_id, "uid-dead");
}

// Host access is in place before ADD returns; a refused VPC still gets its pod; a transient
// failure undoes the ADD so that the runtime retries.
TEST_F(PodManagerTest, AddSetsUpHostAccessForThePodsVpcBeforeItReturns) {
  FakeHostAccess access;
  PodManager manager{testOptions(), controller_, plumber_, dataplane_,
                     readiness_,    pending_,    nullptr,  &access};
  auto add = [&](const std::string& cid) {
    CniRequest r{Command::kAdd,
                 {"ADD", cid, "/proc/self/ns/net", "eth0",
                  "K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + cid, ""},
                 json({{"cniVersion", "1.0.0"}, {"vpc", "vpc-1"}}).dump()};
    return manager.handle(r);
  };
  ASSERT_TRUE(add("c1").ok());
  ASSERT_EQ(access.calls().size(), 1u);
  EXPECT_EQ(access.calls()[0].vpc_id, "vpc-1");
  EXPECT_EQ(access.calls()[0].project, "proj");
  EXPECT_EQ(access.calls()[0].subnet_id, "subnet-1");

  access.answer("vpc-1", failedPreconditionError("VPC vpc-1 is refused host access"));
  EXPECT_TRUE(add("c2").ok());  // pod networking still works

  access.answer("vpc-1", unavailableError("controller unreachable"));
  auto r = add("c3");
  EXPECT_EQ(r.error.code, ErrorCode::kTryAgainLater);
  EXPECT_THAT(r.error.message, HasSubstr("host access to VPC vpc-1"));
  EXPECT_EQ(plumber_.portCount(), 2u);  // c3 was undone
}

TEST_F(PodManagerTest, DifferentPodsAddInParallel) {
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 10; ++i) {
    threads.emplace_back([&, i] {
      auto r = call(Command::kAdd, "c" + std::to_string(i), json::object(),
                    "K8S_POD_NAMESPACE=default;K8S_POD_NAME=p" + std::to_string(i) +
                        ";K8S_POD_UID=u" + std::to_string(i));
      if (r.ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 10);
  EXPECT_EQ(plumber_.portCount(), 10u);
}

}  // namespace
}  // namespace alcor::agent
