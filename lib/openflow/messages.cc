// Encoding and decoding of whole OpenFlow 1.5 messages (header, body). Shared pieces (matches,
// actions, instructions) live in match_codec.cc and action_codec.cc.

#include "lib/openflow/messages.h"

#include <cstdio>

#include "lib/openflow/codec.h"

namespace alcor::openflow {
namespace {

using wire::kAny;
using wire::Reader;
using wire::Writer;

constexpr uint32_t kNiciraVendor = 0x00002320;
constexpr uint32_t kNxtSetPacketInFormat = 16;
constexpr uint32_t kNxtPacketIn2 = 30;
constexpr uint16_t kMultipartFlowDesc = 1;
constexpr uint16_t kMultipartReplyMore = 1;

enum MsgType : uint8_t {
  kHello = 0,
  kError = 1,
  kEchoRequest = 2,
  kEchoReply = 3,
  kExperimenter = 4,
  kFeaturesRequest = 5,
  kFeaturesReply = 6,
  kSetConfig = 9,
  kPacketInMsg = 10,
  kPacketOutMsg = 13,
  kFlowModMsg = 14,
  kGroupModMsg = 15,
  kMultipartRequest = 18,
  kMultipartReply = 19,
  kBarrierRequest = 20,
  kBarrierReply = 21,
  kBundleControlMsg = 33,
  kBundleAddMsg = 34,
};

enum PacketIn2Prop : uint16_t {
  kPinPacket = 0,
  kPinFullLen = 1,
  kPinBufferId = 2,
  kPinTableId = 3,
  kPinCookie = 4,
  kPinReason = 5,
  kPinMetadata = 6,
  kPinUserdata = 7,
};

// Writes the 8-byte header; the length is patched by finishMessage().
size_t beginMessage(Writer& w, uint8_t version, uint8_t type, uint32_t xid) {
  size_t start = w.size();
  w.u8(version);
  w.u8(type);
  w.u16(0);
  w.u32(xid);
  return start;
}
void finishMessage(Writer& w, size_t start) {
  w.patch16(start + 2, static_cast<uint16_t>(w.size() - start));
}

void beginNicira(Writer& w, uint32_t subtype) {
  w.u32(kNiciraVendor);
  w.u32(subtype);
}

void encodeFlowModBody(Writer& w, const FlowMod& fm) {
  w.u64(fm.flow.cookie);
  w.u64(fm.cookie_mask);
  w.u8(fm.effectiveTable());
  w.u8(fm.command);
  w.u16(fm.flow.idle_timeout);
  w.u16(fm.flow.hard_timeout);
  w.u16(fm.flow.priority);
  w.u32(kAny);  // buffer_id: none
  w.u32(fm.out_port);
  w.u32(fm.out_group);
  w.u16(fm.flags);
  w.u16(0);  // importance
  codec::encodeMatch(w, fm.flow.match);
  codec::encodeInstructions(w, fm.flow.actions, fm.flow.goto_table);
}

StatusOr<FlowMod> decodeFlowModBody(Reader& r) {
  FlowMod fm;
  fm.flow.cookie = r.u64();
  fm.cookie_mask = r.u64();
  uint8_t table = r.u8();
  uint8_t command = r.u8();
  fm.flow.idle_timeout = r.u16();
  fm.flow.hard_timeout = r.u16();
  fm.flow.priority = r.u16();
  r.u32();  // buffer_id
  fm.out_port = r.u32();
  fm.out_group = r.u32();
  fm.flags = r.u16();
  r.u16();  // importance
  if (!r.ok()) return wire::truncated("flow_mod");
  if (command > FlowMod::kDeleteStrict) return invalidArgumentError("bad flow_mod command");
  fm.command = static_cast<FlowMod::Command>(command);
  fm.flow.table = table;
  ASSIGN_OR_RETURN(fm.flow.match, codec::decodeMatch(r));
  RETURN_IF_ERROR(
      codec::decodeInstructions(r.sub(r.remaining()), fm.flow.actions, fm.flow.goto_table));
  return fm;
}

void encodeGroupMod(Writer& w, const GroupMod& g) {
  w.u16(g.command);
  w.u8(g.type);
  w.u8(0);
  w.u32(g.group_id);
  size_t len_at = w.size();
  w.u16(0);  // bucket_array_len
  w.u16(0);
  w.u32(kAny);  // command_bucket_id: OFPG15_BUCKET_ALL
  size_t buckets_start = w.size();
  for (const auto& b : g.buckets) {
    size_t bs = w.size();
    w.u16(0);
    w.u16(0);
    w.u32(b.bucket_id);
    size_t as = w.size();
    codec::encodeActions(w, b.actions);
    w.patch16(bs + 2, static_cast<uint16_t>(w.size() - as));
    if (g.type == GroupMod::kSelect) {
      w.u16(0);  // OFPGBPT15_WEIGHT
      w.u16(8);
      w.u16(b.weight);
      w.u16(0);
    }
    w.patch16(bs, static_cast<uint16_t>(w.size() - bs));
  }
  w.patch16(len_at, static_cast<uint16_t>(w.size() - buckets_start));
}

StatusOr<GroupMod> decodeGroupMod(Reader& r) {
  GroupMod g;
  uint16_t command = r.u16();
  uint8_t type = r.u8();
  r.skip(1);
  g.group_id = r.u32();
  uint16_t buckets_len = r.u16();
  r.skip(6);
  if (!r.ok()) return wire::truncated("group_mod");
  if (command > GroupMod::kDelete || type > GroupMod::kFastFailover) {
    return invalidArgumentError("unsupported group_mod command or type");
  }
  g.command = static_cast<GroupMod::Command>(command);
  g.type = static_cast<GroupMod::Type>(type);
  Reader buckets = r.sub(buckets_len);
  if (!r.ok()) return wire::truncated("group buckets");
  while (buckets.remaining() > 0) {
    uint16_t len = buckets.u16();
    uint16_t actions_len = buckets.u16();
    Bucket b;
    b.bucket_id = buckets.u32();
    if (!buckets.ok() || len < 8 + actions_len) return wire::truncated("bucket");
    Reader body = buckets.sub(len - 8);
    if (!buckets.ok()) return wire::truncated("bucket");
    ASSIGN_OR_RETURN(b.actions, codec::decodeActions(body.sub(actions_len)));
    while (body.remaining() >= 4) {
      uint16_t ptype = body.u16();
      uint16_t plen = body.u16();
      if (plen < 4) return wire::truncated("bucket property");
      Reader prop = body.sub(plen - 4);
      if (ptype == 0) b.weight = prop.u16();
      if (!prop.ok() || !body.ok()) return wire::truncated("bucket property");
    }
    g.buckets.push_back(std::move(b));
  }
  return g;
}

void encodePacketIn2(Writer& w, const PacketIn& p) {
  beginNicira(w, kNxtPacketIn2);
  auto prop = [&](uint16_t type, auto&& body) {
    size_t s = w.size();
    w.u16(type);
    w.u16(0);
    body();
    w.patch16(s + 2, static_cast<uint16_t>(w.size() - s));
    w.padTo8(s);
  };
  prop(kPinPacket, [&] { w.bytes(p.data); });
  if (p.total_len && p.total_len != p.data.size()) prop(kPinFullLen, [&] { w.u32(p.total_len); });
  prop(kPinTableId, [&] { w.u8(p.table_id); });
  prop(kPinCookie, [&] {
    w.zeros(4);
    w.u64(p.cookie);
  });
  prop(kPinReason, [&] { w.u8(static_cast<uint8_t>(p.reason)); });
  prop(kPinMetadata, [&] {
    for (const auto& fv : codec::matchFields(p.match))
      codec::encodeOxm(w, fv.field, fv.value, fv.mask);
  });
  if (!p.userdata.empty()) prop(kPinUserdata, [&] { w.bytes(p.userdata); });
}

StatusOr<PacketIn> decodePacketIn2(Reader& r) {
  PacketIn p;
  bool have_full_len = false;
  while (r.remaining() > 0) {
    uint16_t type = r.u16();
    uint16_t len = r.u16();
    if (!r.ok() || len < 4) return wire::truncated("packet-in property");
    Reader body = r.sub(len - 4);
    r.skip(std::min<size_t>((8 - len % 8) % 8, r.remaining()));
    if (!r.ok()) return wire::truncated("packet-in property");
    switch (type) {
      case kPinPacket:
        p.data = body.rest();
        break;
      case kPinFullLen:
        p.total_len = body.u32(), have_full_len = true;
        break;
      case kPinTableId:
        p.table_id = body.u8();
        break;
      case kPinCookie:
        body.skip(4), p.cookie = body.u64();
        break;
      case kPinReason:
        p.reason = static_cast<PacketInReason>(body.u8());
        break;
      case kPinMetadata:
        RETURN_IF_ERROR(codec::decodeOxmList(body, p.match));
        break;
      case kPinUserdata:
        p.userdata = body.rest();
        break;
      default:
        break;  // buffer id, continuation: not used
    }
    if (!body.ok()) return wire::truncated("packet-in property");
  }
  if (!have_full_len) p.total_len = static_cast<uint32_t>(p.data.size());
  return p;
}

StatusOr<PacketIn> decodePacketIn15(Reader& r) {
  PacketIn p;
  r.u32();  // buffer_id
  p.total_len = r.u16();
  p.reason = static_cast<PacketInReason>(r.u8());
  p.table_id = r.u8();
  p.cookie = r.u64();
  if (!r.ok()) return wire::truncated("packet-in");
  ASSIGN_OR_RETURN(p.match, codec::decodeMatch(r));
  r.skip(2);
  if (!r.ok()) return wire::truncated("packet-in");
  p.data = r.rest();
  return p;
}

void encodeFlowDesc(Writer& w, const Flow& f) {
  size_t s = w.size();
  w.u16(0);
  w.u16(0);
  w.u8(f.table);
  w.u8(0);
  w.u16(f.priority);
  w.u16(f.idle_timeout);
  w.u16(f.hard_timeout);
  w.u16(0);  // flags
  w.u16(0);  // importance
  w.u64(f.cookie);
  codec::encodeMatch(w, f.match);
  w.u16(0);  // ofp_stats: reserved, length 4 (no OXS fields), padded to 8
  w.u16(4);
  w.zeros(4);
  codec::encodeInstructions(w, f.actions, f.goto_table);
  w.patch16(s, static_cast<uint16_t>(w.size() - s));
}

StatusOr<Flow> decodeFlowDesc(Reader& r) {
  uint16_t len = r.u16();
  if (!r.ok() || len < 4) return wire::truncated("flow stats");
  Reader e = r.sub(len - 2);
  if (!r.ok()) return wire::truncated("flow stats");
  Flow f;
  e.skip(2);
  f.table = e.u8();
  e.skip(1);
  f.priority = e.u16();
  f.idle_timeout = e.u16();
  f.hard_timeout = e.u16();
  e.skip(4);  // flags, importance
  f.cookie = e.u64();
  if (!e.ok()) return wire::truncated("flow stats");
  ASSIGN_OR_RETURN(f.match, codec::decodeMatch(e));
  e.skip(2);
  uint16_t stats_len = e.u16();
  if (!e.ok() || stats_len < 4) return wire::truncated("flow stats");
  e.skip(stats_len - 4 + (8 - stats_len % 8) % 8);
  if (!e.ok()) return wire::truncated("flow stats");
  RETURN_IF_ERROR(codec::decodeInstructions(e.sub(e.remaining()), f.actions, f.goto_table));
  return f;
}

void encodeBody(Writer& w, const Message& m) {
  const uint8_t v = m.version;
  std::visit(
      [&](const auto& b) {
        using T = std::decay_t<decltype(b)>;
        size_t s = 0;
        if constexpr (std::is_same_v<T, Hello>) {
          s = beginMessage(w, v, kHello, m.xid);
          w.u16(1);  // OFPHET_VERSIONBITMAP
          w.u16(8);
          w.u32(b.version_bitmap);
        } else if constexpr (std::is_same_v<T, EchoRequest>) {
          s = beginMessage(w, v, kEchoRequest, m.xid);
          w.bytes(b.data);
        } else if constexpr (std::is_same_v<T, EchoReply>) {
          s = beginMessage(w, v, kEchoReply, m.xid);
          w.bytes(b.data);
        } else if constexpr (std::is_same_v<T, FeaturesRequest>) {
          s = beginMessage(w, v, kFeaturesRequest, m.xid);
        } else if constexpr (std::is_same_v<T, FeaturesReply>) {
          s = beginMessage(w, v, kFeaturesReply, m.xid);
          w.u64(b.datapath_id);
          w.u32(b.n_buffers);
          w.u8(b.n_tables);
          w.u8(b.auxiliary_id);
          w.u16(0);
          w.u32(b.capabilities);
          w.u32(0);
        } else if constexpr (std::is_same_v<T, BarrierRequest>) {
          s = beginMessage(w, v, kBarrierRequest, m.xid);
        } else if constexpr (std::is_same_v<T, BarrierReply>) {
          s = beginMessage(w, v, kBarrierReply, m.xid);
        } else if constexpr (std::is_same_v<T, SetConfig>) {
          s = beginMessage(w, v, kSetConfig, m.xid);
          w.u16(b.flags);
          w.u16(b.miss_send_len);
        } else if constexpr (std::is_same_v<T, SetPacketInFormat>) {
          s = beginMessage(w, v, kExperimenter, m.xid);
          beginNicira(w, kNxtSetPacketInFormat);
          w.u32(b.format);
        } else if constexpr (std::is_same_v<T, Error>) {
          s = beginMessage(w, v, kError, m.xid);
          w.u16(b.type);
          w.u16(b.code);
          if (b.type == 0xffff) w.u32(b.experimenter);
          w.bytes(b.data);
        } else if constexpr (std::is_same_v<T, FlowMod>) {
          s = beginMessage(w, v, kFlowModMsg, m.xid);
          encodeFlowModBody(w, b);
        } else if constexpr (std::is_same_v<T, BundleControl>) {
          s = beginMessage(w, v, kBundleControlMsg, m.xid);
          w.u32(b.bundle_id);
          w.u16(b.type);
          w.u16(b.flags);
        } else if constexpr (std::is_same_v<T, BundleAdd>) {
          s = beginMessage(w, v, kBundleAddMsg, m.xid);
          w.u32(b.bundle_id);
          w.u16(0);
          w.u16(b.flags);
          size_t inner = beginMessage(w, v, kFlowModMsg, m.xid);  // OVS wants the outer xid
          encodeFlowModBody(w, b.flow_mod);
          finishMessage(w, inner);
        } else if constexpr (std::is_same_v<T, GroupMod>) {
          s = beginMessage(w, v, kGroupModMsg, m.xid);
          encodeGroupMod(w, b);
        } else if constexpr (std::is_same_v<T, PacketOut>) {
          s = beginMessage(w, v, kPacketOutMsg, m.xid);
          w.u32(kAny);  // buffer_id
          size_t len_at = w.size();
          w.u16(0);
          w.zeros(2);
          Match match;
          match.in_port = b.in_port;
          codec::encodeMatch(w, match);
          size_t as = w.size();
          codec::encodeActions(w, b.actions);
          w.patch16(len_at, static_cast<uint16_t>(w.size() - as));
          w.bytes(b.data);
        } else if constexpr (std::is_same_v<T, PacketIn>) {
          s = beginMessage(w, v, kExperimenter, m.xid);
          encodePacketIn2(w, b);
        } else if constexpr (std::is_same_v<T, FlowStatsRequest>) {
          s = beginMessage(w, v, kMultipartRequest, m.xid);
          w.u16(kMultipartFlowDesc);
          w.u16(0);
          w.zeros(4);
          w.u8(b.table);
          w.zeros(3);
          w.u32(kAny);  // out_port
          w.u32(kAny);  // out_group
          w.zeros(4);
          w.u64(b.cookie);
          w.u64(b.cookie_mask);
          codec::encodeMatch(w, b.match);
        } else if constexpr (std::is_same_v<T, FlowStatsReply>) {
          s = beginMessage(w, v, kMultipartReply, m.xid);
          w.u16(kMultipartFlowDesc);
          w.u16(b.more ? kMultipartReplyMore : 0);
          w.zeros(4);
          for (const auto& f : b.flows) encodeFlowDesc(w, f);
        } else if constexpr (std::is_same_v<T, Unknown>) {
          s = beginMessage(w, v, b.type, m.xid);
          if (b.type == kExperimenter) {
            w.u32(b.experimenter);
            w.u32(b.exp_type);
          }
          w.bytes(b.body);
        }
        finishMessage(w, s);
      },
      m.body);
}

StatusOr<MessageBody> decodeExperimenter(Reader& r) {
  uint32_t vendor = r.u32();
  uint32_t subtype = r.u32();
  if (!r.ok()) return wire::truncated("experimenter message");
  if (vendor == kNiciraVendor && subtype == kNxtPacketIn2) {
    ASSIGN_OR_RETURN(PacketIn p, decodePacketIn2(r));
    return MessageBody(std::move(p));
  }
  if (vendor == kNiciraVendor && subtype == kNxtSetPacketInFormat) {
    SetPacketInFormat f{r.u32()};
    if (!r.ok()) return wire::truncated("set_packet_in_format");
    return MessageBody(f);
  }
  return MessageBody(Unknown{kExperimenter, vendor, subtype, r.rest()});
}

StatusOr<MessageBody> decodeMultipart(Reader& r, bool reply) {
  const Reader whole = r;  // an unknown multipart keeps its header, so it re-encodes as it came
  uint16_t type = r.u16();
  uint16_t flags = r.u16();
  r.skip(4);
  if (!r.ok()) return wire::truncated("multipart");
  if (type != kMultipartFlowDesc) {
    Reader all = whole;
    return MessageBody(Unknown{reply ? kMultipartReply : kMultipartRequest, 0, type, all.rest()});
  }
  if (!reply) {
    FlowStatsRequest q;
    q.table = r.u8();
    r.skip(3 + 4 + 4 + 4);
    q.cookie = r.u64();
    q.cookie_mask = r.u64();
    if (!r.ok()) return wire::truncated("flow stats request");
    ASSIGN_OR_RETURN(q.match, codec::decodeMatch(r));
    return MessageBody(std::move(q));
  }
  FlowStatsReply reply_body;
  reply_body.more = flags & kMultipartReplyMore;
  while (r.remaining() > 0) {
    ASSIGN_OR_RETURN(Flow f, decodeFlowDesc(r));
    reply_body.flows.push_back(std::move(f));
  }
  return MessageBody(std::move(reply_body));
}

StatusOr<MessageBody> decodeBody(uint8_t type, uint32_t xid, Reader& r) {
  switch (type) {
    case kHello: {
      Hello h{0};
      while (r.remaining() >= 4) {
        uint16_t etype = r.u16();
        uint16_t elen = r.u16();
        if (elen < 4) return wire::truncated("hello element");
        Reader e = r.sub(elen - 4);
        r.skip(std::min<size_t>((8 - elen % 8) % 8, r.remaining()));
        if (etype == 1 && e.remaining() >= 4) h.version_bitmap = e.u32();
        if (!r.ok()) return wire::truncated("hello");
      }
      return MessageBody(h);
    }
    case kError: {
      Error e;
      e.type = r.u16();
      e.code = r.u16();
      if (e.type == 0xffff) e.experimenter = r.u32();
      if (!r.ok()) return wire::truncated("error");
      e.data = r.rest();
      return MessageBody(std::move(e));
    }
    case kEchoRequest:
      return MessageBody(EchoRequest{r.rest()});
    case kEchoReply:
      return MessageBody(EchoReply{r.rest()});
    case kExperimenter:
      return decodeExperimenter(r);
    case kFeaturesRequest:
      return MessageBody(FeaturesRequest{});
    case kFeaturesReply: {
      FeaturesReply f;
      f.datapath_id = r.u64();
      f.n_buffers = r.u32();
      f.n_tables = r.u8();
      f.auxiliary_id = r.u8();
      r.skip(2);
      f.capabilities = r.u32();
      if (!r.ok()) return wire::truncated("features reply");
      return MessageBody(f);
    }
    case kSetConfig: {
      SetConfig c;
      c.flags = r.u16();
      c.miss_send_len = r.u16();
      if (!r.ok()) return wire::truncated("set_config");
      return MessageBody(c);
    }
    case kPacketInMsg: {
      ASSIGN_OR_RETURN(PacketIn p, decodePacketIn15(r));
      return MessageBody(std::move(p));
    }
    case kPacketOutMsg: {
      PacketOut p;
      r.u32();
      uint16_t actions_len = r.u16();
      r.skip(2);
      if (!r.ok()) return wire::truncated("packet-out");
      ASSIGN_OR_RETURN(Match match, codec::decodeMatch(r));
      p.in_port = match.in_port.value_or(kPortController);
      ASSIGN_OR_RETURN(p.actions, codec::decodeActions(r.sub(actions_len)));
      if (!r.ok()) return wire::truncated("packet-out");
      p.data = r.rest();
      return MessageBody(std::move(p));
    }
    case kFlowModMsg: {
      ASSIGN_OR_RETURN(FlowMod fm, decodeFlowModBody(r));
      return MessageBody(std::move(fm));
    }
    case kGroupModMsg: {
      ASSIGN_OR_RETURN(GroupMod g, decodeGroupMod(r));
      return MessageBody(std::move(g));
    }
    case kMultipartRequest:
      return decodeMultipart(r, false);
    case kMultipartReply:
      return decodeMultipart(r, true);
    case kBarrierRequest:
      return MessageBody(BarrierRequest{});
    case kBarrierReply:
      return MessageBody(BarrierReply{});
    case kBundleControlMsg: {
      BundleControl b;
      b.bundle_id = r.u32();
      uint16_t t = r.u16();
      b.flags = r.u16();
      if (!r.ok()) return wire::truncated("bundle control");
      if (t > BundleControl::kDiscardReply) return invalidArgumentError("bad bundle control type");
      b.type = static_cast<BundleControl::Type>(t);
      return MessageBody(b);
    }
    case kBundleAddMsg: {
      BundleAdd b;
      b.bundle_id = r.u32();
      r.skip(2);
      b.flags = r.u16();
      if (!r.ok()) return wire::truncated("bundle add");
      auto rest = r.take(r.remaining());
      size_t inner_len = messageLength(rest);
      if (inner_len < kOfpHeaderLen || inner_len > rest.size())
        return wire::truncated("bundle add");
      ASSIGN_OR_RETURN(Message inner, decode(rest.first(inner_len)));
      auto* fm = std::get_if<FlowMod>(&inner.body);
      if (!fm) return invalidArgumentError("bundle add carries a message other than flow_mod");
      if (inner.xid != xid) return invalidArgumentError("bundle add inner xid differs");
      b.flow_mod = std::move(*fm);
      return MessageBody(std::move(b));
    }
    default:
      return MessageBody(Unknown{type, 0, 0, r.rest()});
  }
}

}  // namespace

size_t messageLength(std::span<const uint8_t> bytes) {
  if (bytes.size() < kOfpHeaderLen) return 0;
  return (size_t{bytes[2]} << 8) | bytes[3];
}

void encodeTo(const Message& message, std::vector<uint8_t>& out) {
  Writer w(out);
  encodeBody(w, message);
}

std::vector<uint8_t> encode(const Message& message) {
  std::vector<uint8_t> out;
  encodeTo(message, out);
  return out;
}

StatusOr<Message> decode(std::span<const uint8_t> bytes) {
  if (bytes.size() < kOfpHeaderLen) return wire::truncated("OpenFlow header");
  size_t len = messageLength(bytes);
  if (len < kOfpHeaderLen || len != bytes.size()) {
    return invalidArgumentError("OpenFlow length field " + std::to_string(len) + " but " +
                                std::to_string(bytes.size()) + " bytes given");
  }
  Message m;
  m.version = bytes[0];
  uint8_t type = bytes[1];
  m.xid = (uint32_t{bytes[4]} << 24) | (uint32_t{bytes[5]} << 16) | (uint32_t{bytes[6]} << 8) |
          bytes[7];
  if (m.version != kOfpVersion15 && type != kHello && type != kError) {
    return invalidArgumentError("unsupported OpenFlow version " + std::to_string(m.version));
  }
  Reader r(bytes.subspan(kOfpHeaderLen));
  ASSIGN_OR_RETURN(m.body, decodeBody(type, m.xid, r));
  return m;
}

std::string toHex(std::span<const uint8_t> bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string s;
  s.reserve(bytes.size() * 2);
  for (uint8_t b : bytes) {
    s += kDigits[b >> 4];
    s += kDigits[b & 15];
  }
  return s;
}

}  // namespace alcor::openflow
