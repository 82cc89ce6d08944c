#include "node-agent/zeta/oam_codec.h"

namespace alcor::agent::zeta {
namespace {

uint32_t be32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
MacAddress mac(const uint8_t* p) { return MacAddress({p[0], p[1], p[2], p[3], p[4], p[5]}); }

void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out.push_back(static_cast<uint8_t>(v >> s));
}
void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

}  // namespace

StatusOr<OamMessage> decodeOam(const uint8_t* data, size_t size) {
  if (size < 4) return invalidArgumentError("OAM message of " + std::to_string(size) + " bytes");
  OamMessage m;
  uint32_t op = be32(data);
  if (op == 0) {
    m.op = OamOp::kInject;
    if (size != kOamInjectSize && size != kOamInjectPaddedSize) {
      return invalidArgumentError("OAM inject of " + std::to_string(size) +
                                  " bytes (want 42 or 44)");
    }
  } else if (op == 1) {
    m.op = OamOp::kDelete;
    if (size != kOamDeleteSize) {
      return invalidArgumentError("OAM delete of " + std::to_string(size) + " bytes (want 20)");
    }
  } else {
    return invalidArgumentError("unknown OAM op_code " + std::to_string(op));
  }
  m.key.src_ip = Ipv4Address(be32(data + 4));
  m.key.dst_ip = Ipv4Address(be32(data + 8));
  m.key.src_port = be16(data + 12);
  m.key.dst_port = be16(data + 14);
  m.key.protocol = data[16];
  m.key.vni = uint32_t{data[17]} << 16 | uint32_t{data[18]} << 8 | data[19];
  if (m.op == OamOp::kInject) {
    m.instance_ip = Ipv4Address(be32(data + 20));
    m.node_ip = Ipv4Address(be32(data + 24));
    m.instance_mac = mac(data + 28);
    m.node_mac = mac(data + 34);
    m.idle_timeout = be16(data + 40);
    if (m.instance_mac.isMulticast() || m.instance_mac.isZero()) {
      return invalidArgumentError("OAM inject with non-unicast instance MAC " +
                                  m.instance_mac.toString());
    }
    if (m.node_ip.isUnspecified()) return invalidArgumentError("OAM inject without node IP");
  }
  if (m.key.vni == 0) return invalidArgumentError("OAM message with VNI 0");
  return m;
}

std::vector<uint8_t> encodeOam(const OamMessage& m) {
  std::vector<uint8_t> out;
  out.reserve(kOamInjectPaddedSize);
  put32(out, static_cast<uint32_t>(m.op));
  put32(out, m.key.src_ip.value());
  put32(out, m.key.dst_ip.value());
  put16(out, m.key.src_port);
  put16(out, m.key.dst_port);
  out.push_back(m.key.protocol);
  out.push_back(static_cast<uint8_t>(m.key.vni >> 16));
  out.push_back(static_cast<uint8_t>(m.key.vni >> 8));
  out.push_back(static_cast<uint8_t>(m.key.vni));
  if (m.op == OamOp::kInject) {
    put32(out, m.instance_ip.value());
    put32(out, m.node_ip.value());
    out.insert(out.end(), m.instance_mac.bytes().begin(), m.instance_mac.bytes().end());
    out.insert(out.end(), m.node_mac.bytes().begin(), m.node_mac.bytes().end());
    put16(out, m.idle_timeout);
    out.push_back(0);
    out.push_back(0);
  }
  return out;
}

std::string formatOam(const OamMessage& m) {
  std::string key = "vni=" + std::to_string(m.key.vni) +
                    ",proto=" + std::to_string(m.key.protocol) + "," + m.key.src_ip.toString() +
                    ":" + std::to_string(m.key.src_port) + "->" + m.key.dst_ip.toString() + ":" +
                    std::to_string(m.key.dst_port);
  if (m.op == OamOp::kDelete) return "delete " + key;
  return "inject " + key + " via node " + m.node_ip.toString() + " (" + m.node_mac.toString() +
         ") to " + m.instance_ip.toString() + " (" + m.instance_mac.toString() + "), idle " +
         std::to_string(m.idle_timeout) + "s";
}

}  // namespace alcor::agent::zeta
