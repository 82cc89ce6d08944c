// Convenience constructors for matches and actions.

#include "lib/openflow/action.h"
#include "lib/openflow/match.h"

namespace alcor::openflow {

Match ipv4Match() {
  Match m;
  m.eth_type = kEthTypeIpv4;
  return m;
}
Match arpMatch() {
  Match m;
  m.eth_type = kEthTypeArp;
  return m;
}
static Match ipProto(uint8_t proto) {
  Match m = ipv4Match();
  m.ip_proto = proto;
  return m;
}
Match tcpMatch() { return ipProto(kIpProtoTcp); }
Match udpMatch() { return ipProto(kIpProtoUdp); }
Match icmpMatch() { return ipProto(kIpProtoIcmp); }

// The reserved ports that have their own action types decode to those, so build them the same
// way (keeps decode(encode(x)) == x).
Action output(uint32_t port) {
  if (port == kPortInPort) return OutputInPort{};
  if (port == kPortController) return Controller{};
  return Output{port};
}

Action controller(std::vector<uint8_t> userdata, uint16_t max_len) {
  Controller c;
  c.userdata = std::move(userdata);
  c.max_len = max_len;
  return c;
}

Action setField(Field field, uint64_t value) { return SetField{field, value, std::nullopt}; }
Action setField(Field field, const MacAddress& mac) { return setField(field, mac.toUint64()); }
Action setField(Field field, const Ipv4Address& ip) { return setField(field, ip.value()); }

Action loadField(Field field, uint64_t value, int bit_offset, int n_bits) {
  const int width = fieldInfo(field).width * 8;
  uint64_t ones = n_bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << n_bits) - 1;
  uint64_t mask = ones << bit_offset;
  uint64_t full = width >= 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1;
  SetField sf{field, (value << bit_offset) & mask, std::nullopt};
  if (mask != full) sf.mask = mask;
  return sf;
}

Action loadReg(int n, uint64_t value, int bit_offset, int n_bits) {
  return loadField(regField(n), value, bit_offset, n_bits);
}

Action move(Field src, Field dst) {
  return Move{src, 0, dst, 0, std::min(fieldInfo(src).n_bits, fieldInfo(dst).n_bits)};
}

Action move(Field src, int src_offset, Field dst, int dst_offset, int n_bits) {
  return Move{src, static_cast<uint16_t>(src_offset), dst, static_cast<uint16_t>(dst_offset),
              static_cast<uint16_t>(n_bits)};
}

Action resubmit(uint8_t table) { return Resubmit{std::nullopt, table}; }

Action ct(bool commit, uint16_t zone, std::optional<uint8_t> table) {
  Ct c;
  c.commit = commit;
  c.zone = zone;
  c.table = table;
  return c;
}

}  // namespace alcor::openflow
