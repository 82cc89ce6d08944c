#pragma once

// Zeta in-band OAM messages (UDP payload sent by a Zeta FWD to the source host on the gateway's
// port_inband_operation port). Layout, all integers in network byte order:
//
//   offset size  field
//   0      4     op_code: 0 = flow inject, 1 = flow delete
//   -- flow key (both ops) --
//   4      4     inner source IP
//   8      4     inner destination IP
//   12     2     inner source port
//   14     2     inner destination port
//   16     1     inner IP protocol
//   17     3     VNI
//   -- inject only --
//   20     4     destination instance IP
//   24     4     destination node (host) IP
//   28     6     destination instance MAC
//   34     6     destination node MAC
//   40     2     idle timeout, seconds (0: no timeout)
//   42     2     padding (the C struct is 4-byte aligned; accepted but not required)
//
// A delete is 20 bytes, an inject 42 or 44. Anything else is rejected.

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/base/status.h"

namespace alcor::agent::zeta {

enum class OamOp : uint32_t { kInject = 0, kDelete = 1 };

struct FlowKey {
  Ipv4Address src_ip;
  Ipv4Address dst_ip;
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t protocol = 0;
  uint32_t vni = 0;
  bool operator==(const FlowKey&) const = default;
  auto operator<=>(const FlowKey&) const = default;
};

struct OamMessage {
  OamOp op = OamOp::kInject;
  FlowKey key;
  // Inject only.
  Ipv4Address instance_ip;
  Ipv4Address node_ip;
  MacAddress instance_mac;
  MacAddress node_mac;
  uint16_t idle_timeout = 0;
  bool operator==(const OamMessage&) const = default;
};

inline constexpr size_t kOamDeleteSize = 20;
inline constexpr size_t kOamInjectSize = 42;
inline constexpr size_t kOamInjectPaddedSize = 44;

StatusOr<OamMessage> decodeOam(const uint8_t* data, size_t size);
std::vector<uint8_t> encodeOam(const OamMessage& message);  // injects padded to 44 bytes
std::string formatOam(const OamMessage& message);

}  // namespace alcor::agent::zeta
