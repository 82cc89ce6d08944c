#pragma once

// Builds the Alcor state messages for one resource each, exactly as the agent (and ACA) expect
// them: ids in field 3, update_type FULL, the subnet's tunnel_id carrying the VPC's VNI, the
// host IP in port host_info and neighbor host_ip_address. Pure functions of the resources.

#include <map>
#include <string>

#include "alcor/goalstate.pb.h"
#include "controller/model/resources.h"

namespace alcor::controller {

namespace schema = ::alcor::schema;

// Neighbor map keys, Alcor's: "L2/<port-id>" and "L3/<port-id>".
std::string neighborKey(schema::NeighborType type, const ResourceId& port_id);
// DHCP map key for the i-th fixed IP of a port: the port id, then "<port-id>/<i>".
std::string dhcpKey(const ResourceId& port_id, size_t index);

schema::VpcState vpcState(const Vpc& vpc, schema::OperationType op);
schema::SubnetState subnetState(const Subnet& subnet, const Vpc& vpc, schema::OperationType op);
// host_ip/host_mac: the node the port is bound to.
schema::PortState portState(const Port& port, const std::string& host_ip,
                            const std::string& host_mac, schema::OperationType op);
schema::DHCPState dhcpState(const Port& port, size_t fixed_ip_index, schema::OperationType op);
schema::NeighborState neighborState(const Port& port, const Vpc& vpc, const std::string& host_ip,
                                    const std::string& host_mac, schema::NeighborType type,
                                    schema::OperationType op);
// A delete needs only the id (the agent erases by key).
schema::NeighborState neighborDelete(const ResourceId& port_id);
// With the member addresses of the group (its ports' fixed IPs and allowed address pairs).
schema::SecurityGroupState securityGroupState(const SecurityGroup& group, const ResourceId& vpc_id,
                                              const std::vector<std::string>& member_addresses,
                                              schema::OperationType op);
// `subnets` maps subnet id -> subnet for the router's interfaces (missing ones are skipped).
schema::RouterState routerState(const Router& router, const std::string& host_dvr_mac,
                                const std::map<ResourceId, const Subnet*>& subnets,
                                schema::OperationType op);
schema::GatewayState gatewayState(const Gateway& gateway, schema::OperationType op);
// Number of resource states in a message (all maps but host_resources).
size_t resourceCount(const schema::GoalStateV2& gs);

}  // namespace alcor::controller
