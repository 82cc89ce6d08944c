#include "node-agent/pipeline/segment_allocator.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "lib/base/logging.h"

namespace alcor::agent::pipeline {

Status SegmentAllocator::load() {
  if (path_.empty()) return okStatus();
  std::ifstream in(path_);
  if (!in) return okStatus();
  std::stringstream buffer;
  buffer << in.rdbuf();
  nlohmann::json doc = nlohmann::json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object()) {
    return invalidArgumentError("segment file " + path_ + " is not a JSON object");
  }
  std::map<uint32_t, uint16_t> loaded;
  std::set<uint16_t> used;
  for (const auto& [key, value] : doc.items()) {
    char* end = nullptr;
    unsigned long vni = std::strtoul(key.c_str(), &end, 10);
    if (key.empty() || *end != '\0' || vni > 0xffffff || !value.is_number_unsigned()) {
      return invalidArgumentError("segment file " + path_ + ": bad entry " + key);
    }
    auto segment = value.get<uint64_t>();
    if (segment < kMinSegment || segment > kMaxSegment || !used.insert(segment).second) {
      return invalidArgumentError("segment file " + path_ + ": bad segment for VNI " + key);
    }
    loaded[static_cast<uint32_t>(vni)] = static_cast<uint16_t>(segment);
  }
  by_vni_ = std::move(loaded);
  ALOG(Info, Pipeline) << "loaded " << by_vni_.size() << " segment(s) from " << path_;
  return okStatus();
}

Status SegmentAllocator::sync(const std::set<uint32_t>& vnis) {
  bool changed = false;
  for (auto it = by_vni_.begin(); it != by_vni_.end();) {
    if (vnis.count(it->first) == 0) {
      it = by_vni_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  std::set<uint16_t> used;
  for (const auto& [vni, segment] : by_vni_) used.insert(segment);
  uint16_t next = kMinSegment;
  for (uint32_t vni : vnis) {
    if (by_vni_.count(vni)) continue;
    while (next <= kMaxSegment && used.count(next)) ++next;
    if (next > kMaxSegment) {
      return resourceExhaustedError("no free segment id for VNI " + std::to_string(vni));
    }
    by_vni_[vni] = next;
    used.insert(next);
    changed = true;
  }
  return changed ? save() : okStatus();
}

std::optional<uint16_t> SegmentAllocator::segmentOf(uint32_t vni) const {
  auto it = by_vni_.find(vni);
  if (it == by_vni_.end()) return std::nullopt;
  return it->second;
}

Status SegmentAllocator::save() const {
  if (path_.empty()) return okStatus();
  nlohmann::json doc = nlohmann::json::object();
  for (const auto& [vni, segment] : by_vni_) doc[std::to_string(vni)] = segment;
  const std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return internalError("cannot write " + tmp);
    out << doc.dump() << "\n";
    if (!out.good()) return internalError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    return internalError("cannot rename " + tmp + " to " + path_);
  }
  return okStatus();
}

}  // namespace alcor::agent::pipeline
