// Parsing of REST bodies: good bodies round-trip; bad CIDRs, MACs, IPs and wrongly typed fields
// are INVALID_ARGUMENT naming the field.

#include "controller/model/json_codec.h"

#include <gtest/gtest.h>

namespace alcor::controller {
namespace {

TEST(JsonCodecTest, PortRoundTripsWithAlcorFieldNames) {
  json in = {{"id", "p1"},
             {"project_id", "proj"},
             {"network_id", "vpc1"},
             {"mac_address", "FA:16:3E:00:00:01"},
             {"fixed_ips", {{{"subnet_id", "s1"}, {"ip_address", "10.0.0.5"}}}},
             {"binding:host_id", "node-1"},
             {"device_id", "pod"},
             {"security_groups", {"sg1"}},
             {"allowed_address_pairs", {{{"ip_address", "10.0.0.0/24"}}}}};
  auto p = portFromJson(in);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(textOf(p->mac_address), "fa:16:3e:00:00:01");
  EXPECT_EQ(p->host_id, "node-1");
  EXPECT_EQ(p->status, PortStatus::kDown);
  EXPECT_EQ(p->security_groups[0].str(), "sg1");
  // Typed once here: the address and prefix are values, not strings.
  EXPECT_EQ(p->fixed_ips[0].ip_address->toString(), "10.0.0.5");
  EXPECT_EQ(p->allowed_address_pairs[0].ip_address.prefix.length(), 24);
  json out = toJson(*p);
  EXPECT_EQ(out["binding:host_id"], "node-1");
  EXPECT_EQ(out["fixed_ips"][0]["ip_address"], "10.0.0.5");
  auto again = portFromJson(out);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->fixed_ips, p->fixed_ips);
}

struct BadCase {
  const char* name;
  std::function<Status()> parse;
  const char* field;  // must appear in the message
};

TEST(JsonCodecTest, BadInputIsRejectedNamingTheField) {
  std::vector<BadCase> cases = {
      {"vpc bad cidr",
       [] {
         return vpcFromJson({{"cidr", "10.0.0.0/33"}}).status();
       },
       "cidr"},
      {"vpc cidr host bits",
       [] {
         return vpcFromJson({{"cidr", "10.0.0.1/24"}}).status();
       },
       "cidr"},
      {"vpc name number",
       [] {
         return vpcFromJson({{"name", 5}}).status();
       },
       "name"},
      {"vpc bad id",
       [] {
         return vpcFromJson({{"id", "a/b"}}).status();
       },
       "id"},
      {"subnet no network",
       [] {
         return subnetFromJson({{"cidr", "10.0.0.0/24"}}).status();
       },
       "network_id"},
      {"subnet bad cidr",
       [] {
         return subnetFromJson({{"network_id", "v"}, {"cidr", "10.0.0/24"}}).status();
       },
       "cidr"},
      {"subnet gateway outside",
       [] {
         return subnetFromJson(
                    {{"network_id", "v"}, {"cidr", "10.0.0.0/24"}, {"gateway_ip", "10.0.1.1"}})
             .status();
       },
       "gateway_ip"},
      {"subnet dhcp string",
       [] {
         return subnetFromJson(
                    {{"network_id", "v"}, {"cidr", "10.0.0.0/24"}, {"enable_dhcp", "yes"}})
             .status();
       },
       "enable_dhcp"},
      {"subnet dns bad",
       [] {
         return subnetFromJson(
                    {{"network_id", "v"}, {"cidr", "10.0.0.0/24"}, {"dns_nameservers", {"x"}}})
             .status();
       },
       "dns_nameservers"},
      {"port bad mac",
       [] {
         return portFromJson({{"network_id", "v"}, {"mac_address", "zz:00"}}).status();
       },
       "mac_address"},
      {"port multicast mac",
       [] {
         return portFromJson({{"network_id", "v"}, {"mac_address", "01:00:5e:00:00:01"}}).status();
       },
       "mac_address"},
      {"port fixed_ips object",
       [] {
         return portFromJson({{"network_id", "v"}, {"fixed_ips", {{"a", 1}}}}).status();
       },
       "fixed_ips"},
      {"port bad ip",
       [] {
         return portFromJson({{"network_id", "v"}, {"fixed_ips", {{{"ip_address", "10.0.0.300"}}}}})
             .status();
       },
       "ip_address"},
      {"port sg not list",
       [] {
         return portFromJson({{"network_id", "v"}, {"security_groups", "sg"}}).status();
       },
       "security_groups"},
      {"port admin string",
       [] {
         return portFromJson({{"network_id", "v"}, {"admin_state_up", "true"}}).status();
       },
       "admin_state_up"},
      {"node bad ip",
       [] {
         return nodeFromJson({{"node_name", "n"}, {"local_ip", "host"}}).status();
       },
       "local_ip"},
      {"node port range",
       [] {
         return nodeFromJson({{"node_name", "n"}, {"local_ip", "10.0.0.1"}, {"server_port", 70000}})
             .status();
       },
       "server_port"},
      {"rule direction",
       [] {
         return ruleFromJson({{"direction", "up"}}).status();
       },
       "direction"},
      {"rule port order",
       [] {
         return ruleFromJson({{"protocol", "tcp"}, {"port_range_min", 90}, {"port_range_max", 80}})
             .status();
       },
       "port_range_min"},
      {"gateway zeta without port",
       [] {
         return gatewayFromJson({{"gateway_type", "ZETA"}}).status();
       },
       "port_inband"},
      {"gateway destination mac",
       [] {
         return gatewayFromJson(
                    {{"gateway_type", "DEFAULT"},
                     {"destinations", {{{"ip_address", "10.0.0.1"}, {"mac_address", "nope"}}}}})
             .status();
       },
       "mac_address"},
      {"not an object", [] { return vpcFromJson(json::array()).status(); }, "network"},
  };
  for (const auto& c : cases) {
    Status st = c.parse();
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.name << ": " << st;
    EXPECT_NE(st.message().find(c.field), std::string::npos) << c.name << ": " << st;
  }
}

TEST(JsonCodecTest, MergeKeepsStoredFieldsAndRevalidates) {
  Port p = *portFromJson({{"id", "p1"}, {"network_id", "v"}, {"name", "old"}});
  auto merged = mergeJson(p, json{{"name", "new"}}, portFromJson);
  ASSERT_TRUE(merged.ok());
  EXPECT_EQ(merged->name, "new");
  EXPECT_EQ(merged->network_id.str(), "v");
  auto bad = mergeJson(p, json{{"mac_address", 7}}, portFromJson);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace alcor::controller
