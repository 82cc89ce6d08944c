// The REST API on a real server (127.0.0.1, ephemeral port): CRUD of every resource, the error
// codes (400 bad input, 404 unknown, 409 conflicts) with nothing changed by a rejected request,
// and the agent's own REST client working against it.

#include <gtest/gtest.h>

#include "node-agent/controller_client/controller_client.h"
#include "tests/unit/controller/controller_fixture.h"

namespace alcor::controller::testing {
namespace {

class RestTest : public ControllerFixture {
 protected:
  void SetUp() override { startController(); }
  size_t count(const std::string& path, const char* key) {
    auto r = call("GET", path);
    EXPECT_EQ(r.status, 200);
    return r.body[key].size();
  }
};

TEST_F(RestTest, HealthzAndMetrics) {
  EXPECT_EQ(call("GET", "/healthz").status, 200);
  call("GET", "/nodes");
  auto r = client_->Get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_NE(r->body.find("alcor_controller_requests_total{method=\"GET\",route=\"nodes\""),
            std::string::npos);
  EXPECT_NE(r->body.find("alcor_controller_push_queue_depth"), std::string::npos);
}

TEST_F(RestTest, VpcCrud) {
  auto r = call("POST", "/project/p/vpcs", {{"network", {{"name", "v"}, {"cidr", "10.0.0.0/16"}}}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  std::string id = r.body["network"]["id"];
  EXPECT_GT(r.body["network"]["tunnel_id"].get<int>(), 0);
  EXPECT_EQ(call("GET", "/project/p/vpcs/" + id).body["network"]["name"], "v");
  EXPECT_EQ(call("GET", "/v4/project/p/vpcs/" + id).status, 200);
  EXPECT_EQ(count("/project/p/vpcs", "networks"), 1u);
  EXPECT_EQ(count("/project/other/vpcs", "networks"), 0u);
  EXPECT_EQ(call("GET", "/project/other/vpcs/" + id).status, 404);
  r = call("PUT", "/project/p/vpcs/" + id, {{"network", {{"name", "renamed"}}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["network"]["name"], "renamed");
  EXPECT_EQ(call("PUT", "/project/p/vpcs/" + id, {{"network", {{"tunnel_id", 5}}}}).status, 400);
  EXPECT_EQ(call("DELETE", "/project/p/vpcs/" + id).status, 204);
  EXPECT_EQ(call("GET", "/project/p/vpcs/" + id).status, 404);
  EXPECT_EQ(call("DELETE", "/project/p/vpcs/" + id).status, 404);
}

TEST_F(RestTest, SubnetCrudAndConflicts) {
  createVpc("v1");
  auto r =
      call("POST", "/project/p/subnets",
           {{"subnet",
             {{"network_id", "v1"}, {"cidr", "10.0.1.0/24"}, {"dns_nameservers", {"10.0.0.53"}}}}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  std::string id = r.body["subnet"]["id"];
  EXPECT_EQ(r.body["subnet"]["gateway_ip"], "10.0.1.1");
  EXPECT_FALSE(
      r.body["subnet"]["gateway_port_detail"]["gateway_macAddress"].get<std::string>().empty());
  // Overlap in the same VPC: 409; outside the VPC: 400; unknown VPC: 404.
  EXPECT_EQ(call("POST", "/project/p/subnets",
                 {{"subnet", {{"network_id", "v1"}, {"cidr", "10.0.1.128/25"}}}})
                .status,
            409);
  EXPECT_EQ(call("POST", "/project/p/subnets",
                 {{"subnet", {{"network_id", "v1"}, {"cidr", "192.168.0.0/24"}}}})
                .status,
            400);
  EXPECT_EQ(call("POST", "/project/p/subnets",
                 {{"subnet", {{"network_id", "nope"}, {"cidr", "10.0.2.0/24"}}}})
                .status,
            404);
  r = call("PUT", "/project/p/subnets/" + id, {{"subnet", {{"enable_dhcp", false}}}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body["subnet"]["enable_dhcp"], false);
  EXPECT_EQ(call("PUT", "/project/p/subnets/" + id, {{"subnet", {{"cidr", "10.0.9.0/24"}}}}).status,
            400);
  // A VPC with subnets cannot go; a subnet with ports cannot go.
  EXPECT_EQ(call("DELETE", "/project/p/vpcs/v1").status, 409);
  createPort("port-1", "v1", id, "");
  EXPECT_EQ(call("DELETE", "/project/p/subnets/" + id).status, 409);
  EXPECT_EQ(call("DELETE", "/project/p/ports/port-1").status, 204);
  EXPECT_EQ(call("DELETE", "/project/p/subnets/" + id).status, 204);
  EXPECT_EQ(call("DELETE", "/project/p/vpcs/v1").status, 204);
}

TEST_F(RestTest, PortCrudAllocationAndFilters) {
  createVpc("v1");
  createSubnet("s1", "v1", "10.0.1.0/24");
  json a = createPort("a", "v1", "s1", "node-1");
  EXPECT_EQ(a["fixed_ips"][0]["ip_address"], "10.0.1.2");
  EXPECT_EQ(a["status"], "DOWN");
  EXPECT_EQ(a["mac_address"].get<std::string>().substr(0, 8), "fa:16:3e");
  // Requested address and MAC; no fixed_ips = the VPC's first subnet.
  auto r = call("POST", "/project/p/ports",
                {{"port",
                  {{"network_id", "v1"},
                   {"device_id", "pod-b"},
                   {"binding:host_id", "node-2"},
                   {"mac_address", "02:aa:00:00:00:01"},
                   {"fixed_ips", {{{"ip_address", "10.0.1.77"}}}}}}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body["port"]["fixed_ips"][0]["subnet_id"], "s1");
  r = call("POST", "/project/p/ports", {{"port", {{"network_id", "v1"}}}});
  ASSERT_EQ(r.status, 201);
  EXPECT_EQ(r.body["port"]["fixed_ips"][0]["subnet_id"], "s1");
  // Conflicts: address in use, MAC in use, duplicate id.
  EXPECT_EQ(call("POST", "/project/p/ports",
                 {{"port", {{"network_id", "v1"}, {"fixed_ips", {{{"ip_address", "10.0.1.77"}}}}}}})
                .status,
            409);
  EXPECT_EQ(call("POST", "/project/p/ports",
                 {{"port", {{"network_id", "v1"}, {"mac_address", "02:aa:00:00:00:01"}}}})
                .status,
            409);
  EXPECT_EQ(
      call("POST", "/project/p/ports", {{"port", {{"id", "a"}, {"network_id", "v1"}}}}).status,
      409);
  // Gateway address and unknown subnet.
  EXPECT_EQ(call("POST", "/project/p/ports",
                 {{"port", {{"network_id", "v1"}, {"fixed_ips", {{{"ip_address", "10.0.1.1"}}}}}}})
                .status,
            400);
  EXPECT_EQ(call("POST", "/project/p/ports",
                 {{"port", {{"network_id", "v1"}, {"fixed_ips", {{{"subnet_id", "zz"}}}}}}})
                .status,
            404);
  EXPECT_EQ(count("/project/p/ports", "ports"), 3u);
  EXPECT_EQ(count("/project/p/ports?binding:host_id=node-1", "ports"), 1u);
  EXPECT_EQ(count("/project/p/ports?device_id=pod-b", "ports"), 1u);
  EXPECT_EQ(count("/project/p/ports?device_id=pod-b&binding:host_id=node-1", "ports"), 0u);
  // Update: name and binding; network cannot change.
  r = call("PUT", "/project/p/ports/a", {{"port", {{"name", "renamed"}}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["port"]["name"], "renamed");
  EXPECT_EQ(r.body["port"]["fixed_ips"][0]["ip_address"], "10.0.1.2");
  EXPECT_EQ(call("PUT", "/project/p/ports/a", {{"port", {{"network_id", "v2"}}}}).status, 400);
  EXPECT_EQ(call("PUT", "/project/p/ports/zz", {{"port", {{"name", "x"}}}}).status, 404);
  // Delete frees the address.
  EXPECT_EQ(call("DELETE", "/project/p/ports/a").status, 204);
  EXPECT_EQ(call("GET", "/project/p/ports/a").status, 404);
  r = call("POST", "/project/p/ports",
           {{"port", {{"network_id", "v1"}, {"fixed_ips", {{{"ip_address", "10.0.1.2"}}}}}}});
  EXPECT_EQ(r.status, 201);
}

TEST_F(RestTest, BulkPortsAreAllOrNothing) {
  createVpc("v1");
  createSubnet("s1", "v1", "10.0.1.0/24");
  json ports = json::array();
  for (int i = 0; i < 20; ++i)
    ports.push_back({{"network_id", "v1"}, {"name", "b" + std::to_string(i)}});
  auto r = call("POST", "/project/p/ports/bulk", {{"ports", ports}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(r.body["ports"].size(), 20u);
  // One bad port (address in use) rejects the batch: nothing created, nothing allocated.
  json bad = json::array({{{"network_id", "v1"}, {"name", "ok"}},
                          {{"network_id", "v1"}, {"fixed_ips", {{{"ip_address", "10.0.1.2"}}}}}});
  EXPECT_EQ(call("POST", "/project/p/ports/bulk", {{"ports", bad}}).status, 409);
  EXPECT_EQ(count("/project/p/ports", "ports"), 20u);
  // The address the rejected batch had taken is free again.
  r = call("POST", "/project/p/ports",
           {{"port", {{"network_id", "v1"}, {"fixed_ips", {{{"ip_address", "10.0.1.22"}}}}}}});
  EXPECT_EQ(r.status, 201) << r.body.dump();
}

TEST_F(RestTest, BadInputIs400AndChangesNothing) {
  createVpc("v1");
  createSubnet("s1", "v1", "10.0.1.0/24");
  struct Case {
    const char* method;
    const char* path;
    std::string body;
  };
  std::vector<Case> cases = {
      {"POST", "/project/p/vpcs", "not json"},
      {"POST", "/project/p/vpcs", R"({"vpc": {}})"},
      {"POST", "/project/p/vpcs", R"({"network": {"cidr": "10.0.0.0/40"}})"},
      {"POST", "/project/p/vpcs", R"({"network": {"name": 12}})"},
      {"POST", "/project/p/subnets", R"({"subnet": {"network_id": "v1", "cidr": "banana"}})"},
      {"POST", "/project/p/subnets",
       R"({"subnet": {"network_id": "v1", "cidr": "10.0.2.0/24", "enable_dhcp": "true"}})"},
      {"POST", "/project/p/ports", R"({"port": {"network_id": "v1", "mac_address": "xx"}})"},
      {"POST", "/project/p/ports", R"({"port": {"network_id": "v1", "fixed_ips": "10.0.1.5"}})"},
      {"POST", "/project/p/ports", R"({"port": {"network_id": ["v1"]}})"},
      {"POST", "/project/p/ports/bulk", R"({"ports": [{"network_id": "v1"}, {"mac_address": 1}]})"},
      {"PUT", "/project/p/ports/missing-is-404-not-400", R"({"port": 5})"},
      {"POST", "/nodes", R"({"host_info": {"node_name": "n", "local_ip": "1.2.3"}})"},
      {"POST", "/project/p/security-groups",
       R"({"security_group": {"security_group_rules": [{"direction": "sideways"}]}})"},
      {"POST", "/project/p/gateways", R"({"gateway": {"gateway_type": "WARP"}})"},
  };
  for (const auto& c : cases) {
    auto r = callRaw(c.method, c.path, c.body);
    EXPECT_EQ(r.status, 400) << c.method << " " << c.path << " " << c.body << " -> "
                             << r.body.dump();
    EXPECT_TRUE(r.body.is_object() && r.body.contains("message")) << r.body.dump();
  }
  EXPECT_EQ(count("/project/p/vpcs", "networks"), 1u);
  EXPECT_EQ(count("/project/p/subnets", "subnets"), 1u);
  EXPECT_EQ(count("/project/p/ports", "ports"), 0u);
  EXPECT_EQ(count("/nodes", "host_infos"), 0u);
  EXPECT_EQ(count("/project/p/security-groups", "security_groups"), 0u);
  EXPECT_EQ(call("GET", "/project/p/no-such-collection").status, 404);
}

TEST_F(RestTest, NodesRegisterUpdateAndConflict) {
  registerNode("node-1", "10.9.0.1", 50001);
  auto r = call("GET", "/nodes/node-1");
  ASSERT_EQ(r.status, 200);
  std::string dvr = r.body["host_info"]["host_dvr_mac"];
  EXPECT_EQ(dvr.substr(0, 8), "fe:16:11");
  EXPECT_EQ(
      call("POST", "/nodes",
           {{"host_info", {{"node_id", "x"}, {"node_name", "other"}, {"local_ip", "10.9.0.1"}}}})
          .status,
      409);
  r = call("PUT", "/nodes/node-1", {{"host_info", {{"local_ip", "10.9.0.2"}}}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["host_info"]["host_dvr_mac"], dvr);
  EXPECT_EQ(call("GET", "/nodes?name=node-1").body["host_infos"].size(), 1u);
  EXPECT_EQ(call("DELETE", "/nodes/node-1").status, 204);
  EXPECT_EQ(call("GET", "/nodes/node-1").status, 404);
}

TEST_F(RestTest, SecurityGroupsRulesRoutersGateways) {
  createVpc("v1");
  createSubnet("s1", "v1", "10.0.1.0/24");
  createSubnet("s2", "v1", "10.0.2.0/24");
  auto r = call("POST", "/project/p/security-groups",
                {{"security_group", {{"id", "sg1"}, {"name", "web"}}}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  r = call("POST", "/project/p/security-group-rules",
           {{"security_group_rule",
             {{"security_group_id", "sg1"},
              {"direction", "ingress"},
              {"protocol", "tcp"},
              {"port_range_min", 80},
              {"port_range_max", 80},
              {"remote_ip_prefix", "0.0.0.0/0"}}}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  std::string rule = r.body["security_group_rule"]["id"];
  EXPECT_EQ(call("GET", "/project/p/security-groups/sg1")
                .body["security_group"]["security_group_rules"]
                .size(),
            1u);
  EXPECT_EQ(call("POST", "/project/p/security-group-rules",
                 {{"security_group_rule", {{"security_group_id", "nope"}}}})
                .status,
            404);
  auto port = call("POST", "/project/p/ports",
                   {{"port", {{"id", "pp"}, {"network_id", "v1"}, {"security_groups", {"sg1"}}}}});
  ASSERT_EQ(port.status, 201);
  EXPECT_EQ(call("POST", "/project/p/ports",
                 {{"port", {{"network_id", "v1"}, {"security_groups", {"zz"}}}}})
                .status,
            404);
  EXPECT_EQ(call("DELETE", "/project/p/security-groups/sg1").status, 409);
  EXPECT_EQ(call("DELETE", "/project/p/security-group-rules/" + rule).status, 204);

  r = call("POST", "/project/p/routers", {{"router", {{"id", "r1"}, {"name", "r"}}}});
  ASSERT_EQ(r.status, 201);
  r = call("PUT", "/project/p/routers/r1/add_router_interface", {{"subnet_id", "s1"}});
  ASSERT_EQ(r.status, 200) << r.body.dump();
  EXPECT_EQ(r.body["subnet_id"], "s1");
  EXPECT_EQ(call("PUT", "/project/p/routers/r1/add_router_interface", {{"subnet_id", "s1"}}).status,
            409);
  EXPECT_EQ(call("PUT", "/project/p/routers/r1/add_router_interface", {{"subnet_id", "zz"}}).status,
            404);
  EXPECT_EQ(call("DELETE", "/project/p/routers/r1").status, 409);
  EXPECT_EQ(call("DELETE", "/project/p/subnets/s1").status, 409);
  EXPECT_EQ(
      call("PUT", "/project/p/routers/r1/remove_router_interface", {{"subnet_id", "s1"}}).status,
      200);
  EXPECT_EQ(
      call("PUT", "/project/p/routers/r1/remove_router_interface", {{"subnet_id", "s1"}}).status,
      404);
  EXPECT_EQ(call("DELETE", "/project/p/routers/r1").status, 204);

  r = call(
      "POST", "/project/p/gateways",
      {{"gateway",
        {{"id", "zgw"},
         {"gateway_type", "ZETA"},
         {"destinations", {{{"ip_address", "172.16.0.5"}, {"mac_address", "02:00:00:00:aa:01"}}}},
         {"zeta_info", {{"port_inband_operation", 8300}}}}}});
  ASSERT_EQ(r.status, 201) << r.body.dump();
  EXPECT_EQ(call("PUT", "/project/p/vpcs/v1", {{"network", {{"gateway_ids", {"zgw"}}}}}).status,
            200);
  EXPECT_EQ(call("PUT", "/project/p/vpcs/v1", {{"network", {{"gateway_ids", {"zz"}}}}}).status,
            404);
  EXPECT_EQ(call("DELETE", "/project/p/gateways/zgw").status, 409);
}

TEST_F(RestTest, AgentRestClientWorksAgainstIt) {
  createVpc("cluster-vpc");
  createSubnet("cluster-subnet", "cluster-vpc", "10.0.1.0/24");
  auto client =
      agent::makeRestControllerClient("http://127.0.0.1:" + std::to_string(app_->restPort()));
  ASSERT_TRUE(client->ping().ok());
  agent::NodeRegistration node{"node-1-id", "node-1", "10.9.0.1", "02:00:00:00:00:01", 50001, ""};
  auto reg = client->registerNode(node);
  ASSERT_TRUE(reg.ok()) << reg.status();
  EXPECT_FALSE(reg->host_dvr_mac.empty());
  auto again = client->registerNode(node);  // 409 -> PUT
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->host_dvr_mac, reg->host_dvr_mac);

  agent::PortRequest req;
  req.project = "p";
  req.network_id = "cluster-vpc";
  req.name = "pod-a";
  req.device_id = "uid-a";
  req.host_id = "node-1";
  auto port = client->createPort(req);
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(port->fixed_ips[0].subnet_id, "cluster-subnet");
  req.ip_address = port->fixed_ips[0].ip_address;
  EXPECT_EQ(client->createPort(req).status().code(), StatusCode::kAlreadyExists);
  auto listed = client->listPorts("p", "uid-a", "node-1");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, port->id);
  EXPECT_TRUE(client->deletePort("p", port->id).ok());
  EXPECT_EQ(client->deletePort("p", port->id).code(), StatusCode::kNotFound);
  req.network_id = "nope";
  EXPECT_EQ(client->createPort(req).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace alcor::controller::testing
