#pragma once

// Bounds-checked big-endian reading and writing of wire formats. Readers never read past the end:
// every accessor fails (returns false / sets the reader bad) instead.

#include <cstdint>
#include <span>
#include <vector>

namespace alcor::packet {

using Bytes = std::vector<uint8_t>;
using ByteView = std::span<const uint8_t>;

class ByteReader {
 public:
  explicit ByteReader(ByteView data) : data_(data) {}

  size_t remaining() const { return ok_ ? data_.size() - pos_ : 0; }
  size_t position() const { return pos_; }
  bool ok() const { return ok_; }  // false once any read ran past the end

  uint8_t u8();
  uint16_t u16();
  uint32_t u32();
  // n bytes as a view into the input (empty and bad when short).
  ByteView take(size_t n);
  void skip(size_t n) { take(n); }
  ByteView rest() { return take(remaining()); }

 private:
  bool need(size_t n);
  ByteView data_;
  size_t pos_ = 0;
  bool ok_ = true;
};

class ByteWriter {
 public:
  explicit ByteWriter(Bytes& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v);
  void u32(uint32_t v);
  void append(ByteView bytes) { out_.insert(out_.end(), bytes.begin(), bytes.end()); }
  void zeros(size_t n) { out_.insert(out_.end(), n, 0); }
  size_t size() const { return out_.size(); }
  // Overwrites 2 bytes at `offset` (for lengths and checksums filled in afterwards).
  void patchU16(size_t offset, uint16_t v);

 private:
  Bytes& out_;
};

uint16_t loadU16(const uint8_t* p);
uint32_t loadU32(const uint8_t* p);

}  // namespace alcor::packet
