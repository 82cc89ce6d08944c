// Text forms of matches, actions and flows, exactly as ovs-ofctl prints them (golden tests
// compare against `ovs-ofctl dump-flows`).

#include <cstdio>

#include "lib/openflow/codec.h"
#include "lib/openflow/flow.h"

namespace alcor::openflow {
namespace {

std::string hex(uint64_t v) {
  char buf[24];
  snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string ipv4Masked(uint32_t value, std::optional<uint64_t> mask) {
  std::string s = Ipv4Address(value).toString();
  if (!mask) return s;
  uint32_t m = static_cast<uint32_t>(*mask);
  int len = __builtin_popcount(m);
  bool cidr = len == 32 || m == (len == 0 ? 0u : ~uint32_t{0} << (32 - len));
  return s + "/" + (cidr ? std::to_string(len) : Ipv4Address(m).toString());
}

std::string macMasked(uint64_t value, std::optional<uint64_t> mask) {
  std::string s = MacAddress::fromUint64(value).toString();
  if (mask) s += "/" + MacAddress::fromUint64(*mask).toString();
  return s;
}

enum class Style { kHex, kDecimal, kMac, kIpv4, kPort };

Style styleOf(Field f) {
  switch (f) {
    case Field::kEthSrc:
    case Field::kEthDst:
    case Field::kArpSha:
    case Field::kArpTha:
      return Style::kMac;
    case Field::kIpv4Src:
    case Field::kIpv4Dst:
    case Field::kArpSpa:
    case Field::kArpTpa:
    case Field::kTunIpv4Src:
    case Field::kTunIpv4Dst:
      return Style::kIpv4;
    case Field::kVlanVid:
    case Field::kIpProto:
    case Field::kTcpSrc:
    case Field::kTcpDst:
    case Field::kUdpSrc:
    case Field::kUdpDst:
    case Field::kIcmpType:
    case Field::kIcmpCode:
    case Field::kArpOp:
    case Field::kCtZone:
    case Field::kConjId:
      return Style::kDecimal;
    case Field::kInPort:
      return Style::kPort;
    default:
      return Style::kHex;
  }
}

std::string portName(uint32_t port) {
  switch (port) {
    case kPortInPort:
      return "IN_PORT";
    case kPortTable:
      return "TABLE";
    case kPortNormal:
      return "NORMAL";
    case kPortFlood:
      return "FLOOD";
    case kPortAll:
      return "ALL";
    case kPortController:
      return "CONTROLLER";
    case kPortLocal:
      return "LOCAL";
    case kPortAny:
      return "ANY";
    default:
      return std::to_string(port);
  }
}

// A field value as OVS's mf_format prints it.
std::string formatValue(Field f, uint64_t value, std::optional<uint64_t> mask) {
  switch (styleOf(f)) {
    case Style::kMac:
      return macMasked(value, mask);
    case Style::kIpv4:
      return ipv4Masked(static_cast<uint32_t>(value), mask);
    case Style::kPort:
      return portName(static_cast<uint32_t>(value));
    case Style::kDecimal:
      if (!mask) return std::to_string(value);
      return hex(value) + "/" + hex(*mask);
    case Style::kHex:
      break;
  }
  return mask ? hex(value) + "/" + hex(*mask) : hex(value);
}

std::string ctStateText(uint32_t value, uint32_t mask) {
  static const char* kNames[] = {"new", "est", "rel", "rpl", "inv", "trk", "snat", "dnat"};
  std::string s;
  for (int i = 0; i < 8; ++i) {
    if (!(mask & (1u << i))) continue;
    s += (value & (1u << i)) ? "+" : "-";
    s += kNames[i];
  }
  return s;
}

void put(std::string& out, const std::string& item) {
  if (!out.empty()) out += ',';
  out += item;
}

std::string subfield(Field f, int offset, int n_bits) {
  const FieldInfo& info = fieldInfo(f);
  std::string s(info.nxm_name);
  if (offset == 0 && n_bits == info.n_bits) return s + "[]";
  if (n_bits == 1) return s + "[" + std::to_string(offset) + "]";
  return s + "[" + std::to_string(offset) + ".." + std::to_string(offset + n_bits - 1) + "]";
}

std::string natText(const Nat& nat) {
  if (nat.kind == Nat::Kind::kNone) return "nat";
  std::string s = nat.kind == Nat::Kind::kSrc ? "nat(src=" : "nat(dst=";
  if (nat.ip_min) s += nat.ip_min->toString();
  if (nat.ip_max) s += "-" + nat.ip_max->toString();
  if (nat.port_min) s += ":" + std::to_string(*nat.port_min);
  if (nat.port_max) s += "-" + std::to_string(*nat.port_max);
  return s + ")";
}

std::string setFieldText(const SetField& a) {
  return "set_field:" + formatValue(a.field, a.value, a.mask) + "->" +
         std::string(fieldInfo(a.field).name);
}

std::string controllerText(const Controller& a) {
  if (a.userdata.empty() && !a.pause && a.reason == PacketInReason::kAction) {
    return "CONTROLLER:" + std::to_string(a.max_len);
  }
  static const char* kReasons[] = {"no_match",   "action", "invalid_ttl",
                                   "action_set", "group",  "packet_out"};
  std::string s;
  if (a.reason != PacketInReason::kAction) {
    auto r = static_cast<size_t>(a.reason);
    put(s, std::string("reason=") + (r < 6 ? kReasons[r] : std::to_string(r).c_str()));
  }
  if (a.max_len != kNoBuffer) put(s, "max_len=" + std::to_string(a.max_len));
  if (!a.userdata.empty()) {
    std::string u;
    char buf[4];
    for (uint8_t b : a.userdata) {
      snprintf(buf, sizeof buf, "%02x", b);
      if (!u.empty()) u += '.';
      u += buf;
    }
    put(s, "userdata=" + u);
  }
  if (a.pause) put(s, "pause");
  return "controller(" + s + ")";
}

std::string ctText(const Ct& a) {
  std::string s;
  if (a.commit) put(s, "commit");
  if (a.table) put(s, "table=" + std::to_string(*a.table));
  if (a.zone_field) {
    put(s, "zone=" + subfield(*a.zone_field, 0, 16));
  } else if (a.zone != 0) {
    put(s, "zone=" + std::to_string(a.zone));
  }
  if (a.nat) put(s, natText(*a.nat));
  if (!a.actions.empty()) {
    std::string e;
    for (const auto& sf : a.actions) put(e, setFieldText(sf));
    put(s, "exec(" + e + ")");
  }
  return s.empty() ? "ct" : "ct(" + s + ")";
}

}  // namespace

std::string formatAction(const Action& action) {
  return std::visit(
      [](const auto& a) -> std::string {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Output>) {
          if (a.port == kPortController) return "CONTROLLER:" + std::to_string(a.max_len);
          if (a.port < kPortMax) return "output:" + std::to_string(a.port);
          return portName(a.port);
        } else if constexpr (std::is_same_v<T, OutputInPort>) {
          return "IN_PORT";
        } else if constexpr (std::is_same_v<T, Controller>) {
          return controllerText(a);
        } else if constexpr (std::is_same_v<T, SetField>) {
          return setFieldText(a);
        } else if constexpr (std::is_same_v<T, Move>) {
          return "move:" + subfield(a.src, a.src_offset, a.n_bits) + "->" +
                 subfield(a.dst, a.dst_offset, a.n_bits);
        } else if constexpr (std::is_same_v<T, PushVlan>) {
          char buf[32];
          snprintf(buf, sizeof buf, "push_vlan:0x%04x", a.ethertype);
          return buf;
        } else if constexpr (std::is_same_v<T, PopVlan>) {
          return "pop_vlan";
        } else if constexpr (std::is_same_v<T, Group>) {
          return "group:" + std::to_string(a.id);
        } else if constexpr (std::is_same_v<T, Resubmit>) {
          std::string port = a.in_port ? std::to_string(*a.in_port) : "";
          if (a.in_port && a.table == 0xff) return "resubmit:" + port;
          return "resubmit(" + port + "," + (a.table == 0xff ? "" : std::to_string(a.table)) + ")";
        } else if constexpr (std::is_same_v<T, Ct>) {
          return ctText(a);
        } else if constexpr (std::is_same_v<T, Conjunction>) {
          return "conjunction(" + std::to_string(a.id) + "," + std::to_string(a.clause + 1) + "/" +
                 std::to_string(a.n_clauses) + ")";
        } else {
          return "dec_ttl";
        }
      },
      action);
}

std::string formatActions(const std::vector<Action>& actions) {
  if (actions.empty()) return "drop";
  std::string s;
  for (const auto& a : actions) put(s, formatAction(a));
  return s;
}

std::string formatMatch(const Match& m) {
  std::string s;
  // Collect every field once, then print in OVS's order.
  std::optional<codec::FieldValue> v[static_cast<size_t>(Field::kCount)];
  for (const auto& f : codec::matchFields(m)) v[static_cast<size_t>(f.field)] = f;
  auto get = [&](Field f) -> std::optional<codec::FieldValue>& {
    return v[static_cast<size_t>(f)];
  };
  auto emit = [&](Field f, const char* name) {
    if (auto& x = get(f)) put(s, std::string(name) + "=" + formatValue(f, x->value, x->mask));
  };

  emit(Field::kConjId, "conj_id");
  if (auto& x = get(Field::kCtState)) {
    put(s, "ct_state=" + ctStateText(static_cast<uint32_t>(x->value),
                                     static_cast<uint32_t>(x->mask.value_or(0xff))));
  }
  emit(Field::kCtZone, "ct_zone");
  emit(Field::kCtMark, "ct_mark");

  // Protocol keyword, consuming eth_type (and ip_proto for tcp/udp/icmp).
  bool consumed_type = false, consumed_proto = false;
  if (m.eth_type == kEthTypeIpv4) {
    consumed_type = true;
    if (m.ip_proto == kIpProtoTcp) {
      put(s, "tcp"), consumed_proto = true;
    } else if (m.ip_proto == kIpProtoUdp) {
      put(s, "udp"), consumed_proto = true;
    } else if (m.ip_proto == kIpProtoIcmp) {
      put(s, "icmp"), consumed_proto = true;
    } else if (m.ip_proto == 132) {
      put(s, "sctp"), consumed_proto = true;
    } else {
      put(s, "ip");
    }
  } else if (m.eth_type == kEthTypeArp) {
    consumed_type = true;
    put(s, "arp");
  }

  for (int i = 0; i < 16; ++i) {
    emit(regField(i), ("reg" + std::to_string(i)).c_str());
  }
  emit(Field::kTunId, "tun_id");
  emit(Field::kTunIpv4Src, "tun_src");
  emit(Field::kTunIpv4Dst, "tun_dst");
  emit(Field::kMetadata, "metadata");
  emit(Field::kInPort, "in_port");
  if (m.vlan_vid) {
    uint16_t value = m.vlan_vid->value;
    if (!m.vlan_vid->mask && (value & kVlanPresent)) {
      put(s, "dl_vlan=" + std::to_string(value & 0xfff));
    } else {
      char buf[48];
      uint16_t mask = m.vlan_vid->mask ? *m.vlan_vid->mask : 0x1fff;
      snprintf(buf, sizeof buf, "vlan_tci=0x%04x/0x%04x", value & mask, mask);
      put(s, buf);
    }
  }
  emit(Field::kEthSrc, "dl_src");
  emit(Field::kEthDst, "dl_dst");
  if (m.eth_type && !consumed_type) {
    char buf[24];
    snprintf(buf, sizeof buf, "dl_type=0x%04x", *m.eth_type);
    put(s, buf);
  }
  emit(Field::kIpv4Src, "nw_src");
  emit(Field::kIpv4Dst, "nw_dst");
  emit(Field::kArpSpa, "arp_spa");
  emit(Field::kArpTpa, "arp_tpa");
  if (m.ip_proto && !consumed_proto) put(s, "nw_proto=" + std::to_string(*m.ip_proto));
  emit(Field::kArpOp, "arp_op");
  emit(Field::kArpSha, "arp_sha");
  emit(Field::kArpTha, "arp_tha");
  emit(Field::kIcmpType, "icmp_type");
  emit(Field::kIcmpCode, "icmp_code");
  emit(Field::kTcpSrc, "tp_src");
  emit(Field::kUdpSrc, "tp_src");
  emit(Field::kTcpDst, "tp_dst");
  emit(Field::kUdpDst, "tp_dst");
  return s;
}

std::string formatFlow(const Flow& flow) {
  std::string s;
  if (flow.cookie) s += "cookie=" + hex(flow.cookie) + ", ";
  if (flow.table) s += "table=" + std::to_string(flow.table) + ", ";
  if (flow.idle_timeout) s += "idle_timeout=" + std::to_string(flow.idle_timeout) + ", ";
  if (flow.hard_timeout) s += "hard_timeout=" + std::to_string(flow.hard_timeout) + ", ";
  std::string match;
  if (flow.priority != kDefaultPriority) match = "priority=" + std::to_string(flow.priority);
  std::string fields = formatMatch(flow.match);
  if (!fields.empty()) put(match, fields);
  if (!match.empty()) s += match + " ";
  s += "actions=";
  if (flow.actions.empty() && !flow.goto_table) return s + "drop";
  std::string acts;
  for (const auto& a : flow.actions) put(acts, formatAction(a));
  if (flow.goto_table) put(acts, "goto_table:" + std::to_string(*flow.goto_table));
  return s + acts;
}

}  // namespace alcor::openflow
