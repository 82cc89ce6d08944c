#include "lib/openflow/field.h"

#include <array>

namespace alcor::openflow {
namespace {

constexpr uint16_t kNxmOf = 0x0000;
constexpr uint16_t kNxmNx = 0x0001;
constexpr uint16_t kOxmBasic = 0x8000;

#define REG(n) \
  FieldInfo { Field::kReg##n, kNxmNx, n, 4, 32, "reg" #n, "NXM_NX_REG" #n }

// Indexed by Field. The wire identity is the one OVS itself uses for OpenFlow 1.5.
constexpr std::array<FieldInfo, static_cast<size_t>(Field::kCount)> kFields = {{
    {Field::kInPort, kOxmBasic, 0, 4, 32, "in_port", "OXM_OF_IN_PORT"},
    {Field::kEthSrc, kOxmBasic, 4, 6, 48, "eth_src", "NXM_OF_ETH_SRC"},
    {Field::kEthDst, kOxmBasic, 3, 6, 48, "eth_dst", "NXM_OF_ETH_DST"},
    {Field::kEthType, kOxmBasic, 5, 2, 16, "eth_type", "NXM_OF_ETH_TYPE"},
    {Field::kVlanVid, kOxmBasic, 6, 2, 12, "vlan_vid", "OXM_OF_VLAN_VID"},
    {Field::kIpProto, kOxmBasic, 10, 1, 8, "ip_proto", "NXM_OF_IP_PROTO"},
    {Field::kIpv4Src, kOxmBasic, 11, 4, 32, "ip_src", "NXM_OF_IP_SRC"},
    {Field::kIpv4Dst, kOxmBasic, 12, 4, 32, "ip_dst", "NXM_OF_IP_DST"},
    {Field::kTcpSrc, kOxmBasic, 13, 2, 16, "tcp_src", "NXM_OF_TCP_SRC"},
    {Field::kTcpDst, kOxmBasic, 14, 2, 16, "tcp_dst", "NXM_OF_TCP_DST"},
    {Field::kUdpSrc, kOxmBasic, 15, 2, 16, "udp_src", "NXM_OF_UDP_SRC"},
    {Field::kUdpDst, kOxmBasic, 16, 2, 16, "udp_dst", "NXM_OF_UDP_DST"},
    {Field::kIcmpType, kOxmBasic, 19, 1, 8, "icmp_type", "NXM_OF_ICMP_TYPE"},
    {Field::kIcmpCode, kOxmBasic, 20, 1, 8, "icmp_code", "NXM_OF_ICMP_CODE"},
    {Field::kArpOp, kOxmBasic, 21, 2, 16, "arp_op", "NXM_OF_ARP_OP"},
    {Field::kArpSpa, kOxmBasic, 22, 4, 32, "arp_spa", "NXM_OF_ARP_SPA"},
    {Field::kArpTpa, kOxmBasic, 23, 4, 32, "arp_tpa", "NXM_OF_ARP_TPA"},
    {Field::kArpSha, kOxmBasic, 24, 6, 48, "arp_sha", "NXM_NX_ARP_SHA"},
    {Field::kArpTha, kOxmBasic, 25, 6, 48, "arp_tha", "NXM_NX_ARP_THA"},
    {Field::kTunId, kOxmBasic, 38, 8, 64, "tun_id", "NXM_NX_TUN_ID"},
    {Field::kTunIpv4Src, kNxmNx, 31, 4, 32, "tun_src", "NXM_NX_TUN_IPV4_SRC"},
    {Field::kTunIpv4Dst, kNxmNx, 32, 4, 32, "tun_dst", "NXM_NX_TUN_IPV4_DST"},
    {Field::kCtState, kNxmNx, 105, 4, 32, "ct_state", "NXM_NX_CT_STATE"},
    {Field::kCtZone, kNxmNx, 106, 2, 16, "ct_zone", "NXM_NX_CT_ZONE"},
    {Field::kCtMark, kNxmNx, 107, 4, 32, "ct_mark", "NXM_NX_CT_MARK"},
    REG(0),
    REG(1),
    REG(2),
    REG(3),
    REG(4),
    REG(5),
    REG(6),
    REG(7),
    REG(8),
    REG(9),
    REG(10),
    REG(11),
    REG(12),
    REG(13),
    REG(14),
    REG(15),
    {Field::kMetadata, kOxmBasic, 2, 8, 64, "metadata", "OXM_OF_METADATA"},
    {Field::kConjId, kNxmNx, 37, 4, 32, "conj_id", "NXM_NX_CONJ_ID"},
}};
#undef REG

// Older NXM names OVS may use for the same fields (decode only).
struct Alias {
  uint16_t oxm_class;
  uint8_t oxm_field;
  Field field;
};
constexpr Alias kAliases[] = {
    {kNxmOf, 1, Field::kEthDst},  {kNxmOf, 2, Field::kEthSrc},    {kNxmOf, 3, Field::kEthType},
    {kNxmOf, 6, Field::kIpProto}, {kNxmOf, 7, Field::kIpv4Src},   {kNxmOf, 8, Field::kIpv4Dst},
    {kNxmOf, 9, Field::kTcpSrc},  {kNxmOf, 10, Field::kTcpDst},   {kNxmOf, 11, Field::kUdpSrc},
    {kNxmOf, 12, Field::kUdpDst}, {kNxmOf, 13, Field::kIcmpType}, {kNxmOf, 14, Field::kIcmpCode},
    {kNxmOf, 15, Field::kArpOp},  {kNxmOf, 16, Field::kArpSpa},   {kNxmOf, 17, Field::kArpTpa},
    {kNxmNx, 16, Field::kTunId},  {kNxmNx, 17, Field::kArpSha},   {kNxmNx, 18, Field::kArpTha},
};

}  // namespace

const FieldInfo& fieldInfo(Field field) { return kFields[static_cast<size_t>(field)]; }

std::optional<Field> fieldFromOxm(uint16_t oxm_class, uint8_t oxm_field) {
  for (const auto& info : kFields) {
    if (info.oxm_class == oxm_class && info.oxm_field == oxm_field) return info.field;
  }
  for (const auto& alias : kAliases) {
    if (alias.oxm_class == oxm_class && alias.oxm_field == oxm_field) return alias.field;
  }
  return std::nullopt;
}

}  // namespace alcor::openflow
