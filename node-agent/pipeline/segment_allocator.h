#pragma once

// Host-local segment ids ("local VLANs", 1..4094) for the VNIs present on this node. A segment id
// is also the conntrack zone of its VPC, so it must survive an agent restart unchanged, or the
// rebuilt flows would differ from the installed ones and tracked connections would lose their
// state. The allocation is therefore kept in a small JSON file in the agent's state directory.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "lib/base/status.h"

namespace alcor::agent::pipeline {

inline constexpr uint16_t kMinSegment = 1;
inline constexpr uint16_t kMaxSegment = 4094;

class SegmentAllocator {
 public:
  // `path` empty: in memory only (tests).
  explicit SegmentAllocator(std::string path = "") : path_(std::move(path)) {}

  // Reads the saved allocation; a missing file is an empty allocation.
  Status load();

  // Gives every VNI in `vnis` a segment (keeping existing ones) and frees the segments of VNIs
  // not in it; saves when something changed. Fails only when all 4094 segments are taken or the
  // file cannot be written (the in-memory allocation still stands).
  Status sync(const std::set<uint32_t>& vnis);

  std::optional<uint16_t> segmentOf(uint32_t vni) const;
  const std::map<uint32_t, uint16_t>& all() const { return by_vni_; }

 private:
  Status save() const;

  std::string path_;
  std::map<uint32_t, uint16_t> by_vni_;
};

}  // namespace alcor::agent::pipeline
