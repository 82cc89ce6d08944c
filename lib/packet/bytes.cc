#include "lib/packet/bytes.h"

namespace alcor::packet {

uint16_t loadU16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

uint32_t loadU32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | uint32_t{p[3]};
}

bool ByteReader::need(size_t n) {
  if (!ok_ || data_.size() - pos_ < n) {
    ok_ = false;
    return false;
  }
  return true;
}

uint8_t ByteReader::u8() {
  if (!need(1)) return 0;
  return data_[pos_++];
}

uint16_t ByteReader::u16() {
  if (!need(2)) return 0;
  uint16_t v = loadU16(data_.data() + pos_);
  pos_ += 2;
  return v;
}

uint32_t ByteReader::u32() {
  if (!need(4)) return 0;
  uint32_t v = loadU32(data_.data() + pos_);
  pos_ += 4;
  return v;
}

ByteView ByteReader::take(size_t n) {
  if (!need(n)) return {};
  ByteView v = data_.subspan(pos_, n);
  pos_ += n;
  return v;
}

void ByteWriter::u16(uint16_t v) {
  out_.push_back(static_cast<uint8_t>(v >> 8));
  out_.push_back(static_cast<uint8_t>(v));
}

void ByteWriter::u32(uint32_t v) {
  u16(static_cast<uint16_t>(v >> 16));
  u16(static_cast<uint16_t>(v));
}

void ByteWriter::patchU16(size_t offset, uint16_t v) {
  out_[offset] = static_cast<uint8_t>(v >> 8);
  out_[offset + 1] = static_cast<uint8_t>(v);
}

}  // namespace alcor::packet
