#include "lib/packet/packet.h"

#include <arpa/inet.h>

#include <cstring>

#include "lib/packet/dhcp.h"

namespace alcor::packet {
namespace {

Ipv6Bytes v4Bytes(Ipv4Address a) {
  Ipv6Bytes b{};
  uint32_t v = a.value();
  for (int i = 0; i < 4; ++i) b[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  return b;
}

std::string addressText(const Ipv6Bytes& b, bool v6) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(v6 ? AF_INET6 : AF_INET, b.data(), buf, sizeof buf);
  return buf;
}

const char* protocolName(uint8_t p) {
  switch (p) {
    case kIpProtoTcp:
      return "tcp";
    case kIpProtoUdp:
      return "udp";
    case kIpProtoIcmp:
      return "icmp";
    case kIpProtoIcmpv6:
      return "icmpv6";
    default:
      return nullptr;
  }
}

void setPayload(ParsedPacket& p, ByteView frame, ByteView payload) {
  p.payload_offset = static_cast<size_t>(payload.data() - frame.data());
  p.payload_length = payload.size();
}

// Parses the transport layer of an IPv4 packet; `segment` is its payload.
Status parseIpv4Transport(ParsedPacket& p, ByteView frame, ByteView segment) {
  const Ipv4Header& ip = *p.ipv4;
  switch (ip.protocol) {
    case kIpProtoUdp: {
      ASSIGN_OR_RETURN(ParsedUdp udp, parseUdp(segment));
      p.udp = udp.header;
      p.udp_checksum_ok = udpChecksumOkV4(ip.src, ip.dst, segment.first(udp.header.length));
      setPayload(p, frame, udp.payload);
      return okStatus();
    }
    case kIpProtoTcp: {
      ASSIGN_OR_RETURN(ParsedTcp tcp, parseTcp(segment));
      p.tcp = std::move(tcp.header);
      setPayload(p, frame, tcp.payload);
      return okStatus();
    }
    case kIpProtoIcmp: {
      ASSIGN_OR_RETURN(ParsedIcmp icmp, parseIcmp(segment));
      p.icmp = icmp.header;
      setPayload(p, frame, icmp.payload);
      return okStatus();
    }
    default:
      return okStatus();
  }
}

}  // namespace

std::string FiveTuple::toString() const {
  std::string out;
  const char* name = protocolName(protocol);
  out = name ? name : "proto " + std::to_string(protocol);
  bool ports = protocol == kIpProtoTcp || protocol == kIpProtoUdp;
  auto endpoint = [&](const Ipv6Bytes& a, uint16_t port) {
    std::string s = addressText(a, ipv6);
    if (!ports) return s;
    return ipv6 ? "[" + s + "]:" + std::to_string(port) : s + ":" + std::to_string(port);
  };
  return out + " " + endpoint(src, src_port) + " -> " + endpoint(dst, dst_port);
}

std::optional<FiveTuple> ParsedPacket::fiveTuple() const {
  FiveTuple t;
  if (ipv4) {
    t.src = v4Bytes(ipv4->src);
    t.dst = v4Bytes(ipv4->dst);
    t.protocol = ipv4->protocol;
  } else if (ipv6) {
    t.ipv6 = true;
    t.src = ipv6->src;
    t.dst = ipv6->dst;
    t.protocol = ipv6->next_header;
  } else {
    return std::nullopt;
  }
  if (udp) {
    t.src_port = udp->src_port;
    t.dst_port = udp->dst_port;
  } else if (tcp) {
    t.src_port = tcp->src_port;
    t.dst_port = tcp->dst_port;
  }
  return t;
}

bool ParsedPacket::isDhcp() const {
  if (!udp) return false;
  auto dhcpPort = [](uint16_t p) { return p == kDhcpServerPort || p == kDhcpClientPort; };
  return dhcpPort(udp->src_port) && dhcpPort(udp->dst_port);
}

StatusOr<ParsedPacket> parsePacket(ByteView frame) {
  ParsedPacket p;
  ASSIGN_OR_RETURN(p.ethernet, parseEthernet(frame));
  ByteView l3 = frame.subspan(p.ethernet.headerLength());
  setPayload(p, frame, l3);
  switch (p.ethernet.ether_type) {
    case kEtherTypeArp: {
      ASSIGN_OR_RETURN(p.arp, parseArp(l3));
      setPayload(p, frame, l3.subspan(kArpLength));
      return p;
    }
    case kEtherTypeIpv4: {
      ASSIGN_OR_RETURN(ParsedIpv4 ip, parseIpv4(l3));
      p.ipv4 = std::move(ip.header);
      p.ipv4_checksum_ok = ip.checksum_ok;
      setPayload(p, frame, ip.payload);
      // Only the first fragment carries the transport header.
      if (p.ipv4->fragment_offset != 0) return p;
      if (p.ipv4->more_fragments) return p;  // the transport length would not fit yet
      RETURN_IF_ERROR(parseIpv4Transport(p, frame, ip.payload));
      return p;
    }
    case kEtherTypeIpv6: {
      ASSIGN_OR_RETURN(ParsedIpv6 ip, parseIpv6(l3));
      p.ipv6 = ip.header;
      setPayload(p, frame, ip.payload);
      if (ip.header.next_header == kIpProtoIcmpv6) {
        ASSIGN_OR_RETURN(p.icmpv6, parseIcmpv6(ip.header, ip.payload));
        setPayload(p, frame, ip.payload.subspan(ip.payload.size()));
      } else if (ip.header.next_header == kIpProtoUdp) {
        ASSIGN_OR_RETURN(ParsedUdp udp, parseUdp(ip.payload));
        p.udp = udp.header;
        p.udp_checksum_ok = transportChecksumV6(ip.header.src, ip.header.dst, kIpProtoUdp,
                                                ip.payload.first(udp.header.length)) == 0;
        setPayload(p, frame, udp.payload);
      } else if (ip.header.next_header == kIpProtoTcp) {
        ASSIGN_OR_RETURN(ParsedTcp tcp, parseTcp(ip.payload));
        p.tcp = std::move(tcp.header);
        setPayload(p, frame, tcp.payload);
      }
      return p;
    }
    default:
      return p;
  }
}

}  // namespace alcor::packet
