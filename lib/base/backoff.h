#pragma once

// Exponential backoff with full jitter as a pure state machine: callers pass the clock in, so
// tests drive it on a scripted timeline (the shape of OVS's lib/reconnect).

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <random>

namespace alcor {

class Backoff {
 public:
  using Duration = std::chrono::milliseconds;
  Backoff(Duration initial, Duration max, uint64_t seed = 0x5eed)
      : initial_(initial), max_(max), rng_(seed) {}

  // Delay before the next attempt after a failure; grows x2 up to max, jittered in [d/2, d].
  Duration nextDelay() {
    Duration d = current_.count() == 0 ? initial_ : std::min(max_, current_ * 2);
    current_ = d;
    std::uniform_int_distribution<int64_t> dist(d.count() / 2, d.count());
    return Duration(dist(rng_));
  }
  void reset() { current_ = Duration(0); }
  Duration current() const { return current_; }

 private:
  Duration initial_;
  Duration max_;
  Duration current_{0};
  std::mt19937_64 rng_;
};

}  // namespace alcor
