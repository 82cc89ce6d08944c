#include "controller/mq/path_selector.h"

namespace alcor::controller {

Status validateThresholds(const AutoThresholds& t) {
  if (t.down < 1 || t.down > t.up) {
    return invalidArgumentError("--mq-auto-down must be at least 1 and at most --mq-auto-up (" +
                                std::to_string(t.down) + " > " + std::to_string(t.up) + ")");
  }
  return okStatus();
}

PathSwitch VpcPathSelector::observe(const std::string& vpc_id, uint64_t ports) {
  if (!onMq(vpc_id) && ports > thresholds_.up) {
    on_mq_.insert(vpc_id);
    ++switches_;
    return PathSwitch::kToMq;
  }
  if (onMq(vpc_id) && ports < thresholds_.down) {
    on_mq_.erase(vpc_id);
    ++switches_;
    return PathSwitch::kToGrpc;
  }
  return PathSwitch::kNone;
}

}  // namespace alcor::controller
