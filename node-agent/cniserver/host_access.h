#pragma once

// What the CNI server needs from host access (node-agent/host/host_gateways.h): before an ADD
// returns, the node must have its path to the pod's VPC (a host gateway with its address and
// routes), so that kubelet probes and hostPort DNAT work from the first packet.

#include <string>

#include "lib/base/status.h"

namespace alcor::agent {

class HostAccess {
 public:
  virtual ~HostAccess() = default;
  // Gives the node its path to the pods of `vpc_id` and returns once it is in place. OK: the
  // VPC has host access. FAILED_PRECONDITION: it is refused host access (its CIDR overlaps a VPC
  // that has it; the message says which). Anything else is transient (controller, OVS).
  virtual Status ensure(const std::string& project, const std::string& vpc_id,
                        const std::string& subnet_id) = 0;
};

}  // namespace alcor::agent
