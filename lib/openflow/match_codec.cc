// OXM encoding of matches: Match <-> (field, value, mask) list <-> TLVs.

#include "lib/openflow/codec.h"

namespace alcor::openflow::codec {
namespace {

uint64_t toInt(const MacAddress& m) { return m.toUint64(); }
uint64_t toInt(const Ipv4Address& a) { return a.value(); }
template <class T>
uint64_t toInt(T v) {
  return static_cast<uint64_t>(v);
}

template <class T>
T fromInt(uint64_t v) {
  if constexpr (std::is_same_v<T, MacAddress>) {
    return MacAddress::fromUint64(v);
  } else if constexpr (std::is_same_v<T, Ipv4Address>) {
    return Ipv4Address(static_cast<uint32_t>(v));
  } else {
    return static_cast<T>(v);
  }
}

uint64_t fullMask(Field f) {
  int bits = fieldInfo(f).width * 8;
  return bits >= 64 ? ~uint64_t{0} : (uint64_t{1} << bits) - 1;
}

template <class T>
void add(std::vector<FieldValue>& out, Field f, const std::optional<T>& v) {
  if (v) out.push_back({f, toInt(*v), std::nullopt});
}
template <class T>
void add(std::vector<FieldValue>& out, Field f, const std::optional<Masked<T>>& v) {
  if (!v) return;
  std::optional<uint64_t> mask;
  if (v->mask && toInt(*v->mask) != fullMask(f)) mask = toInt(*v->mask);
  out.push_back({f, toInt(v->value), mask});
}

template <class T>
Status set(std::optional<T>& slot, const FieldValue& fv) {
  if (fv.mask && *fv.mask != fullMask(fv.field)) {
    return invalidArgumentError(std::string(fieldInfo(fv.field).name) + " cannot be masked");
  }
  slot = fromInt<T>(fv.value);
  return okStatus();
}
template <class T>
Status set(std::optional<Masked<T>>& slot, const FieldValue& fv) {
  Masked<T> m(fromInt<T>(fv.value));
  if (fv.mask && *fv.mask != fullMask(fv.field)) m.mask = fromInt<T>(*fv.mask);
  slot = m;
  return okStatus();
}

}  // namespace

std::vector<FieldValue> matchFields(const Match& m) {
  std::vector<FieldValue> out;
  add(out, Field::kInPort, m.in_port);
  add(out, Field::kMetadata, m.metadata);
  for (int i = 0; i < 16; ++i) add(out, regField(i), m.reg[i]);
  add(out, Field::kTunId, m.tun_id);
  add(out, Field::kTunIpv4Src, m.tun_ipv4_src);
  add(out, Field::kTunIpv4Dst, m.tun_ipv4_dst);
  add(out, Field::kCtState, m.ct_state);
  add(out, Field::kCtZone, m.ct_zone);
  add(out, Field::kCtMark, m.ct_mark);
  add(out, Field::kConjId, m.conj_id);
  add(out, Field::kEthSrc, m.eth_src);
  add(out, Field::kEthDst, m.eth_dst);
  add(out, Field::kEthType, m.eth_type);
  add(out, Field::kVlanVid, m.vlan_vid);
  add(out, Field::kIpProto, m.ip_proto);
  add(out, Field::kIpv4Src, m.ipv4_src);
  add(out, Field::kIpv4Dst, m.ipv4_dst);
  add(out, Field::kTcpSrc, m.tcp_src);
  add(out, Field::kTcpDst, m.tcp_dst);
  add(out, Field::kUdpSrc, m.udp_src);
  add(out, Field::kUdpDst, m.udp_dst);
  add(out, Field::kIcmpType, m.icmp_type);
  add(out, Field::kIcmpCode, m.icmp_code);
  add(out, Field::kArpOp, m.arp_op);
  add(out, Field::kArpSpa, m.arp_spa);
  add(out, Field::kArpTpa, m.arp_tpa);
  add(out, Field::kArpSha, m.arp_sha);
  add(out, Field::kArpTha, m.arp_tha);
  return out;
}

Status setMatchField(Match& m, const FieldValue& fv) {
  switch (fv.field) {
    case Field::kInPort:
      return set(m.in_port, fv);
    case Field::kEthSrc:
      return set(m.eth_src, fv);
    case Field::kEthDst:
      return set(m.eth_dst, fv);
    case Field::kEthType:
      return set(m.eth_type, fv);
    case Field::kVlanVid:
      return set(m.vlan_vid, fv);
    case Field::kIpProto:
      return set(m.ip_proto, fv);
    case Field::kIpv4Src:
      return set(m.ipv4_src, fv);
    case Field::kIpv4Dst:
      return set(m.ipv4_dst, fv);
    case Field::kTcpSrc:
      return set(m.tcp_src, fv);
    case Field::kTcpDst:
      return set(m.tcp_dst, fv);
    case Field::kUdpSrc:
      return set(m.udp_src, fv);
    case Field::kUdpDst:
      return set(m.udp_dst, fv);
    case Field::kIcmpType:
      return set(m.icmp_type, fv);
    case Field::kIcmpCode:
      return set(m.icmp_code, fv);
    case Field::kArpOp:
      return set(m.arp_op, fv);
    case Field::kArpSpa:
      return set(m.arp_spa, fv);
    case Field::kArpTpa:
      return set(m.arp_tpa, fv);
    case Field::kArpSha:
      return set(m.arp_sha, fv);
    case Field::kArpTha:
      return set(m.arp_tha, fv);
    case Field::kTunId:
      return set(m.tun_id, fv);
    case Field::kTunIpv4Src:
      return set(m.tun_ipv4_src, fv);
    case Field::kTunIpv4Dst:
      return set(m.tun_ipv4_dst, fv);
    case Field::kCtState:
      return set(m.ct_state, fv);
    case Field::kCtZone:
      return set(m.ct_zone, fv);
    case Field::kCtMark:
      return set(m.ct_mark, fv);
    case Field::kMetadata:
      return set(m.metadata, fv);
    case Field::kConjId:
      return set(m.conj_id, fv);
    default:
      break;
  }
  int reg = static_cast<int>(fv.field) - static_cast<int>(Field::kReg0);
  if (reg >= 0 && reg < 16) return set(m.reg[reg], fv);
  return invalidArgumentError("field cannot be matched");
}

uint32_t oxmHeader(Field field, bool has_mask) {
  const FieldInfo& info = fieldInfo(field);
  uint32_t len = info.width * (has_mask ? 2 : 1);
  return (uint32_t{info.oxm_class} << 16) | (uint32_t{info.oxm_field} << 9) |
         (has_mask ? 0x100u : 0u) | len;
}

std::optional<Field> fieldFromHeader(uint32_t header) {
  auto field = fieldFromOxm(header >> 16, (header >> 9) & 0x7f);
  if (!field) return std::nullopt;
  uint32_t len = header & 0xff;
  uint32_t width = fieldInfo(*field).width;
  if (len != ((header & 0x100) ? 2 * width : width)) return std::nullopt;
  return field;
}

void encodeOxm(wire::Writer& w, Field field, uint64_t value, std::optional<uint64_t> mask) {
  const int width = fieldInfo(field).width;
  w.u32(oxmHeader(field, mask.has_value()));
  // OXM requires value bits outside the mask to be zero.
  w.uint(mask ? (value & *mask) : value, width);
  if (mask) w.uint(*mask, width);
}

StatusOr<std::vector<FieldValue>> decodeOxmFields(wire::Reader& r) {
  constexpr uint16_t kPacketRegs = 0x8001;  // OXM_OF_PKT_REG: xregN = reg(2N) << 32 | reg(2N+1)
  wire::Reader peek = r;
  uint32_t header = peek.u32();
  if (!peek.ok()) return wire::truncated("OXM header");
  if ((header >> 16) != kPacketRegs) {
    ASSIGN_OR_RETURN(FieldValue fv, decodeOxm(r));
    return std::vector<FieldValue>{fv};
  }
  r.u32();
  const bool has_mask = header & 0x100;
  const int xreg = (header >> 9) & 0x7f;
  if ((header & 0xff) != (has_mask ? 16u : 8u) || xreg >= 8) {
    return invalidArgumentError("bad packet register OXM field");
  }
  uint64_t value = r.u64();
  uint64_t mask = has_mask ? r.u64() : ~uint64_t{0};
  if (!r.ok()) return wire::truncated("OXM field");
  std::vector<FieldValue> out;
  for (int half = 0; half < 2; ++half) {
    int shift = half == 0 ? 32 : 0;
    uint32_t m = static_cast<uint32_t>(mask >> shift);
    if (m == 0) continue;
    FieldValue fv{regField(2 * xreg + half), static_cast<uint32_t>(value >> shift), std::nullopt};
    if (m != 0xffffffffu) fv.mask = m;
    out.push_back(fv);
  }
  return out;
}

StatusOr<FieldValue> decodeOxm(wire::Reader& r) {
  uint32_t header = r.u32();
  if (!r.ok()) return wire::truncated("OXM header");
  uint32_t len = header & 0xff;
  auto field = fieldFromHeader(header);
  if (!field) {
    char buf[64];
    snprintf(buf, sizeof buf, "unsupported OXM field 0x%08x", header);
    r.skip(len);
    return invalidArgumentError(buf);
  }
  const int width = fieldInfo(*field).width;
  FieldValue fv{*field, r.uint(width), std::nullopt};
  if (header & 0x100) fv.mask = r.uint(width);
  if (!r.ok()) return wire::truncated("OXM field");
  return fv;
}

void encodeMatch(wire::Writer& w, const Match& match) {
  size_t start = w.size();
  w.u16(1);  // OFPMT_OXM
  w.u16(0);  // length, patched below
  for (const auto& fv : matchFields(match)) encodeOxm(w, fv.field, fv.value, fv.mask);
  w.patch16(start + 2, static_cast<uint16_t>(w.size() - start));
  w.padTo8(start);
}

Status decodeOxmList(wire::Reader r, Match& match) {
  while (r.remaining() > 0) {
    ASSIGN_OR_RETURN(std::vector<FieldValue> fields, decodeOxmFields(r));
    for (const auto& fv : fields) RETURN_IF_ERROR(setMatchField(match, fv));
  }
  return r.ok() ? okStatus() : wire::truncated("OXM list");
}

StatusOr<Match> decodeMatch(wire::Reader& r) {
  uint16_t type = r.u16();
  uint16_t length = r.u16();
  if (!r.ok() || length < 4) return wire::truncated("match");
  if (type != 1)
    return invalidArgumentError("match is not OXM (type " + std::to_string(type) + ")");
  wire::Reader fields = r.sub(length - 4);
  r.skip((8 - length % 8) % 8);
  if (!r.ok()) return wire::truncated("match");
  Match match;
  RETURN_IF_ERROR(decodeOxmList(fields, match));
  return match;
}

}  // namespace alcor::openflow::codec
