#pragma once

// Validates GoalState configurations from the wire and converts them to the agent's model.
// Anything malformed is an INVALID_ARGUMENT Status naming the field; nothing is applied then.

#include "alcor/dhcp.pb.h"
#include "alcor/gateway.pb.h"
#include "alcor/neighbor.pb.h"
#include "alcor/port.pb.h"
#include "alcor/router.pb.h"
#include "alcor/securitygroup.pb.h"
#include "alcor/subnet.pb.h"
#include "alcor/vpc.pb.h"
#include "lib/base/status.h"
#include "node-agent/state/network_state.h"

namespace alcor::agent {

inline constexpr uint32_t kMaxVni = (1u << 24) - 1;

StatusOr<Vpc> toVpc(const schema::VpcConfiguration& c);
StatusOr<Subnet> toSubnet(const schema::SubnetConfiguration& c);
StatusOr<Port> toPort(const schema::PortConfiguration& c);
// `key` is the GoalStateV2 map key; empty for v1 (then "L2/<id>" or "L3/<id>").
StatusOr<Neighbor> toNeighbor(const schema::NeighborConfiguration& c, const std::string& key);
StatusOr<DhcpEntry> toDhcp(const schema::DHCPConfiguration& c);
StatusOr<Router> toRouter(const schema::RouterConfiguration& c);
StatusOr<Gateway> toGateway(const schema::GatewayConfiguration& c);
StatusOr<SecurityGroup> toSecurityGroup(const schema::SecurityGroupConfiguration& c);

}  // namespace alcor::agent
