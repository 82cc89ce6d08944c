#pragma once

// GoalStates of bench_agent_neighbors: VPC vpc-1 (VNI 1001) with subnet sub-1 10.0.0.0/14,
// local ports and L2 neighbors spread over 200 remote hosts.

#include <cstdint>
#include <string>

#include "alcor/goalstate.pb.h"

namespace alcor::bench {

std::string ipOf(uint32_t v);
std::string macOf(uint64_t v);  // fa:16:3e:xx:xx:xx

// The VPC and its subnet, as the controller sends them with every message.
void addContext(schema::GoalStateV2& gs, bool dhcp);
// Neighbor "L2/n<i>" with address first_ip + i.
void addNeighbor(schema::GoalStateV2& gs, size_t i, uint32_t first_ip);
// Local port `id` with one address; with `dhcp`, its DHCP entry too.
void addPort(schema::GoalStateV2& gs, const std::string& id, uint64_t mac, uint32_t ip, bool dhcp);

}  // namespace alcor::bench
