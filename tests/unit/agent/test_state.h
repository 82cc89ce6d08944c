#pragma once

// Small NetworkState fixtures shared by the pipeline, dataplane and DHCP tests.

#include <functional>

#include "node-agent/state/change_set.h"
#include "node-agent/state/network_state.h"
#include "tests/harness/addresses.h"

namespace alcor::agent::testing {

using alcor::testing::ip;
using alcor::testing::mac;

// VPC "vpc-a" (VNI 1001) with subnet "sub-a" 10.1.0.0/24, gateway 10.1.0.1, DHCP on.
inline void addVpc(NetworkState& s, const std::string& vpc = "vpc-a", uint32_t vni = 1001,
                   const char* cidr = "10.1.0.0/24", const char* gw = "10.1.0.1") {
  s.vpcs[vpc] = Vpc{vpc, "proj", vpc, vni};
  Subnet sub;
  sub.id = "sub-" + vpc;
  sub.vpc_id = vpc;
  sub.cidr = *Ipv4Prefix::parse(cidr);
  sub.vni = vni;
  sub.gateway_ip = ip(gw);
  sub.gateway_mac = mac("aa:bb:cc:00:00:01");
  sub.dhcp_enabled = true;
  sub.dns_servers = {ip("10.1.0.2")};
  s.subnets[sub.id] = sub;
}

inline void addPort(NetworkState& s, const std::string& id, const std::string& vpc,
                    const char* port_ip, const char* port_mac, uint32_t ofport) {
  Port p;
  p.id = id;
  p.vpc_id = vpc;
  p.mac = mac(port_mac);
  p.fixed_ips = {PortIp{"sub-" + vpc, ip(port_ip)}};
  p.host_ip = ip("192.168.0.10");
  s.ports[id] = p;
  if (ofport != 0) {
    LocalInterface iface;
    iface.port_id = id;
    iface.ovs_port = "tap" + id;
    iface.ofport = ofport;
    s.interfaces[id] = iface;
  }
  s.dhcp[id] = DhcpEntry{id, "sub-" + vpc, p.mac, p.fixed_ips[0].ip, "host-" + id};
}

inline void addNeighbor(NetworkState& s, const std::string& id, const std::string& vpc,
                        const char* n_ip, const char* n_mac, const char* host) {
  Neighbor n;
  n.key = "L2/" + id;
  n.id = id;
  n.vpc_id = vpc;
  n.mac = mac(n_mac);
  n.host_ip = ip(host);
  n.ips = {NeighborIp{NeighborKind::kL2, "sub-" + vpc, ip(n_ip)}};
  s.neighbors[n.key] = n;
}

// What changed between two states, object by object: the ChangeSet a writer that made that
// change names.
inline ChangeSet changesBetween(const NetworkState& a, const NetworkState& b) {
  ChangeSet c;
  auto diff = [](const auto& x, const auto& y, std::set<std::string>& out) {
    for (const auto& [key, value] : x) {
      auto it = y.find(key);
      if (it == y.end() || !(it->second == value)) out.insert(key);
    }
    for (const auto& [key, value] : y) {
      if (!x.count(key)) out.insert(key);
    }
  };
  diff(a.vpcs, b.vpcs, c.vpcs);
  diff(a.subnets, b.subnets, c.subnets);
  diff(a.ports, b.ports, c.ports);
  diff(a.neighbors, b.neighbors, c.neighbors);
  diff(a.dhcp, b.dhcp, c.dhcp);
  diff(a.routers, b.routers, c.routers);
  diff(a.gateways, b.gateways, c.gateways);
  diff(a.security_groups, b.security_groups, c.security_groups);
  diff(a.interfaces, b.interfaces, c.interfaces);
  return c;
}

// A Dataplane mutation that runs `fn` on the state and names what it changed.
inline auto tracked(std::function<void(NetworkState&)> fn) {
  return [fn = std::move(fn)](NetworkState& s, ChangeSet& c) {
    const NetworkState before = s;
    fn(s);
    c.merge(changesBetween(before, s));
  };
}

}  // namespace alcor::agent::testing
