#pragma once

// The incremental case of bench_agent_neighbors: a node that already holds 100 pods and 10,000
// neighbors gets one more neighbor, or one more pod, at a time. Each change goes through the
// agent's GoalStateHandler and DataplaneImpl onto the bench's OVS; it reports the flow mods sent
// (against the flows the new object owns) and the time until the change is programmed.

#include <string>

#include "tests/harness/ovs_sandbox.h"

namespace alcor::bench {

struct IncrementalCaseOptions {
  size_t pods = 100;
  size_t neighbors = 10000;
  size_t rounds = 100;
  uint32_t tunnel_ofport = 100;
};

// Prints its table; false when a change was not programmed as expected.
bool runIncrementalCase(testing::OvsSandbox& ovs, const IncrementalCaseOptions& options);

}  // namespace alcor::bench
