// Fuzz target: GoalState bytes from the controller, decoded as v2 and v1 and run through the
// handler (validation, ordering, state changes) against a fake data plane.
#include <cstddef>
#include <cstdint>

#include "lib/base/logging.h"
#include "node-agent/goalstate/goalstate_handler.h"
#include "tests/fakes/fake_dataplane.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = (alcor::log::setLevel(alcor::log::Level::kOff), true);
  (void)quiet;
  static alcor::agent::FakeDataplane dataplane;
  static alcor::agent::GoalStateHandler handler(dataplane,
                                                {"172.16.62.249", std::chrono::milliseconds(0)});
  alcor::schema::GoalStateV2 v2;
  if (v2.ParseFromArray(data, static_cast<int>(size))) (void)handler.handle(v2);
  alcor::schema::GoalState v1;
  if (v1.ParseFromArray(data, static_cast<int>(size))) (void)handler.handle(v1);
  return 0;
}
