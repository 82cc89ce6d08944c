#pragma once

// Internal: big-endian byte writer/reader shared by the OpenFlow codecs. The reader never reads
// past its end: every getter fails (and latches the failure) instead.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "lib/base/status.h"

namespace alcor::openflow::wire {

// All ones: "no buffer" in buffer_id, "any port/group" in the out_port/out_group filters.
inline constexpr uint32_t kAny = 0xffffffff;

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  size_t size() const { return out_.size(); }
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) {
    u8(v >> 8);
    u8(v & 0xff);
  }
  void u32(uint32_t v) {
    u16(v >> 16);
    u16(v & 0xffff);
  }
  void u64(uint64_t v) {
    u32(v >> 32);
    u32(v & 0xffffffff);
  }
  // The low `width` bytes of v, most significant first.
  void uint(uint64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) u8(static_cast<uint8_t>(v >> (8 * i)));
  }
  void bytes(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  void padTo8(size_t start) { zeros((8 - (size() - start) % 8) % 8); }
  // Overwrites a 16-bit field at absolute offset (lengths known only after writing a body).
  void patch16(size_t at, uint16_t v) {
    out_[at] = v >> 8;
    out_[at + 1] = v & 0xff;
  }

 private:
  std::vector<uint8_t>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> data) : data_(data) {}
  bool ok() const { return ok_; }
  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  bool has(size_t n) const { return ok_ && data_.size() - pos_ >= n; }

  uint8_t u8() { return static_cast<uint8_t>(uint(1)); }
  uint16_t u16() { return static_cast<uint16_t>(uint(2)); }
  uint32_t u32() { return static_cast<uint32_t>(uint(4)); }
  uint64_t u64() { return uint(8); }
  uint64_t uint(int width) {
    if (!has(width)) return fail(), 0;
    uint64_t v = 0;
    for (int i = 0; i < width; ++i) v = (v << 8) | data_[pos_++];
    return v;
  }
  void skip(size_t n) {
    if (!has(n)) return fail();
    pos_ += n;
  }
  std::span<const uint8_t> take(size_t n) {
    if (!has(n)) return fail(), std::span<const uint8_t>();
    auto s = data_.subspan(pos_, n);
    pos_ += n;
    return s;
  }
  // A sub-reader over the next n bytes (consumed here).
  Reader sub(size_t n) {
    Reader r(take(n));
    if (!ok_) r.ok_ = false;
    return r;
  }
  std::vector<uint8_t> rest() {
    auto s = take(remaining());
    return {s.begin(), s.end()};
  }
  void fail() { ok_ = false; }

 private:
  std::span<const uint8_t> data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

inline Status truncated(const std::string& what) {
  return invalidArgumentError("truncated or malformed " + what);
}

}  // namespace alcor::openflow::wire
