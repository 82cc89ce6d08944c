#include "lib/packet/ethernet.h"

#include <algorithm>

namespace alcor::packet {
namespace {

MacAddress readMac(ByteReader& r) {
  ByteView v = r.take(6);
  MacAddress::Bytes b{};
  if (v.size() == 6) std::copy(v.begin(), v.end(), b.begin());
  return MacAddress(b);
}

}  // namespace

StatusOr<EthernetHeader> parseEthernet(ByteView frame) {
  ByteReader r(frame);
  EthernetHeader h;
  h.dst = readMac(r);
  h.src = readMac(r);
  h.ether_type = r.u16();
  if (h.ether_type == kEtherTypeVlan) {
    h.vlan_tci = r.u16();
    h.ether_type = r.u16();
  }
  if (!r.ok()) {
    return invalidArgumentError("ethernet: frame of " + std::to_string(frame.size()) +
                                " bytes is too short for the header");
  }
  return h;
}

void writeEthernet(Bytes& out, const EthernetHeader& h) {
  ByteWriter w(out);
  w.append(h.dst.bytes());
  w.append(h.src.bytes());
  if (h.vlan_tci) {
    w.u16(kEtherTypeVlan);
    w.u16(*h.vlan_tci);
  }
  w.u16(h.ether_type);
}

StatusOr<ArpPacket> parseArp(ByteView payload) {
  ByteReader r(payload);
  uint16_t htype = r.u16();
  uint16_t ptype = r.u16();
  uint8_t hlen = r.u8();
  uint8_t plen = r.u8();
  ArpPacket a;
  a.op = r.u16();
  a.sender_mac = readMac(r);
  a.sender_ip = Ipv4Address(r.u32());
  a.target_mac = readMac(r);
  a.target_ip = Ipv4Address(r.u32());
  if (!r.ok()) return invalidArgumentError("arp: truncated packet");
  if (htype != 1 || ptype != kEtherTypeIpv4 || hlen != 6 || plen != 4) {
    return invalidArgumentError("arp: not Ethernet/IPv4 (htype " + std::to_string(htype) +
                                ", ptype " + std::to_string(ptype) + ")");
  }
  return a;
}

void writeArp(Bytes& out, const ArpPacket& a) {
  ByteWriter w(out);
  w.u16(1);
  w.u16(kEtherTypeIpv4);
  w.u8(6);
  w.u8(4);
  w.u16(a.op);
  w.append(a.sender_mac.bytes());
  w.u32(a.sender_ip.value());
  w.append(a.target_mac.bytes());
  w.u32(a.target_ip.value());
}

}  // namespace alcor::packet
