// Action lists and instructions on the wire: OpenFlow 1.5 actions plus the Nicira extensions
// (vendor 0x00002320) OVS uses for resubmit, move, ct, nat, conjunction and controller.

#include <cstdio>

#include "lib/openflow/codec.h"

namespace alcor::openflow::codec {
namespace {

constexpr uint32_t kNiciraVendor = 0x00002320;

enum OfpAction : uint16_t {
  kOfpatOutput = 0,
  kOfpatPushVlan = 17,
  kOfpatPopVlan = 18,
  kOfpatGroup = 22,
  kOfpatDecNwTtl = 24,
  kOfpatSetField = 25,
  kOfpatCopyField = 28,
  kOfpatExperimenter = 0xffff,
};

enum NxAction : uint16_t {
  kNxastResubmit = 1,
  kNxastRegMove = 6,
  kNxastResubmitTable = 14,
  kNxastController = 20,
  kNxastConjunction = 34,
  kNxastCt = 35,
  kNxastNat = 36,
  kNxastController2 = 37,
};

enum Controller2Prop : uint16_t {
  kPropMaxLen = 0,
  kPropControllerId = 1,
  kPropReason = 2,
  kPropUserdata = 3,
  kPropPause = 4,
};

constexpr uint16_t kCtCommit = 1;
constexpr uint8_t kCtNoRecirc = 0xff;
constexpr uint16_t kNatSrc = 1, kNatDst = 2;
constexpr uint16_t kNatIpMin = 1, kNatIpMax = 2, kNatPortMin = 16, kNatPortMax = 32;
constexpr uint16_t kPortInPort16 = 0xfff8;

// Writes an action header; the caller writes the body, then calls finish() to pad and set the
// length.
size_t begin(wire::Writer& w, uint16_t type) {
  size_t start = w.size();
  w.u16(type);
  w.u16(0);
  return start;
}
size_t beginNx(wire::Writer& w, uint16_t subtype) {
  size_t start = begin(w, kOfpatExperimenter);
  w.u32(kNiciraVendor);
  w.u16(subtype);
  return start;
}
void finish(wire::Writer& w, size_t start) {
  w.padTo8(start);
  w.patch16(start + 2, static_cast<uint16_t>(w.size() - start));
}

void encodeSetField(wire::Writer& w, const SetField& a) {
  size_t s = begin(w, kOfpatSetField);
  encodeOxm(w, a.field, a.value, a.mask);
  finish(w, s);
}

void encodeController(wire::Writer& w, const Controller& a) {
  if (a.userdata.empty() && !a.pause && a.reason == PacketInReason::kAction) {
    // The plain form, as OVS itself encodes it.
    size_t s = begin(w, kOfpatOutput);
    w.u32(kPortController);
    w.u16(a.max_len);
    finish(w, s);
    return;
  }
  size_t s = beginNx(w, kNxastController2);
  w.zeros(6);
  auto prop = [&](uint16_t type, auto&& body) {
    size_t p = w.size();
    w.u16(type);
    w.u16(0);
    body();
    w.patch16(p + 2, static_cast<uint16_t>(w.size() - p));
    w.padTo8(p);
  };
  if (a.max_len != kNoBuffer) prop(kPropMaxLen, [&] { w.u16(a.max_len); });
  if (a.reason != PacketInReason::kAction) {
    prop(kPropReason, [&] { w.u8(static_cast<uint8_t>(a.reason)); });
  }
  if (!a.userdata.empty()) prop(kPropUserdata, [&] { w.bytes(a.userdata); });
  if (a.pause) prop(kPropPause, [] {});
  finish(w, s);
}

void encodeNat(wire::Writer& w, const Nat& nat) {
  size_t s = beginNx(w, kNxastNat);
  w.zeros(2);
  uint16_t flags = nat.kind == Nat::Kind::kSrc   ? kNatSrc
                   : nat.kind == Nat::Kind::kDst ? kNatDst
                                                 : 0;
  uint16_t present = (nat.ip_min ? kNatIpMin : 0) | (nat.ip_max ? kNatIpMax : 0) |
                     (nat.port_min ? kNatPortMin : 0) | (nat.port_max ? kNatPortMax : 0);
  w.u16(flags);
  w.u16(present);
  if (nat.ip_min) w.u32(nat.ip_min->value());
  if (nat.ip_max) w.u32(nat.ip_max->value());
  if (nat.port_min) w.u16(*nat.port_min);
  if (nat.port_max) w.u16(*nat.port_max);
  finish(w, s);
}

void encodeCt(wire::Writer& w, const Ct& a) {
  size_t s = beginNx(w, kNxastCt);
  w.u16(a.commit ? kCtCommit : 0);
  if (a.zone_field) {
    w.u32(oxmHeader(*a.zone_field));
    w.u16((0 << 6) | (16 - 1));  // bits [0..15] of the field
  } else {
    w.u32(0);
    w.u16(a.zone);
  }
  w.u8(a.table.value_or(kCtNoRecirc));
  w.zeros(3);
  w.u16(0);  // alg
  if (a.nat) encodeNat(w, *a.nat);
  for (const auto& sf : a.actions) encodeSetField(w, sf);
  w.patch16(s + 2, static_cast<uint16_t>(w.size() - s));
}

void encodeOne(wire::Writer& w, const Action& action) {
  std::visit(
      [&](const auto& a) {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Output>) {
          size_t s = begin(w, kOfpatOutput);
          w.u32(a.port);
          w.u16(a.max_len);
          finish(w, s);
        } else if constexpr (std::is_same_v<T, OutputInPort>) {
          size_t s = begin(w, kOfpatOutput);
          w.u32(kPortInPort);
          w.u16(0);
          finish(w, s);
        } else if constexpr (std::is_same_v<T, Controller>) {
          encodeController(w, a);
        } else if constexpr (std::is_same_v<T, SetField>) {
          encodeSetField(w, a);
        } else if constexpr (std::is_same_v<T, Move>) {
          // OpenFlow 1.5 has copy_field; OVS rejects NXAST_REG_MOVE in 1.5 messages.
          size_t s = begin(w, kOfpatCopyField);
          w.u16(a.n_bits);
          w.u16(a.src_offset);
          w.u16(a.dst_offset);
          w.u16(0);
          w.u32(oxmHeader(a.src));
          w.u32(oxmHeader(a.dst));
          finish(w, s);
        } else if constexpr (std::is_same_v<T, PushVlan>) {
          size_t s = begin(w, kOfpatPushVlan);
          w.u16(a.ethertype);
          finish(w, s);
        } else if constexpr (std::is_same_v<T, PopVlan>) {
          finish(w, begin(w, kOfpatPopVlan));
        } else if constexpr (std::is_same_v<T, Group>) {
          size_t s = begin(w, kOfpatGroup);
          w.u32(a.id);
          finish(w, s);
        } else if constexpr (std::is_same_v<T, Resubmit>) {
          size_t s = beginNx(w, kNxastResubmitTable);
          w.u16(a.in_port.value_or(kPortInPort16));
          w.u8(a.table);
          finish(w, s);
        } else if constexpr (std::is_same_v<T, Ct>) {
          encodeCt(w, a);
        } else if constexpr (std::is_same_v<T, Conjunction>) {
          size_t s = beginNx(w, kNxastConjunction);
          w.u8(a.clause);
          w.u8(a.n_clauses);
          w.u32(a.id);
          finish(w, s);
        } else if constexpr (std::is_same_v<T, DecTtl>) {
          finish(w, begin(w, kOfpatDecNwTtl));
        }
      },
      action);
}

StatusOr<Field> headerField(uint32_t header) {
  auto f = fieldFromHeader(header);
  if (!f) {
    char buf[64];
    snprintf(buf, sizeof buf, "unsupported field 0x%08x in action", header);
    return invalidArgumentError(buf);
  }
  return *f;
}

StatusOr<Move> decodeMoveBody(wire::Reader& r) {
  Move m;
  m.n_bits = r.u16();
  m.src_offset = r.u16();
  m.dst_offset = r.u16();
  return m;
}

Status checkMove(const Move& m) {
  if (m.n_bits == 0 || m.src_offset + m.n_bits > fieldInfo(m.src).width * 8 ||
      m.dst_offset + m.n_bits > fieldInfo(m.dst).width * 8) {
    return invalidArgumentError("move bit range out of field");
  }
  return okStatus();
}

StatusOr<Controller> decodeController2(wire::Reader r) {
  Controller c;
  r.skip(6);
  while (r.ok() && r.remaining() >= 4) {
    uint16_t type = r.u16();
    uint16_t len = r.u16();
    if (len < 4) return wire::truncated("controller property");
    wire::Reader body = r.sub(len - 4);
    r.skip((8 - len % 8) % 8);
    switch (type) {
      case kPropMaxLen:
        c.max_len = body.u16();
        break;
      case kPropReason:
        c.reason = static_cast<PacketInReason>(body.u8());
        break;
      case kPropUserdata:
        c.userdata = body.rest();
        break;
      case kPropPause:
        c.pause = true;
        break;
      default:
        break;  // controller id, meter: not modelled
    }
    if (!body.ok()) return wire::truncated("controller property");
  }
  if (!r.ok()) return wire::truncated("controller2");
  return c;
}

StatusOr<Nat> decodeNat(wire::Reader r) {
  Nat nat;
  r.skip(2);
  uint16_t flags = r.u16();
  uint16_t present = r.u16();
  nat.kind = (flags & kNatSrc)   ? Nat::Kind::kSrc
             : (flags & kNatDst) ? Nat::Kind::kDst
                                 : Nat::Kind::kNone;
  if (present & kNatIpMin) nat.ip_min = Ipv4Address(r.u32());
  if (present & kNatIpMax) nat.ip_max = Ipv4Address(r.u32());
  if (present & (4 | 8)) return invalidArgumentError("IPv6 NAT ranges are not supported");
  if (present & kNatPortMin) nat.port_min = r.u16();
  if (present & kNatPortMax) nat.port_max = r.u16();
  if (!r.ok()) return wire::truncated("nat");
  return nat;
}

StatusOr<std::vector<Action>> decodeActionList(wire::Reader r, std::optional<Nat>* nat_slot);

StatusOr<Ct> decodeCt(wire::Reader r) {
  Ct ct;
  ct.commit = r.u16() & kCtCommit;
  uint32_t zone_src = r.u32();
  uint16_t zone = r.u16();
  uint8_t table = r.u8();
  r.skip(3);
  r.skip(2);  // alg
  if (!r.ok()) return wire::truncated("ct");
  if (zone_src != 0) {
    ASSIGN_OR_RETURN(Field f, headerField(zone_src));
    if (zone != 15) return invalidArgumentError("ct zone must come from bits [0..15]");
    ct.zone_field = f;
  } else {
    ct.zone = zone;
  }
  if (table != kCtNoRecirc) ct.table = table;
  ASSIGN_OR_RETURN(std::vector<Action> nested, decodeActionList(r, &ct.nat));
  for (auto& a : nested) {
    auto* sf = std::get_if<SetField>(&a);
    if (!sf) return invalidArgumentError("unsupported action nested in ct");
    ct.actions.push_back(*sf);
  }
  return ct;
}

StatusOr<Action> decodeNx(wire::Reader r, uint16_t subtype, std::optional<Nat>& nat_out) {
  switch (subtype) {
    case kNxastResubmit:
    case kNxastResubmitTable: {
      Resubmit a;
      uint16_t in_port = r.u16();
      if (in_port != kPortInPort16) a.in_port = in_port;
      a.table = subtype == kNxastResubmit ? 0xff : r.u8();
      if (!r.ok()) return wire::truncated("resubmit");
      return Action(a);
    }
    case kNxastRegMove: {
      ASSIGN_OR_RETURN(Move m, decodeMoveBody(r));
      uint32_t src = r.u32(), dst = r.u32();
      if (!r.ok()) return wire::truncated("move");
      ASSIGN_OR_RETURN(m.src, headerField(src));
      ASSIGN_OR_RETURN(m.dst, headerField(dst));
      RETURN_IF_ERROR(checkMove(m));
      return Action(m);
    }
    case kNxastController: {
      Controller c;
      c.max_len = r.u16();
      r.u16();  // controller id
      c.reason = static_cast<PacketInReason>(r.u8());
      if (!r.ok()) return wire::truncated("controller");
      return Action(c);
    }
    case kNxastController2: {
      ASSIGN_OR_RETURN(Controller c, decodeController2(r));
      return Action(c);
    }
    case kNxastConjunction: {
      Conjunction c;
      c.clause = r.u8();
      c.n_clauses = r.u8();
      c.id = r.u32();
      if (!r.ok()) return wire::truncated("conjunction");
      return Action(c);
    }
    case kNxastCt: {
      ASSIGN_OR_RETURN(Ct ct, decodeCt(r));
      return Action(ct);
    }
    case kNxastNat: {
      ASSIGN_OR_RETURN(Nat nat, decodeNat(r));
      nat_out = nat;
      return Action(DecTtl{});  // placeholder: the caller takes nat_out instead
    }
    default:
      return invalidArgumentError("unsupported Nicira action subtype " + std::to_string(subtype));
  }
}

// Decodes a list of actions. The nat action may only appear nested in ct: there `nat_slot`
// receives it; elsewhere (nat_slot null) it is an error.
StatusOr<std::vector<Action>> decodeActionList(wire::Reader r, std::optional<Nat>* nat_slot) {
  std::vector<Action> out;
  while (r.remaining() > 0) {
    uint16_t type = r.u16();
    uint16_t len = r.u16();
    if (!r.ok() || len < 8 || len % 8 != 0) return wire::truncated("action");
    wire::Reader body = r.sub(len - 4);
    if (!r.ok()) return wire::truncated("action");
    switch (type) {
      case kOfpatOutput: {
        uint32_t port = body.u32();
        uint16_t max_len = body.u16();
        if (!body.ok()) return wire::truncated("output");
        if (port == kPortInPort) {
          out.push_back(OutputInPort{});
        } else if (port == kPortController) {
          out.push_back(Controller{max_len});
        } else {
          out.push_back(Output{port, max_len});
        }
        break;
      }
      case kOfpatPushVlan:
        out.push_back(PushVlan{body.u16()});
        break;
      case kOfpatPopVlan:
        out.push_back(PopVlan{});
        break;
      case kOfpatGroup:
        out.push_back(Group{body.u32()});
        break;
      case kOfpatDecNwTtl:
        out.push_back(DecTtl{});
        break;
      case kOfpatSetField: {
        ASSIGN_OR_RETURN(std::vector<FieldValue> fields, decodeOxmFields(body));
        for (const auto& fv : fields) out.push_back(SetField{fv.field, fv.value, fv.mask});
        break;
      }
      case kOfpatCopyField: {
        ASSIGN_OR_RETURN(Move m, decodeMoveBody(body));
        body.skip(2);
        uint32_t src = body.u32(), dst = body.u32();
        if (!body.ok()) return wire::truncated("copy_field");
        ASSIGN_OR_RETURN(m.src, headerField(src));
        ASSIGN_OR_RETURN(m.dst, headerField(dst));
        RETURN_IF_ERROR(checkMove(m));
        out.push_back(m);
        break;
      }
      case kOfpatExperimenter: {
        uint32_t vendor = body.u32();
        uint16_t subtype = body.u16();
        if (!body.ok()) return wire::truncated("experimenter action");
        if (vendor != kNiciraVendor) return invalidArgumentError("unsupported experimenter action");
        std::optional<Nat> nat;
        ASSIGN_OR_RETURN(Action a, decodeNx(body, subtype, nat));
        if (nat) {
          if (!nat_slot) return invalidArgumentError("nat outside ct");
          *nat_slot = nat;
        } else {
          out.push_back(std::move(a));
        }
        break;
      }
      default:
        return invalidArgumentError("unsupported action type " + std::to_string(type));
    }
    if (!body.ok()) return wire::truncated("action");
  }
  return out;
}

}  // namespace

void encodeActions(wire::Writer& w, const std::vector<Action>& actions) {
  for (const auto& a : actions) encodeOne(w, a);
}

StatusOr<std::vector<Action>> decodeActions(wire::Reader r) { return decodeActionList(r, nullptr); }

void encodeInstructions(wire::Writer& w, const std::vector<Action>& actions,
                        std::optional<uint8_t> goto_table) {
  if (!actions.empty()) {
    size_t s = w.size();
    w.u16(4);  // OFPIT_APPLY_ACTIONS
    w.u16(0);
    w.zeros(4);
    encodeActions(w, actions);
    w.patch16(s + 2, static_cast<uint16_t>(w.size() - s));
  }
  if (goto_table) {
    w.u16(1);  // OFPIT_GOTO_TABLE
    w.u16(8);
    w.u8(*goto_table);
    w.zeros(3);
  }
}

Status decodeInstructions(wire::Reader r, std::vector<Action>& actions,
                          std::optional<uint8_t>& goto_table) {
  while (r.remaining() > 0) {
    uint16_t type = r.u16();
    uint16_t len = r.u16();
    if (!r.ok() || len < 8) return wire::truncated("instruction");
    wire::Reader body = r.sub(len - 4);
    if (!r.ok()) return wire::truncated("instruction");
    if (type == 1) {
      goto_table = body.u8();
    } else if (type == 4) {
      body.skip(4);
      ASSIGN_OR_RETURN(actions, decodeActions(body));
    } else {
      return invalidArgumentError("unsupported instruction type " + std::to_string(type));
    }
    if (!body.ok()) return wire::truncated("instruction");
  }
  return okStatus();
}

}  // namespace alcor::openflow::codec
