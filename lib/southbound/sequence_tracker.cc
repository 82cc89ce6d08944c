#include "lib/southbound/sequence_tracker.h"

namespace alcor::southbound {

void SequenceTracker::baseline(const std::string& subject, const std::string& epoch, uint64_t seq) {
  // The controller's word: it counts the host from the next message on, whatever was seen.
  subjects_[subject] = {epoch, seq};
}

SequenceTracker::Verdict SequenceTracker::observe(const std::string& subject,
                                                  const std::string& epoch, uint64_t seq) {
  auto it = subjects_.find(subject);
  if (it == subjects_.end()) {
    subjects_[subject] = {epoch, seq};
    return Verdict::kApply;
  }
  Position& p = it->second;
  if (p.epoch != epoch) {
    p = {epoch, seq};
    ++gaps_;
    return Verdict::kGap;
  }
  if (seq <= p.last) return Verdict::kStale;
  Verdict v = seq == p.last + 1 ? Verdict::kApply : Verdict::kGap;
  if (v == Verdict::kGap) ++gaps_;
  p.last = seq;
  return v;
}

}  // namespace alcor::southbound
