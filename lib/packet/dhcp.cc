#include "lib/packet/dhcp.h"

#include <algorithm>
#include <map>

namespace alcor::packet {
namespace {

constexpr uint32_t kMagicCookie = 0x63825363;
constexpr size_t kSnameLength = 64;
constexpr size_t kFileLength = 128;
constexpr size_t kChaddrLength = 16;
constexpr size_t kBootpMinimumLength = 300;

namespace opt = dhcp_option;

// A NUL-terminated field; the last byte is always the terminator's place, as when writing.
std::string fixedString(ByteView field) {
  field = field.first(field.size() - 1);
  auto end = std::find(field.begin(), field.end(), uint8_t{0});
  return std::string(field.begin(), end);
}

Status optionError(uint8_t code, const std::string& what) {
  return invalidArgumentError("dhcp: option " + std::to_string(code) + ": " + what);
}

StatusOr<Ipv4Address> oneAddress(uint8_t code, const Bytes& data) {
  if (data.size() != 4) return optionError(code, "length " + std::to_string(data.size()) + " != 4");
  return Ipv4Address(loadU32(data.data()));
}

StatusOr<std::vector<Ipv4Address>> addressList(uint8_t code, const Bytes& data) {
  if (data.empty() || data.size() % 4 != 0) {
    return optionError(code, "length " + std::to_string(data.size()) + " is not a multiple of 4");
  }
  std::vector<Ipv4Address> out;
  for (size_t i = 0; i < data.size(); i += 4) out.emplace_back(loadU32(data.data() + i));
  return out;
}

StatusOr<uint32_t> seconds(uint8_t code, const Bytes& data) {
  if (data.size() != 4) return optionError(code, "length " + std::to_string(data.size()) + " != 4");
  return loadU32(data.data());
}

StatusOr<std::string> text(uint8_t code, const Bytes& data) {
  if (data.empty()) return optionError(code, "empty");
  // Some clients NUL-terminate; the terminator is not part of the name.
  auto end = std::find(data.begin(), data.end(), uint8_t{0});
  if (end == data.begin()) return optionError(code, "empty");
  return std::string(data.begin(), end);
}

// Fills the typed field for `code`, or returns false when the code is not a typed option.
StatusOr<bool> applyTypedOption(DhcpMessage& m, uint8_t code, const Bytes& data) {
  switch (code) {
    case opt::kMessageType:
      if (data.size() != 1 || data[0] < 1 || data[0] > 8) {
        return optionError(code, "not a valid DHCP message type");
      }
      m.message_type = static_cast<DhcpMessageType>(data[0]);
      return true;
    case opt::kRequestedIp: {
      ASSIGN_OR_RETURN(m.requested_ip, oneAddress(code, data));
      return true;
    }
    case opt::kServerId: {
      ASSIGN_OR_RETURN(m.server_id, oneAddress(code, data));
      return true;
    }
    case opt::kSubnetMask: {
      ASSIGN_OR_RETURN(m.subnet_mask, oneAddress(code, data));
      return true;
    }
    case opt::kLeaseTime: {
      ASSIGN_OR_RETURN(m.lease_time, seconds(code, data));
      return true;
    }
    case opt::kRenewalTime: {
      ASSIGN_OR_RETURN(m.renewal_time, seconds(code, data));
      return true;
    }
    case opt::kRebindingTime: {
      ASSIGN_OR_RETURN(m.rebinding_time, seconds(code, data));
      return true;
    }
    case opt::kRouter: {
      ASSIGN_OR_RETURN(m.routers, addressList(code, data));
      return true;
    }
    case opt::kDnsServers: {
      ASSIGN_OR_RETURN(m.dns_servers, addressList(code, data));
      return true;
    }
    case opt::kDomainName: {
      ASSIGN_OR_RETURN(m.domain_name, text(code, data));
      return true;
    }
    case opt::kHostName: {
      ASSIGN_OR_RETURN(m.host_name, text(code, data));
      return true;
    }
    case opt::kInterfaceMtu:
      if (data.size() != 2) return optionError(code, "length != 2");
      m.mtu = loadU16(data.data());
      if (*m.mtu < 68) return optionError(code, "MTU below 68");
      return true;
    case opt::kClasslessStaticRoutes: {
      ASSIGN_OR_RETURN(m.classless_routes, decodeClasslessRoutes(data));
      return true;
    }
    case opt::kParameterRequestList:
      m.parameter_request_list = data;
      return true;
    case opt::kClientId:
      if (data.size() < 2) return optionError(code, "shorter than 2 bytes");
      m.client_id = data;
      return true;
    default:
      return false;
  }
}

// Appends option `code`, split into 255-byte pieces when longer (RFC 3396).
void putOption(ByteWriter& w, uint8_t code, ByteView data) {
  do {
    size_t n = std::min<size_t>(data.size(), 255);
    w.u8(code);
    w.u8(static_cast<uint8_t>(n));
    w.append(data.first(n));
    data = data.subspan(n);
  } while (!data.empty());
}

Bytes u32Bytes(uint32_t v) {
  return {static_cast<uint8_t>(v >> 24), static_cast<uint8_t>(v >> 16),
          static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
}

Bytes addressBytes(const std::vector<Ipv4Address>& list) {
  Bytes out;
  for (const auto& a : list) {
    Bytes b = u32Bytes(a.value());
    out.insert(out.end(), b.begin(), b.end());
  }
  return out;
}

void putFixedString(ByteWriter& w, const std::string& s, size_t field) {
  size_t n = std::min(s.size(), field - 1);  // keep a NUL terminator
  w.append(ByteView(reinterpret_cast<const uint8_t*>(s.data()), n));
  w.zeros(field - n);
}

}  // namespace

const char* dhcpMessageTypeName(DhcpMessageType type) {
  switch (type) {
    case DhcpMessageType::kDiscover:
      return "DHCPDISCOVER";
    case DhcpMessageType::kOffer:
      return "DHCPOFFER";
    case DhcpMessageType::kRequest:
      return "DHCPREQUEST";
    case DhcpMessageType::kDecline:
      return "DHCPDECLINE";
    case DhcpMessageType::kAck:
      return "DHCPACK";
    case DhcpMessageType::kNak:
      return "DHCPNAK";
    case DhcpMessageType::kRelease:
      return "DHCPRELEASE";
    case DhcpMessageType::kInform:
      return "DHCPINFORM";
  }
  return "DHCP?";
}

bool DhcpMessage::requestsOption(uint8_t code) const {
  return std::find(parameter_request_list.begin(), parameter_request_list.end(), code) !=
         parameter_request_list.end();
}

Bytes encodeClasslessRoutes(const std::vector<ClasslessRoute>& routes) {
  Bytes out;
  ByteWriter w(out);
  for (const auto& r : routes) {
    int len = r.destination.length();
    w.u8(static_cast<uint8_t>(len));
    Bytes net = u32Bytes(r.destination.network().value());
    w.append(ByteView(net).first(static_cast<size_t>((len + 7) / 8)));  // significant octets only
    w.u32(r.router.value());
  }
  return out;
}

StatusOr<std::vector<ClasslessRoute>> decodeClasslessRoutes(ByteView data) {
  std::vector<ClasslessRoute> routes;
  ByteReader r(data);
  while (r.remaining() > 0) {
    uint8_t len = r.u8();
    if (len > 32) return optionError(opt::kClasslessStaticRoutes, "prefix length above 32");
    ByteView significant = r.take((len + 7) / 8);
    uint32_t router = r.u32();
    if (!r.ok()) return optionError(opt::kClasslessStaticRoutes, "truncated route");
    uint32_t net = 0;
    for (size_t i = 0; i < significant.size(); ++i) net |= uint32_t{significant[i]} << (24 - 8 * i);
    Ipv4Prefix prefix(Ipv4Address(net), len);
    if (prefix.network() != prefix.address()) {
      return optionError(opt::kClasslessStaticRoutes,
                         "destination " + prefix.toString() + " has host bits set");
    }
    routes.push_back({prefix, Ipv4Address(router)});
  }
  return routes;
}

StatusOr<DhcpMessage> parseDhcp(ByteView bytes) {
  ByteReader r(bytes);
  DhcpMessage m;
  m.op = r.u8();
  m.htype = r.u8();
  m.hlen = r.u8();
  m.hops = r.u8();
  m.xid = r.u32();
  m.secs = r.u16();
  m.flags = r.u16();
  m.ciaddr = Ipv4Address(r.u32());
  m.yiaddr = Ipv4Address(r.u32());
  m.siaddr = Ipv4Address(r.u32());
  m.giaddr = Ipv4Address(r.u32());
  ByteView chaddr = r.take(kChaddrLength);
  ByteView sname = r.take(kSnameLength);
  ByteView file = r.take(kFileLength);
  uint32_t cookie = r.u32();
  if (!r.ok()) {
    return invalidArgumentError("dhcp: message of " + std::to_string(bytes.size()) +
                                " bytes is shorter than the 240-byte header");
  }
  if (m.op != kBootRequest && m.op != kBootReply) {
    return invalidArgumentError("dhcp: op " + std::to_string(m.op) + " is neither 1 nor 2");
  }
  if (cookie != kMagicCookie) return invalidArgumentError("dhcp: missing magic cookie");
  MacAddress::Bytes mac{};
  std::copy_n(chaddr.begin(), 6, mac.begin());
  m.chaddr = MacAddress(mac);
  m.sname = fixedString(sname);
  m.file = fixedString(file);

  // Collect options first so split instances of one code are joined (RFC 3396); remember the
  // order of first appearance for the unknown ones.
  std::map<uint8_t, Bytes> values;
  std::vector<uint8_t> order;
  while (r.remaining() > 0) {
    uint8_t code = r.u8();
    if (code == opt::kPad) continue;
    if (code == opt::kEnd) break;
    uint8_t len = r.u8();
    ByteView data = r.take(len);
    if (!r.ok()) return optionError(code, "runs past the end of the message");
    auto [it, inserted] = values.try_emplace(code);
    if (inserted) order.push_back(code);
    it->second.insert(it->second.end(), data.begin(), data.end());
  }
  for (uint8_t code : order) {
    const Bytes& data = values[code];
    ASSIGN_OR_RETURN(bool typed, applyTypedOption(m, code, data));
    if (!typed) m.other_options.push_back({code, data});
  }
  return m;
}

Bytes serializeDhcp(const DhcpMessage& m) {
  Bytes out;
  out.reserve(kBootpMinimumLength + 64);
  ByteWriter w(out);
  w.u8(m.op);
  w.u8(m.htype);
  w.u8(m.hlen);
  w.u8(m.hops);
  w.u32(m.xid);
  w.u16(m.secs);
  w.u16(m.flags);
  w.u32(m.ciaddr.value());
  w.u32(m.yiaddr.value());
  w.u32(m.siaddr.value());
  w.u32(m.giaddr.value());
  w.append(m.chaddr.bytes());
  w.zeros(kChaddrLength - 6);
  putFixedString(w, m.sname, kSnameLength);
  putFixedString(w, m.file, kFileLength);
  w.u32(kMagicCookie);

  auto put = [&](uint8_t code, const Bytes& data) { putOption(w, code, data); };
  auto putText = [&](uint8_t code, const std::string& s) { put(code, Bytes(s.begin(), s.end())); };
  if (m.message_type) put(opt::kMessageType, {static_cast<uint8_t>(*m.message_type)});
  if (m.server_id) put(opt::kServerId, u32Bytes(m.server_id->value()));
  if (m.requested_ip) put(opt::kRequestedIp, u32Bytes(m.requested_ip->value()));
  if (m.lease_time) put(opt::kLeaseTime, u32Bytes(*m.lease_time));
  if (m.renewal_time) put(opt::kRenewalTime, u32Bytes(*m.renewal_time));
  if (m.rebinding_time) put(opt::kRebindingTime, u32Bytes(*m.rebinding_time));
  if (m.subnet_mask) put(opt::kSubnetMask, u32Bytes(m.subnet_mask->value()));
  if (!m.routers.empty()) put(opt::kRouter, addressBytes(m.routers));
  if (!m.dns_servers.empty()) put(opt::kDnsServers, addressBytes(m.dns_servers));
  if (m.domain_name && !m.domain_name->empty()) putText(opt::kDomainName, *m.domain_name);
  if (m.host_name && !m.host_name->empty()) putText(opt::kHostName, *m.host_name);
  if (m.mtu)
    put(opt::kInterfaceMtu, {static_cast<uint8_t>(*m.mtu >> 8), static_cast<uint8_t>(*m.mtu)});
  if (!m.classless_routes.empty()) {
    put(opt::kClasslessStaticRoutes, encodeClasslessRoutes(m.classless_routes));
  }
  if (!m.parameter_request_list.empty()) put(opt::kParameterRequestList, m.parameter_request_list);
  if (m.client_id) put(opt::kClientId, *m.client_id);
  for (const auto& o : m.other_options) {
    if (o.code != opt::kPad && o.code != opt::kEnd) put(o.code, o.data);
  }
  w.u8(opt::kEnd);
  if (out.size() < kBootpMinimumLength) w.zeros(kBootpMinimumLength - out.size());
  return out;
}

}  // namespace alcor::packet
