#pragma once

// OpenFlow 1.5 messages OVS and a controller exchange, with a binary codec. decode() accepts
// untrusted bytes: anything malformed is an error, never a crash.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "lib/base/status.h"
#include "lib/openflow/flow.h"

namespace alcor::openflow {

inline constexpr uint8_t kOfpVersion15 = 0x06;
inline constexpr size_t kOfpHeaderLen = 8;

struct Hello {
  uint32_t version_bitmap = 1u << kOfpVersion15;  // versions offered
  bool operator==(const Hello&) const = default;
};
struct EchoRequest {
  std::vector<uint8_t> data;
  bool operator==(const EchoRequest&) const = default;
};
struct EchoReply {
  std::vector<uint8_t> data;
  bool operator==(const EchoReply&) const = default;
};
struct FeaturesRequest {
  bool operator==(const FeaturesRequest&) const = default;
};
struct FeaturesReply {
  uint64_t datapath_id = 0;
  uint32_t n_buffers = 0;
  uint8_t n_tables = 0;
  uint8_t auxiliary_id = 0;
  uint32_t capabilities = 0;
  bool operator==(const FeaturesReply&) const = default;
};
struct BarrierRequest {
  bool operator==(const BarrierRequest&) const = default;
};
struct BarrierReply {
  bool operator==(const BarrierReply&) const = default;
};
// OFPT_SET_CONFIG: a nonzero miss_send_len also makes OVS send packet-ins to a service
// (br.mgmt) connection.
struct SetConfig {
  uint16_t flags = 0;
  uint16_t miss_send_len = 0xffff;
  bool operator==(const SetConfig&) const = default;
};
// NXT_SET_PACKET_IN_FORMAT; format 2 = NXT_PACKET_IN2 (carries controller userdata).
struct SetPacketInFormat {
  uint32_t format = 2;
  bool operator==(const SetPacketInFormat&) const = default;
};

struct Error {
  uint16_t type = 0;
  uint16_t code = 0;
  uint32_t experimenter = 0;  // set for OFPET_EXPERIMENTER (0xffff) errors
  std::vector<uint8_t> data;  // usually the start of the offending request
  bool operator==(const Error&) const = default;
};
// "OFPBAC_BAD_OUT_PORT (type 2, code 4)", "OFPBIC_BAD_TABLE_ID (...)".
std::string errorText(const Error& error);

struct BundleControl {
  enum Type : uint16_t {
    kOpenRequest = 0,
    kOpenReply = 1,
    kCloseRequest = 2,
    kCloseReply = 3,
    kCommitRequest = 4,
    kCommitReply = 5,
    kDiscardRequest = 6,
    kDiscardReply = 7,
  };
  uint32_t bundle_id = 0;
  Type type = kOpenRequest;
  uint16_t flags = 0;  // 1 = ATOMIC, 2 = ORDERED
  bool operator==(const BundleControl&) const = default;
};
inline constexpr uint16_t kBundleAtomic = 1;
inline constexpr uint16_t kBundleOrdered = 2;

// OFPT_BUNDLE_ADD_MESSAGE carrying a flow_mod (the only inner message this library bundles).
struct BundleAdd {
  uint32_t bundle_id = 0;
  uint16_t flags = 0;
  FlowMod flow_mod;
  bool operator==(const BundleAdd&) const = default;
};

struct Bucket {
  uint32_t bucket_id = 0;
  uint16_t weight = 0;  // select groups
  std::vector<Action> actions;
  bool operator==(const Bucket&) const = default;
};
struct GroupMod {
  enum Command : uint16_t { kAdd = 0, kModify = 1, kDelete = 2 };
  enum Type : uint8_t { kAll = 0, kSelect = 1, kIndirect = 2, kFastFailover = 3 };
  Command command = kAdd;
  Type type = kAll;
  uint32_t group_id = 0;  // 0xfffffffc = OFPG_ALL (delete every group)
  std::vector<Bucket> buckets;
  bool operator==(const GroupMod&) const = default;
};
inline constexpr uint32_t kGroupAll = 0xfffffffc;

struct PacketOut {
  uint32_t in_port = 0xfffffffd;  // OFPP_CONTROLLER
  std::vector<Action> actions;
  std::vector<uint8_t> data;  // the whole frame (no buffering)
  bool operator==(const PacketOut&) const = default;
};

// A packet-in (NXT_PACKET_IN2 or OFPT_PACKET_IN, decoded to the same shape).
struct PacketIn {
  uint8_t table_id = 0;
  uint64_t cookie = 0;
  PacketInReason reason = PacketInReason::kNoMatch;
  Match match;  // pipeline metadata: in_port, regs, metadata, tun_id ...
  uint32_t total_len = 0;
  std::vector<uint8_t> data;
  std::vector<uint8_t> userdata;  // controller(userdata=...)
  bool operator==(const PacketIn&) const = default;
};

struct FlowStatsRequest {
  uint8_t table = kTableAll;
  uint64_t cookie = 0;
  uint64_t cookie_mask = 0;
  Match match;  // empty = every flow
  bool operator==(const FlowStatsRequest&) const = default;
};
struct FlowStatsReply {
  std::vector<Flow> flows;
  bool more = false;  // OFPMPF_REPLY_MORE: further replies with the same xid follow
  bool operator==(const FlowStatsReply&) const = default;
};

// Anything else that arrived well-formed (port status, role status, ...), kept as its type.
struct Unknown {
  uint8_t type = 0;
  uint32_t experimenter = 0;
  uint32_t exp_type = 0;
  std::vector<uint8_t> body;
  bool operator==(const Unknown&) const = default;
};

using MessageBody = std::variant<Hello, EchoRequest, EchoReply, FeaturesRequest, FeaturesReply,
                                 BarrierRequest, BarrierReply, SetConfig, SetPacketInFormat, Error,
                                 FlowMod, BundleControl, BundleAdd, GroupMod, PacketOut, PacketIn,
                                 FlowStatsRequest, FlowStatsReply, Unknown>;

struct Message {
  uint32_t xid = 0;
  MessageBody body;
  uint8_t version = kOfpVersion15;
  bool operator==(const Message&) const = default;
};

// Appends the encoded message to `out` (lets callers batch many messages into one buffer).
void encodeTo(const Message& message, std::vector<uint8_t>& out);
std::vector<uint8_t> encode(const Message& message);
// Decodes exactly one message; `bytes` must hold exactly its length.
StatusOr<Message> decode(std::span<const uint8_t> bytes);
// The length announced by a header (0 if fewer than 8 bytes are given).
size_t messageLength(std::span<const uint8_t> bytes);

std::string toHex(std::span<const uint8_t> bytes);

}  // namespace alcor::openflow
