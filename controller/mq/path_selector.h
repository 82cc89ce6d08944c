#pragma once

// `--southbound=auto` (docs/controller.md, "Southbound over NATS"): which VPCs have their subnets'
// L2 neighbor states multicast over NATS. Alcor's rule, per VPC, with hysteresis: a VPC moves to
// NATS when its port count goes above `up` and back to gRPC when it goes below `down`
// (down <= up), so a VPC hovering around one threshold does not flap. The caller gives the count
// whenever it changes (the DPM counts ports per VPC as they are placed); this class only
// decides. Not thread-safe.

#include <cstdint>
#include <set>
#include <string>

#include "lib/base/status.h"

namespace alcor::controller {

struct AutoThresholds {
  uint64_t up = 1000;   // above: to NATS
  uint64_t down = 100;  // below: back to gRPC
};

// kInvalidArgument unless 1 <= down <= up.
Status validateThresholds(const AutoThresholds& t);

enum class PathSwitch { kNone, kToMq, kToGrpc };

class VpcPathSelector {
 public:
  explicit VpcPathSelector(AutoThresholds thresholds) : thresholds_(thresholds) {}

  // The VPC has `ports` ports now; returns the switch that makes, if any.
  PathSwitch observe(const std::string& vpc_id, uint64_t ports);
  bool onMq(const std::string& vpc_id) const { return on_mq_.count(vpc_id) > 0; }
  size_t vpcsOnMq() const { return on_mq_.size(); }
  uint64_t switches() const { return switches_; }
  const AutoThresholds& thresholds() const { return thresholds_; }

 private:
  AutoThresholds thresholds_;
  std::set<std::string> on_mq_;
  uint64_t switches_ = 0;
};

}  // namespace alcor::controller
