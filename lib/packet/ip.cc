#include "lib/packet/ip.h"

#include <algorithm>

namespace alcor::packet {
namespace {

std::string lengthError(const char* layer, size_t have, size_t need) {
  return std::string(layer) + ": truncated (" + std::to_string(have) + " bytes, need " +
         std::to_string(need) + ")";
}

MacAddress macFrom(ByteView v) {
  MacAddress::Bytes b{};
  std::copy_n(v.begin(), 6, b.begin());
  return MacAddress(b);
}

}  // namespace

// ---- IPv4 ----

StatusOr<ParsedIpv4> parseIpv4(ByteView packet) {
  if (packet.size() < kIpv4MinHeaderLength) {
    return invalidArgumentError(lengthError("ipv4", packet.size(), kIpv4MinHeaderLength));
  }
  ByteReader r(packet);
  uint8_t vihl = r.u8();
  if ((vihl >> 4) != 4) return invalidArgumentError("ipv4: version is not 4");
  size_t ihl = size_t{vihl & 0x0fu} * 4;
  if (ihl < kIpv4MinHeaderLength) return invalidArgumentError("ipv4: header length below 20");
  if (packet.size() < ihl) return invalidArgumentError(lengthError("ipv4", packet.size(), ihl));
  ParsedIpv4 p;
  Ipv4Header& h = p.header;
  h.dscp_ecn = r.u8();
  h.total_length = r.u16();
  h.identification = r.u16();
  uint16_t frag = r.u16();
  h.dont_fragment = frag & 0x4000;
  h.more_fragments = frag & 0x2000;
  h.fragment_offset = frag & 0x1fff;
  h.ttl = r.u8();
  h.protocol = r.u8();
  h.checksum = r.u16();
  h.src = Ipv4Address(r.u32());
  h.dst = Ipv4Address(r.u32());
  ByteView opts = r.take(ihl - kIpv4MinHeaderLength);
  h.options.assign(opts.begin(), opts.end());
  if (h.total_length < ihl) return invalidArgumentError("ipv4: total length below header length");
  if (h.total_length > packet.size()) {
    return invalidArgumentError(lengthError("ipv4", packet.size(), h.total_length));
  }
  p.checksum_ok = internetChecksum(packet.first(ihl)) == 0;
  p.payload = packet.subspan(ihl, h.total_length - ihl);
  return p;
}

void writeIpv4(Bytes& out, const Ipv4Header& h, size_t payload_length) {
  size_t start = out.size();
  ByteWriter w(out);
  size_t options_len = h.options.size() & ~size_t{3};
  w.u8(static_cast<uint8_t>(0x40 | ((kIpv4MinHeaderLength + options_len) / 4)));
  w.u8(h.dscp_ecn);
  w.u16(static_cast<uint16_t>(kIpv4MinHeaderLength + options_len + payload_length));
  w.u16(h.identification);
  w.u16(static_cast<uint16_t>((h.dont_fragment ? 0x4000 : 0) | (h.more_fragments ? 0x2000 : 0) |
                              (h.fragment_offset & 0x1fff)));
  w.u8(h.ttl);
  w.u8(h.protocol);
  w.u16(0);
  w.u32(h.src.value());
  w.u32(h.dst.value());
  w.append(ByteView(h.options).first(options_len));
  w.patchU16(start + 10, internetChecksum(ByteView(out).subspan(start)));
}

// ---- IPv6 ----

StatusOr<ParsedIpv6> parseIpv6(ByteView packet) {
  if (packet.size() < kIpv6HeaderLength) {
    return invalidArgumentError(lengthError("ipv6", packet.size(), kIpv6HeaderLength));
  }
  ByteReader r(packet);
  uint32_t first = r.u32();
  if ((first >> 28) != 6) return invalidArgumentError("ipv6: version is not 6");
  ParsedIpv6 p;
  Ipv6Header& h = p.header;
  h.traffic_class = static_cast<uint8_t>(first >> 20);
  h.flow_label = first & 0xfffff;
  h.payload_length = r.u16();
  h.next_header = r.u8();
  h.hop_limit = r.u8();
  ByteView src = r.take(16);
  ByteView dst = r.take(16);
  std::copy(src.begin(), src.end(), h.src.begin());
  std::copy(dst.begin(), dst.end(), h.dst.begin());
  if (kIpv6HeaderLength + h.payload_length > packet.size()) {
    return invalidArgumentError(
        lengthError("ipv6", packet.size(), kIpv6HeaderLength + h.payload_length));
  }
  p.payload = packet.subspan(kIpv6HeaderLength, h.payload_length);
  return p;
}

void writeIpv6(Bytes& out, const Ipv6Header& h, size_t payload_length) {
  ByteWriter w(out);
  w.u32(uint32_t{6} << 28 | uint32_t{h.traffic_class} << 20 | (h.flow_label & 0xfffff));
  w.u16(static_cast<uint16_t>(payload_length));
  w.u8(h.next_header);
  w.u8(h.hop_limit);
  w.append(h.src);
  w.append(h.dst);
}

// ---- UDP ----

StatusOr<ParsedUdp> parseUdp(ByteView segment) {
  ByteReader r(segment);
  ParsedUdp p;
  p.header.src_port = r.u16();
  p.header.dst_port = r.u16();
  p.header.length = r.u16();
  p.header.checksum = r.u16();
  if (!r.ok()) return invalidArgumentError(lengthError("udp", segment.size(), kUdpHeaderLength));
  if (p.header.length < kUdpHeaderLength || p.header.length > segment.size()) {
    return invalidArgumentError("udp: length field " + std::to_string(p.header.length) +
                                " does not fit the " + std::to_string(segment.size()) +
                                " bytes present");
  }
  p.payload = segment.subspan(kUdpHeaderLength, p.header.length - kUdpHeaderLength);
  return p;
}

void writeUdpV4(Bytes& out, Ipv4Address src, Ipv4Address dst, uint16_t src_port, uint16_t dst_port,
                ByteView payload) {
  size_t start = out.size();
  ByteWriter w(out);
  w.u16(src_port);
  w.u16(dst_port);
  w.u16(static_cast<uint16_t>(kUdpHeaderLength + payload.size()));
  w.u16(0);
  w.append(payload);
  uint16_t sum = transportChecksumV4(src, dst, kIpProtoUdp, ByteView(out).subspan(start));
  w.patchU16(start + 6, sum == 0 ? 0xffff : sum);  // 0 would mean "no checksum"
}

bool udpChecksumOkV4(Ipv4Address src, Ipv4Address dst, ByteView segment) {
  if (segment.size() < kUdpHeaderLength) return false;
  if (loadU16(segment.data() + 6) == 0) return true;
  return transportChecksumV4(src, dst, kIpProtoUdp, segment) == 0;
}

// ---- TCP ----

StatusOr<ParsedTcp> parseTcp(ByteView segment) {
  ByteReader r(segment);
  ParsedTcp p;
  TcpHeader& h = p.header;
  h.src_port = r.u16();
  h.dst_port = r.u16();
  h.seq = r.u32();
  h.ack = r.u32();
  uint8_t offset = r.u8();
  h.flags = r.u8();
  h.window = r.u16();
  h.checksum = r.u16();
  h.urgent = r.u16();
  if (!r.ok()) {
    return invalidArgumentError(lengthError("tcp", segment.size(), kTcpMinHeaderLength));
  }
  size_t header_len = size_t{static_cast<uint8_t>(offset >> 4)} * 4;
  if (header_len < kTcpMinHeaderLength) return invalidArgumentError("tcp: data offset below 5");
  ByteView opts = r.take(header_len - kTcpMinHeaderLength);
  if (!r.ok()) return invalidArgumentError(lengthError("tcp", segment.size(), header_len));
  h.options.assign(opts.begin(), opts.end());
  p.payload = r.rest();
  return p;
}

void writeTcpV4(Bytes& out, Ipv4Address src, Ipv4Address dst, const TcpHeader& h,
                ByteView payload) {
  size_t start = out.size();
  ByteWriter w(out);
  size_t options_len = h.options.size() & ~size_t{3};
  w.u16(h.src_port);
  w.u16(h.dst_port);
  w.u32(h.seq);
  w.u32(h.ack);
  w.u8(static_cast<uint8_t>(((kTcpMinHeaderLength + options_len) / 4) << 4));
  w.u8(h.flags);
  w.u16(h.window);
  w.u16(0);
  w.u16(h.urgent);
  w.append(ByteView(h.options).first(options_len));
  w.append(payload);
  w.patchU16(start + 16, transportChecksumV4(src, dst, kIpProtoTcp, ByteView(out).subspan(start)));
}

// ---- ICMP ----

StatusOr<ParsedIcmp> parseIcmp(ByteView message) {
  ByteReader r(message);
  ParsedIcmp p;
  p.header.type = r.u8();
  p.header.code = r.u8();
  p.header.checksum = r.u16();
  p.header.rest = r.u32();
  if (!r.ok()) return invalidArgumentError(lengthError("icmp", message.size(), kIcmpHeaderLength));
  p.checksum_ok = internetChecksum(message) == 0;
  p.payload = r.rest();
  return p;
}

void writeIcmpEcho(Bytes& out, bool request, uint16_t identifier, uint16_t sequence,
                   ByteView data) {
  size_t start = out.size();
  ByteWriter w(out);
  w.u8(request ? kIcmpEchoRequest : kIcmpEchoReply);
  w.u8(0);
  w.u16(0);
  w.u16(identifier);
  w.u16(sequence);
  w.append(data);
  w.patchU16(start + 2, internetChecksum(ByteView(out).subspan(start)));
}

// ---- ICMPv6 neighbor discovery ----

namespace {
constexpr uint8_t kNdOptSourceLinkAddress = 1;
constexpr uint8_t kNdOptTargetLinkAddress = 2;
}  // namespace

StatusOr<Icmpv6Message> parseIcmpv6(const Ipv6Header& ip, ByteView message) {
  ByteReader r(message);
  Icmpv6Message m;
  m.type = r.u8();
  m.code = r.u8();
  m.checksum = r.u16();
  if (!r.ok()) return invalidArgumentError(lengthError("icmpv6", message.size(), 4));
  m.checksum_ok = transportChecksumV6(ip.src, ip.dst, kIpProtoIcmpv6, message) == 0;
  if (!m.isNeighborDiscovery()) return m;
  uint32_t flags = r.u32();
  m.router = flags & 0x80000000u;
  m.solicited = flags & 0x40000000u;
  m.override_flag = flags & 0x20000000u;
  ByteView target = r.take(16);
  if (!r.ok()) return invalidArgumentError(lengthError("icmpv6 nd", message.size(), 24));
  std::copy(target.begin(), target.end(), m.target.begin());
  while (r.remaining() > 0) {
    uint8_t type = r.u8();
    size_t len = size_t{r.u8()} * 8;
    if (!r.ok() || len == 0) return invalidArgumentError("icmpv6 nd: option of length 0");
    ByteView body = r.take(len - 2);
    if (!r.ok()) return invalidArgumentError("icmpv6 nd: option runs past the end");
    if ((type == kNdOptSourceLinkAddress || type == kNdOptTargetLinkAddress) && body.size() >= 6) {
      (type == kNdOptSourceLinkAddress ? m.source_link_address : m.target_link_address) =
          macFrom(body);
    }
  }
  return m;
}

void writeNeighborDiscovery(Bytes& out, const Ipv6Bytes& src, const Ipv6Bytes& dst,
                            const Icmpv6Message& m) {
  size_t start = out.size();
  ByteWriter w(out);
  w.u8(m.type);
  w.u8(m.code);
  w.u16(0);
  w.u32((m.router ? 0x80000000u : 0) | (m.solicited ? 0x40000000u : 0) |
        (m.override_flag ? 0x20000000u : 0));
  w.append(m.target);
  auto link_option = [&](uint8_t type, const std::optional<MacAddress>& mac) {
    if (!mac) return;
    w.u8(type);
    w.u8(1);  // 8 bytes
    w.append(mac->bytes());
  };
  link_option(kNdOptSourceLinkAddress, m.source_link_address);
  link_option(kNdOptTargetLinkAddress, m.target_link_address);
  w.patchU16(start + 2,
             transportChecksumV6(src, dst, kIpProtoIcmpv6, ByteView(out).subspan(start)));
}

}  // namespace alcor::packet
