#include "bench/agent_neighbors/goal_states.h"

#include "lib/base/net_types.h"

namespace alcor::bench {

std::string ipOf(uint32_t v) { return Ipv4Address(v).toString(); }

std::string macOf(uint64_t v) { return MacAddress::fromUint64(0xfa163e000000ULL | v).toString(); }

void addContext(schema::GoalStateV2& gs, bool dhcp) {
  auto& vpc = (*gs.mutable_vpc_states())["vpc-1"];
  vpc.set_operation_type(schema::CREATE);
  vpc.mutable_configuration()->set_id("vpc-1");
  vpc.mutable_configuration()->set_cidr("10.0.0.0/8");
  vpc.mutable_configuration()->set_tunnel_id(1001);
  auto& sub = (*gs.mutable_subnet_states())["sub-1"];
  sub.set_operation_type(schema::CREATE);
  auto* sc = sub.mutable_configuration();
  sc->set_id("sub-1");
  sc->set_vpc_id("vpc-1");
  sc->set_cidr("10.0.0.0/14");
  sc->set_tunnel_id(1001);
  sc->set_dhcp_enable(dhcp);
  sc->mutable_gateway()->set_ip_address("10.0.0.1");
  sc->mutable_gateway()->set_mac_address("aa:bb:cc:00:00:01");
}

void addNeighbor(schema::GoalStateV2& gs, size_t i, uint32_t first_ip) {
  const std::string id = "n" + std::to_string(i);
  auto& nb = (*gs.mutable_neighbor_states())["L2/" + id];
  nb.set_operation_type(schema::CREATE);
  auto* c = nb.mutable_configuration();
  c->set_id(id);
  c->set_vpc_id("vpc-1");
  c->set_mac_address(macOf(0x10000 + i));
  c->set_host_ip_address(ipOf(0xc0a80100u + static_cast<uint32_t>(i % 200)));  // 200 hosts
  auto* f = c->add_fixed_ips();
  f->set_neighbor_type(schema::L2);
  f->set_subnet_id("sub-1");
  f->set_ip_address(ipOf(first_ip + static_cast<uint32_t>(i)));
}

void addPort(schema::GoalStateV2& gs, const std::string& id, uint64_t mac, uint32_t ip, bool dhcp) {
  auto& port = (*gs.mutable_port_states())[id];
  port.set_operation_type(schema::CREATE);
  auto* pc = port.mutable_configuration();
  pc->set_id(id);
  pc->set_vpc_id("vpc-1");
  pc->set_mac_address(macOf(mac));
  pc->set_admin_state_up(true);
  pc->set_device_id("pod-" + id);
  pc->mutable_host_info()->set_ip_address("192.168.0.10");
  auto* fip = pc->add_fixed_ips();
  fip->set_subnet_id("sub-1");
  fip->set_ip_address(ipOf(ip));
  if (!dhcp) return;
  auto& entry = (*gs.mutable_dhcp_states())[id];
  entry.set_operation_type(schema::CREATE);
  entry.mutable_configuration()->set_id(id);
  entry.mutable_configuration()->set_subnet_id("sub-1");
  entry.mutable_configuration()->set_mac_address(macOf(mac));
  entry.mutable_configuration()->set_ipv4_address(ipOf(ip));
}

}  // namespace alcor::bench
