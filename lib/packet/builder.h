#pragma once

// Building whole frames: a small layer-by-layer builder plus helpers for the replies the agent
// sends (DHCP replies, ARP replies, gratuitous ARP, ICMP echo, neighbor advertisements).

#include <optional>

#include "lib/base/net_types.h"
#include "lib/packet/bytes.h"
#include "lib/packet/dhcp.h"
#include "lib/packet/ethernet.h"
#include "lib/packet/ip.h"

namespace alcor::packet {

inline constexpr MacAddress kBroadcastMac{MacAddress::Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

// Ethernet, then optionally IPv4, then optionally UDP/TCP/ICMP echo, then a payload. Lengths and
// checksums are computed by build(). Usage:
//   Bytes frame = PacketBuilder().ethernet(src, dst).ipv4(sip, dip).udp(67, 68).payload(b).build();
class PacketBuilder {
 public:
  PacketBuilder& ethernet(MacAddress src, MacAddress dst, std::optional<uint16_t> vlan_tci = {});
  PacketBuilder& ipv4(Ipv4Address src, Ipv4Address dst, uint8_t ttl = 64);
  PacketBuilder& ipv4(const Ipv4Header& header);  // protocol is set by the layer above
  PacketBuilder& udp(uint16_t src_port, uint16_t dst_port);
  PacketBuilder& tcp(const TcpHeader& header);
  PacketBuilder& icmpEcho(bool request, uint16_t identifier, uint16_t sequence);
  PacketBuilder& arp(const ArpPacket& arp);
  PacketBuilder& payload(ByteView bytes);
  // Pads frames to the 60-byte Ethernet minimum (what a NIC would put on the wire).
  PacketBuilder& padToMinimum(bool on = true);

  Bytes build() const;

 private:
  enum class L4 { kNone, kUdp, kTcp, kIcmpEcho };
  EthernetHeader eth_;
  std::optional<Ipv4Header> ip_;
  std::optional<ArpPacket> arp_;
  L4 l4_ = L4::kNone;
  uint16_t src_port_ = 0, dst_port_ = 0;
  TcpHeader tcp_;
  bool echo_request_ = true;
  uint16_t echo_id_ = 0, echo_seq_ = 0;
  Bytes payload_;
  bool pad_ = false;
};

// A DHCP reply from the server (server_mac/server_ip) addressed per RFC 2131 4.1: to the relay
// (giaddr, port 67) if set; else to ciaddr if set (and not a NAK); else broadcast when the
// client set the broadcast flag or it is a NAK; else unicast to yiaddr at chaddr.
Bytes buildDhcpReplyFrame(const DhcpMessage& reply, MacAddress server_mac, Ipv4Address server_ip);

// An ARP reply from sender (the address being resolved) to the requester.
Bytes buildArpReply(MacAddress sender_mac, Ipv4Address sender_ip, MacAddress target_mac,
                    Ipv4Address target_ip);
// A gratuitous ARP announcement (RFC 5227): broadcast request with sender IP = target IP.
Bytes buildGratuitousArp(MacAddress mac, Ipv4Address ip);
// An unsolicited neighbor advertisement (override set) to all-nodes, for IPv6 announcements.
Bytes buildUnsolicitedNeighborAdvertisement(MacAddress mac, const Ipv6Bytes& ip);

}  // namespace alcor::packet
