#pragma once

// Gap detection on the multicast subjects (agent side). Each subnet message carries the
// controller's epoch and the subject's sequence number; the controller tells a host where its
// membership starts with a baseline (the subject's last number before the first message that
// counts the host). A message that is not the next one means something was lost (or the
// controller restarted): the agent asks for its full state.

#include <cstdint>
#include <map>
#include <string>

namespace alcor::southbound {

class SequenceTracker {
 public:
  enum class Verdict {
    kApply,  // the next message (or the first one seen on the subject)
    kStale,  // at or before what was seen or the baseline: already covered
    kGap,    // messages were lost or the epoch changed; the message itself is still new
  };

  // The controller counts the host from `seq` + 1 on (again, after a resync). Messages at or
  // below `seq` are stale.
  void baseline(const std::string& subject, const std::string& epoch, uint64_t seq);
  Verdict observe(const std::string& subject, const std::string& epoch, uint64_t seq);
  // Unsubscribed: forget the subject.
  void forget(const std::string& subject) { subjects_.erase(subject); }
  // A full resync arrived: accept whatever comes next on every subject.
  void reset() { subjects_.clear(); }
  uint64_t gaps() const { return gaps_; }

 private:
  struct Position {
    std::string epoch;
    uint64_t last = 0;
  };
  std::map<std::string, Position> subjects_;
  uint64_t gaps_ = 0;
};

}  // namespace alcor::southbound
