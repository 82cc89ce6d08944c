#include "lib/openflow/packed_flow.h"

#include "lib/openflow/codec.h"

namespace alcor::openflow {
namespace {

constexpr uint8_t kFlowModType = 14;
constexpr uint8_t kBundleAddType = 34;
// key: table, priority; value: cookie, idle and hard timeouts.
constexpr size_t kKeyHead = 3;
constexpr size_t kValueHead = 12;

std::string_view view(const std::vector<uint8_t>& bytes) {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

std::span<const uint8_t> span(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

void appendBytes(std::vector<uint8_t>& out, std::string_view s) {
  const auto* p = reinterpret_cast<const uint8_t*>(s.data());
  out.insert(out.end(), p, p + s.size());
}

void header(wire::Writer& w, uint8_t type, uint32_t xid) {
  w.u8(kOfpVersion15);
  w.u8(type);
  w.u16(0);  // length, patched
  w.u32(xid);
}

void writeKey(wire::Writer& w, uint8_t table, uint16_t priority, const Match& match) {
  w.u8(table);
  w.u16(priority);
  codec::encodeMatch(w, match);
}

}  // namespace

std::string packedKey(uint8_t table, uint16_t priority, const Match& match) {
  std::vector<uint8_t> bytes;
  bytes.reserve(64);
  wire::Writer w(bytes);
  writeKey(w, table, priority, match);
  return std::string(view(bytes));
}

std::string packedKey(const Flow& flow) { return packedKey(flow.table, flow.priority, flow.match); }

PackedFlow pack(const Flow& flow) {
  std::vector<uint8_t> bytes;
  bytes.reserve(128);
  wire::Writer w(bytes);
  writeKey(w, flow.table, flow.priority, flow.match);
  PackedFlow out;
  out.key = view(bytes);
  bytes.clear();
  w.u64(flow.cookie);
  w.u16(flow.idle_timeout);
  w.u16(flow.hard_timeout);
  codec::encodeInstructions(w, flow.actions, flow.goto_table);
  out.value = view(bytes);
  return out;
}

StatusOr<Flow> unpack(std::string_view key, std::string_view value) {
  Flow f;
  wire::Reader k(span(key));
  f.table = k.u8();
  f.priority = k.u16();
  if (!k.ok()) return wire::truncated("packed flow key");
  ASSIGN_OR_RETURN(f.match, codec::decodeMatch(k));
  if (k.remaining() != 0) return invalidArgumentError("packed flow key has trailing bytes");
  wire::Reader v(span(value));
  f.cookie = v.u64();
  f.idle_timeout = v.u16();
  f.hard_timeout = v.u16();
  if (!v.ok()) return wire::truncated("packed flow value");
  RETURN_IF_ERROR(codec::decodeInstructions(v.sub(v.remaining()), f.actions, f.goto_table));
  return f;
}

void encodeBundleAddTo(uint32_t xid, uint32_t bundle_id, uint16_t flags, const PackedFlowMod& mod,
                       std::vector<uint8_t>& out) {
  // The flow_mod body interleaves the two halves: cookie, cookie_mask, table, command, timeouts,
  // priority, buffer/out_port/out_group, flags, importance, match, instructions.
  const size_t outer = out.size();
  wire::Writer w(out);
  header(w, kBundleAddType, xid);
  w.u32(bundle_id);
  w.u16(0);
  w.u16(flags);
  const size_t inner = out.size();
  header(w, kFlowModType, xid);  // OVS wants the outer xid
  appendBytes(out, mod.value.substr(0, 8));
  w.u64(0);  // cookie_mask
  w.u8(static_cast<uint8_t>(mod.key[0]));
  w.u8(mod.command);
  appendBytes(out, mod.value.substr(8, 4));
  appendBytes(out, mod.key.substr(1, 2));
  w.u32(wire::kAny);  // buffer_id
  w.u32(wire::kAny);  // out_port
  w.u32(wire::kAny);  // out_group
  w.u16(0);           // flags
  w.u16(0);           // importance
  appendBytes(out, mod.key.substr(kKeyHead));
  appendBytes(out, mod.value.substr(kValueHead));
  w.patch16(inner + 2, static_cast<uint16_t>(out.size() - inner));
  w.patch16(outer + 2, static_cast<uint16_t>(out.size() - outer));
}

StatusOr<FlowMod> unpackFlowMod(const PackedFlowMod& mod) {
  ASSIGN_OR_RETURN(Flow flow, unpack(mod.key, mod.value));
  return FlowMod{mod.command, std::move(flow)};
}

}  // namespace alcor::openflow
