#pragma once

#include <vector>

#include "lib/openflow/flow.h"

namespace alcor::openflow::testing {

struct FlowCase {
  const char* name;
  Flow flow;
  const char* ovs_text;  // what `ovs-ofctl ofp-print` shows after "ADD " for this flow_mod
};

// Needs group 5 to exist when installed (one flow outputs to it).
std::vector<FlowCase> flowCases();

}  // namespace alcor::openflow::testing
