#include "lib/packet/builder.h"

namespace alcor::packet {
namespace {

constexpr size_t kMinimumFrameLength = 60;  // without the FCS
constexpr Ipv4Address kBroadcastIp{0xffffffffu};

}  // namespace

PacketBuilder& PacketBuilder::ethernet(MacAddress src, MacAddress dst,
                                       std::optional<uint16_t> vlan_tci) {
  eth_.src = src;
  eth_.dst = dst;
  eth_.vlan_tci = vlan_tci;
  return *this;
}

PacketBuilder& PacketBuilder::ipv4(Ipv4Address src, Ipv4Address dst, uint8_t ttl) {
  Ipv4Header h;
  h.src = src;
  h.dst = dst;
  h.ttl = ttl;
  return ipv4(h);
}

PacketBuilder& PacketBuilder::ipv4(const Ipv4Header& header) {
  ip_ = header;
  arp_.reset();
  return *this;
}

PacketBuilder& PacketBuilder::udp(uint16_t src_port, uint16_t dst_port) {
  l4_ = L4::kUdp;
  src_port_ = src_port;
  dst_port_ = dst_port;
  return *this;
}

PacketBuilder& PacketBuilder::tcp(const TcpHeader& header) {
  l4_ = L4::kTcp;
  tcp_ = header;
  return *this;
}

PacketBuilder& PacketBuilder::icmpEcho(bool request, uint16_t identifier, uint16_t sequence) {
  l4_ = L4::kIcmpEcho;
  echo_request_ = request;
  echo_id_ = identifier;
  echo_seq_ = sequence;
  return *this;
}

PacketBuilder& PacketBuilder::arp(const ArpPacket& arp) {
  arp_ = arp;
  ip_.reset();
  return *this;
}

PacketBuilder& PacketBuilder::payload(ByteView bytes) {
  payload_.assign(bytes.begin(), bytes.end());
  return *this;
}

PacketBuilder& PacketBuilder::padToMinimum(bool on) {
  pad_ = on;
  return *this;
}

Bytes PacketBuilder::build() const {
  Bytes frame;
  EthernetHeader eth = eth_;
  if (arp_) {
    eth.ether_type = kEtherTypeArp;
    writeEthernet(frame, eth);
    writeArp(frame, *arp_);
  } else if (ip_) {
    eth.ether_type = kEtherTypeIpv4;
    writeEthernet(frame, eth);
    Bytes segment;
    Ipv4Header ip = *ip_;
    switch (l4_) {
      case L4::kUdp:
        ip.protocol = kIpProtoUdp;
        writeUdpV4(segment, ip.src, ip.dst, src_port_, dst_port_, payload_);
        break;
      case L4::kTcp:
        ip.protocol = kIpProtoTcp;
        writeTcpV4(segment, ip.src, ip.dst, tcp_, payload_);
        break;
      case L4::kIcmpEcho:
        ip.protocol = kIpProtoIcmp;
        writeIcmpEcho(segment, echo_request_, echo_id_, echo_seq_, payload_);
        break;
      case L4::kNone:
        segment = payload_;
        break;
    }
    writeIpv4(frame, ip, segment.size());
    frame.insert(frame.end(), segment.begin(), segment.end());
  } else {
    writeEthernet(frame, eth);
    frame.insert(frame.end(), payload_.begin(), payload_.end());
  }
  if (pad_ && frame.size() < kMinimumFrameLength) frame.resize(kMinimumFrameLength, 0);
  return frame;
}

Bytes buildDhcpReplyFrame(const DhcpMessage& reply, MacAddress server_mac, Ipv4Address server_ip) {
  bool nak = reply.message_type == DhcpMessageType::kNak;
  MacAddress dst_mac = reply.chaddr;
  Ipv4Address dst_ip = reply.yiaddr;
  uint16_t dst_port = kDhcpClientPort;
  if (!reply.giaddr.isUnspecified()) {
    // The relay's MAC is not known here: broadcast at L2, the relay picks it up by IP.
    dst_mac = kBroadcastMac;
    dst_ip = reply.giaddr;
    dst_port = kDhcpServerPort;
  } else if (!reply.ciaddr.isUnspecified() && !nak) {
    dst_ip = reply.ciaddr;
  } else if (reply.broadcast() || nak || reply.yiaddr.isUnspecified()) {
    dst_mac = kBroadcastMac;
    dst_ip = kBroadcastIp;
  }
  return PacketBuilder()
      .ethernet(server_mac, dst_mac)
      .ipv4(server_ip, dst_ip)
      .udp(kDhcpServerPort, dst_port)
      .payload(serializeDhcp(reply))
      .build();
}

Bytes buildArpReply(MacAddress sender_mac, Ipv4Address sender_ip, MacAddress target_mac,
                    Ipv4Address target_ip) {
  ArpPacket arp{kArpReply, sender_mac, sender_ip, target_mac, target_ip};
  return PacketBuilder().ethernet(sender_mac, target_mac).arp(arp).padToMinimum().build();
}

Bytes buildGratuitousArp(MacAddress mac, Ipv4Address ip) {
  ArpPacket arp{kArpRequest, mac, ip, MacAddress(), ip};
  return PacketBuilder().ethernet(mac, kBroadcastMac).arp(arp).padToMinimum().build();
}

Bytes buildUnsolicitedNeighborAdvertisement(MacAddress mac, const Ipv6Bytes& ip) {
  // All-nodes multicast ff02::1 and its Ethernet mapping 33:33:00:00:00:01 (RFC 2464).
  Ipv6Bytes all_nodes{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
  MacAddress all_nodes_mac(MacAddress::Bytes{0x33, 0x33, 0, 0, 0, 0x01});
  Icmpv6Message na;
  na.type = kIcmpv6NeighborAdvertisement;
  na.target = ip;
  na.override_flag = true;
  na.target_link_address = mac;
  Bytes icmp;
  writeNeighborDiscovery(icmp, ip, all_nodes, na);
  Ipv6Header h;
  h.next_header = kIpProtoIcmpv6;
  h.hop_limit = 255;  // required by RFC 4861 for ND messages
  h.src = ip;
  h.dst = all_nodes;
  Bytes frame;
  writeEthernet(frame, EthernetHeader{all_nodes_mac, mac, std::nullopt, kEtherTypeIpv6});
  writeIpv6(frame, h, icmp.size());
  frame.insert(frame.end(), icmp.begin(), icmp.end());
  return frame;
}

}  // namespace alcor::packet
