#pragma once

// OpenFlow actions (OpenFlow 1.5 plus the Nicira extensions OVS implements). A flow's
// instructions are apply-actions (a list of these) and an optional goto_table.

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/openflow/field.h"

namespace alcor::openflow {

// Reserved port numbers (OpenFlow 1.1+ 32-bit space).
inline constexpr uint32_t kPortMax = 0xffffff00;
inline constexpr uint32_t kPortInPort = 0xfffffff8;
inline constexpr uint32_t kPortTable = 0xfffffff9;
inline constexpr uint32_t kPortNormal = 0xfffffffa;
inline constexpr uint32_t kPortFlood = 0xfffffffb;
inline constexpr uint32_t kPortAll = 0xfffffffc;
inline constexpr uint32_t kPortController = 0xfffffffd;
inline constexpr uint32_t kPortLocal = 0xfffffffe;
inline constexpr uint32_t kPortAny = 0xffffffff;
inline constexpr uint16_t kNoBuffer = 0xffff;  // max_len: send the whole packet

struct Output {
  uint32_t port = 0;
  uint16_t max_len = kNoBuffer;  // only meaningful for the controller port
  bool operator==(const Output&) const = default;
};

struct OutputInPort {
  bool operator==(const OutputInPort&) const = default;
};

// Packet-in reasons (OFPR_*), as OVS numbers them for OpenFlow 1.4+.
enum class PacketInReason : uint8_t {
  kNoMatch = 0,  // table miss
  kAction = 1,   // controller action
  kInvalidTtl = 2,
  kActionSet = 3,
  kGroup = 4,
  kPacketOut = 5,
};

struct Controller {
  uint16_t max_len = kNoBuffer;
  std::vector<uint8_t> userdata;
  PacketInReason reason = PacketInReason::kAction;
  bool pause = false;
  bool operator==(const Controller&) const = default;
};

// set_field (mask = partial write, printed by OVS as load:/set_field with mask).
// value/mask hold the field's bytes right-aligned in a 64-bit integer (MACs as 48 bits).
struct SetField {
  Field field = Field::kReg0;
  uint64_t value = 0;
  std::optional<uint64_t> mask;
  bool operator==(const SetField&) const = default;
};

// NXAST_REG_MOVE: copies n_bits from src[src_offset..] to dst[dst_offset..].
struct Move {
  Field src = Field::kReg0;
  uint16_t src_offset = 0;
  Field dst = Field::kReg0;
  uint16_t dst_offset = 0;
  uint16_t n_bits = 0;
  bool operator==(const Move&) const = default;
};

struct PushVlan {
  uint16_t ethertype = 0x8100;
  bool operator==(const PushVlan&) const = default;
};

struct PopVlan {
  bool operator==(const PopVlan&) const = default;
};

struct Group {
  uint32_t id = 0;
  bool operator==(const Group&) const = default;
};

// resubmit([in_port],table): in_port nullopt = keep the packet's in_port ("resubmit(,T)").
struct Resubmit {
  std::optional<uint16_t> in_port;  // 16-bit OpenFlow 1.0 port space (0xfff8 = IN_PORT)
  uint8_t table = 0xff;             // 0xff = the current table
  bool operator==(const Resubmit&) const = default;
};

// ct(..., nat(...)): the simple forms. An empty Nat = "nat" (reverse translate / unNAT).
struct Nat {
  enum class Kind : uint8_t { kNone, kSrc, kDst };
  Kind kind = Kind::kNone;
  std::optional<Ipv4Address> ip_min;
  std::optional<Ipv4Address> ip_max;
  std::optional<uint16_t> port_min;
  std::optional<uint16_t> port_max;
  bool operator==(const Nat&) const = default;
};

struct Ct {
  bool commit = false;
  uint16_t zone = 0;                // immediate zone, used when zone_field is unset
  std::optional<Field> zone_field;  // zone from a 16-bit slice of this field (bits [0..15])
  std::optional<uint8_t> table;     // recirculate into this table
  std::optional<Nat> nat;
  std::vector<SetField> actions;  // exec(...): set_field on ct_mark (ct_label not modelled)
  bool operator==(const Ct&) const = default;
};

struct Conjunction {
  uint32_t id = 0;
  uint8_t clause = 0;  // 0-based on the wire; OVS prints clause+1
  uint8_t n_clauses = 0;
  bool operator==(const Conjunction&) const = default;
};

struct DecTtl {
  bool operator==(const DecTtl&) const = default;
};

using Action = std::variant<Output, OutputInPort, Controller, SetField, Move, PushVlan, PopVlan,
                            Group, Resubmit, Ct, Conjunction, DecTtl>;

// Convenience constructors.
Action output(uint32_t port);
Action controller(std::vector<uint8_t> userdata = {}, uint16_t max_len = kNoBuffer);
// Whole-field write.
Action setField(Field field, uint64_t value);
Action setField(Field field, const MacAddress& mac);
Action setField(Field field, const Ipv4Address& ip);
// Bits [bit_offset, bit_offset+n_bits) of reg n := value (OVS prints "load:").
Action loadReg(int n, uint64_t value, int bit_offset = 0, int n_bits = 32);
// Same for any field.
Action loadField(Field field, uint64_t value, int bit_offset, int n_bits);
Action move(Field src, Field dst);  // whole field
Action move(Field src, int src_offset, Field dst, int dst_offset, int n_bits);
Action resubmit(uint8_t table);
Action ct(bool commit, uint16_t zone, std::optional<uint8_t> table = std::nullopt);

// The action list in ovs-ofctl's syntax ("drop" when empty).
std::string formatActions(const std::vector<Action>& actions);
std::string formatAction(const Action& action);

}  // namespace alcor::openflow
