#pragma once

// DHCPv4 messages (RFC 2131/2132) with the options the agent's DHCP responder reads and writes
// decoded into typed fields. Options it does not know are kept verbatim (in order) and written
// back. Long options split over several instances (RFC 3396) are joined when parsing and split
// when serializing.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/base/status.h"
#include "lib/packet/bytes.h"

namespace alcor::packet {

inline constexpr uint16_t kDhcpServerPort = 67;
inline constexpr uint16_t kDhcpClientPort = 68;
inline constexpr uint8_t kBootRequest = 1;
inline constexpr uint8_t kBootReply = 2;
inline constexpr uint16_t kDhcpBroadcastFlag = 0x8000;
inline constexpr size_t kDhcpFixedLength = 236;  // BOOTP header before the magic cookie

enum class DhcpMessageType : uint8_t {
  kDiscover = 1,
  kOffer = 2,
  kRequest = 3,
  kDecline = 4,
  kAck = 5,
  kNak = 6,
  kRelease = 7,
  kInform = 8,
};
const char* dhcpMessageTypeName(DhcpMessageType type);

namespace dhcp_option {
inline constexpr uint8_t kPad = 0;
inline constexpr uint8_t kSubnetMask = 1;
inline constexpr uint8_t kRouter = 3;
inline constexpr uint8_t kDnsServers = 6;
inline constexpr uint8_t kHostName = 12;
inline constexpr uint8_t kDomainName = 15;
inline constexpr uint8_t kInterfaceMtu = 26;
inline constexpr uint8_t kRequestedIp = 50;
inline constexpr uint8_t kLeaseTime = 51;
inline constexpr uint8_t kMessageType = 53;
inline constexpr uint8_t kServerId = 54;
inline constexpr uint8_t kParameterRequestList = 55;
inline constexpr uint8_t kRenewalTime = 58;
inline constexpr uint8_t kRebindingTime = 59;
inline constexpr uint8_t kClientId = 61;
inline constexpr uint8_t kClasslessStaticRoutes = 121;
inline constexpr uint8_t kEnd = 255;
}  // namespace dhcp_option

struct ClasslessRoute {
  Ipv4Prefix destination;  // host bits must be zero (RFC 3442)
  Ipv4Address router;      // 0.0.0.0 = on-link
  bool operator==(const ClasslessRoute&) const = default;
};

struct DhcpOption {
  uint8_t code = 0;
  Bytes data;
  bool operator==(const DhcpOption&) const = default;
};

struct DhcpMessage {
  uint8_t op = kBootRequest;
  uint8_t htype = 1;  // Ethernet
  uint8_t hlen = 6;
  uint8_t hops = 0;
  uint32_t xid = 0;
  uint16_t secs = 0;
  uint16_t flags = 0;
  Ipv4Address ciaddr;
  Ipv4Address yiaddr;
  Ipv4Address siaddr;
  Ipv4Address giaddr;
  MacAddress chaddr;  // first 6 bytes of the 16-byte field (htype 1)
  std::string sname;  // NUL-terminated on the wire, at most 63 characters
  std::string file;   // at most 127 characters

  std::optional<DhcpMessageType> message_type;   // 53
  std::optional<Ipv4Address> requested_ip;       // 50
  std::optional<Ipv4Address> server_id;          // 54
  std::optional<uint32_t> lease_time;            // 51, seconds
  std::optional<uint32_t> renewal_time;          // 58 (T1)
  std::optional<uint32_t> rebinding_time;        // 59 (T2)
  std::optional<Ipv4Address> subnet_mask;        // 1
  std::vector<Ipv4Address> routers;              // 3
  std::vector<Ipv4Address> dns_servers;          // 6
  std::optional<std::string> domain_name;        // 15
  std::optional<std::string> host_name;          // 12
  std::optional<uint16_t> mtu;                   // 26
  std::vector<ClasslessRoute> classless_routes;  // 121
  std::vector<uint8_t> parameter_request_list;   // 55
  std::optional<Bytes> client_id;                // 61 (type byte + id)
  std::vector<DhcpOption> other_options;         // unknown codes, in wire order

  bool broadcast() const { return (flags & kDhcpBroadcastFlag) != 0; }
  bool requestsOption(uint8_t code) const;
  bool operator==(const DhcpMessage&) const = default;
};

// The BOOTP payload of a UDP datagram. Errors: truncated header, missing magic cookie, options
// running past the end, a typed option with a bad length (e.g. subnet mask of 3 bytes), bad
// RFC 3442 encoding.
StatusOr<DhcpMessage> parseDhcp(ByteView bytes);
// Options in a fixed order (53 first, as clients expect), then other_options, then END; padded
// to the BOOTP minimum of 300 bytes.
Bytes serializeDhcp(const DhcpMessage& message);

// RFC 3442 option 121 body encoding, exposed for tests and for the agent's route computation.
Bytes encodeClasslessRoutes(const std::vector<ClasslessRoute>& routes);
StatusOr<std::vector<ClasslessRoute>> decodeClasslessRoutes(ByteView data);

}  // namespace alcor::packet
