#pragma once

// GoalStateV2 messages of one subnet (VPC "vpc1", subnet "s1") for the NATS subscriber's tests
// and fuzzer: the VPC and subnet context a message carries, and a port of the subnet.

#include <string>

#include "alcor/goalstate.pb.h"

namespace alcor::agent {

inline void addSubnetContext(schema::GoalStateV2& gs) {
  auto& vpc = (*gs.mutable_vpc_states())["vpc1"];
  vpc.set_operation_type(schema::INFO);
  vpc.mutable_configuration()->set_id("vpc1");
  auto& subnet = (*gs.mutable_subnet_states())["s1"];
  subnet.set_operation_type(schema::INFO);
  subnet.mutable_configuration()->set_id("s1");
  subnet.mutable_configuration()->set_vpc_id("vpc1");
}

inline schema::GoalStateV2 portMessage(const std::string& port, schema::OperationType op) {
  schema::GoalStateV2 gs;
  addSubnetContext(gs);
  auto& p = (*gs.mutable_port_states())[port];
  p.set_operation_type(op);
  p.mutable_configuration()->set_id(port);
  p.mutable_configuration()->set_vpc_id("vpc1");
  p.mutable_configuration()->add_fixed_ips()->set_subnet_id("s1");
  return gs;
}

}  // namespace alcor::agent
