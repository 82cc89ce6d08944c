#pragma once

// Direct-path flows installed from Zeta OAM messages. They live by their idle timeout, so they
// are written straight to the switch instead of through the dataplane's desired-state diff
// (which ignores their cookie category): a diff would either fight OVS expiring them or have to
// mirror every expiry. All paths of a VNI share one cookie and are removed together when the VNI
// stops being a local Zeta VNI.

#include <cstdint>

#include "lib/base/status.h"
#include "lib/openflow/connection.h"
#include "node-agent/pipeline/zeta_flows.h"

namespace alcor::agent::zeta {

class DirectPathTable {
 public:
  DirectPathTable(openflow::Connection& openflow, uint32_t tunnel_ofport)
      : openflow_(openflow), tunnel_ofport_(tunnel_ofport) {}

  // Adds the flow, or replaces it (a repeated inject refreshes MACs, destination and timeout).
  Status inject(const pipeline::DirectPath& path);
  // Strict delete of the flow with that 5-tuple and VNI; absent flows are not an error.
  Status remove(const pipeline::DirectPath& path);
  // Every direct path of the VNI.
  Status removeVni(uint32_t vni);

 private:
  openflow::Connection& openflow_;
  const uint32_t tunnel_ofport_;
};

}  // namespace alcor::agent::zeta
