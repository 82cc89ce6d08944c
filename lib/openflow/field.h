#pragma once

// The fields that set_field/load/move actions (and the match codec) address, with their OXM/NXM
// identities. One table describes each field once: wire class and id, width, and the names OVS
// prints.

#include <cstdint>
#include <optional>
#include <string_view>

namespace alcor::openflow {

enum class Field : uint8_t {
  kInPort,
  kEthSrc,
  kEthDst,
  kEthType,
  kVlanVid,
  kIpProto,
  kIpv4Src,
  kIpv4Dst,
  kTcpSrc,
  kTcpDst,
  kUdpSrc,
  kUdpDst,
  kIcmpType,
  kIcmpCode,
  kArpOp,
  kArpSpa,
  kArpTpa,
  kArpSha,
  kArpTha,
  kTunId,
  kTunIpv4Src,
  kTunIpv4Dst,
  kCtState,
  kCtZone,
  kCtMark,
  kReg0,
  kReg1,
  kReg2,
  kReg3,
  kReg4,
  kReg5,
  kReg6,
  kReg7,
  kReg8,
  kReg9,
  kReg10,
  kReg11,
  kReg12,
  kReg13,
  kReg14,
  kReg15,
  kMetadata,
  kConjId,
  kCount,
};

inline Field regField(int n) { return static_cast<Field>(static_cast<int>(Field::kReg0) + n); }

struct FieldInfo {
  Field field;
  uint16_t oxm_class;  // 0x0000 NXM_OF, 0x0001 NXM_NX, 0x8000 OPENFLOW_BASIC
  uint8_t oxm_field;
  uint8_t width;              // bytes on the wire
  uint16_t n_bits;            // significant bits (vlan_vid: 13, in_port 32 ...)
  std::string_view name;      // ovs-ofctl name in matches/set_field ("eth_src", "reg0")
  std::string_view nxm_name;  // name printed in move/load subfields ("NXM_OF_ETH_SRC")
};

const FieldInfo& fieldInfo(Field field);
// Looks a field up by its OXM/NXM class and field number (nullopt: unknown).
std::optional<Field> fieldFromOxm(uint16_t oxm_class, uint8_t oxm_field);

}  // namespace alcor::openflow
