#include "node-agent/dhcp/dhcp_responder.h"

#include "lib/base/logging.h"
#include "lib/packet/builder.h"
#include "lib/packet/packet.h"

namespace alcor::agent {
namespace {

using packet::DhcpMessage;
using packet::DhcpMessageType;

const DhcpEntry* entryFor(const NetworkState& state, const Port& port) {
  for (const auto& [id, entry] : state.dhcp) {
    if (entry.mac == port.mac) return &entry;
  }
  return nullptr;
}

// Option 121 replaces option 3 for clients that support it (RFC 3442), so the default route
// is repeated there.
std::vector<packet::ClasslessRoute> classlessRoutes(const Subnet& subnet) {
  std::vector<packet::ClasslessRoute> routes;
  if (subnet.host_routes.empty()) return routes;
  for (const auto& r : subnet.host_routes) {
    routes.push_back({Ipv4Prefix(r.destination.network(), r.destination.length()), r.next_hop});
  }
  if (!subnet.gateway_ip.isUnspecified()) {
    routes.push_back({Ipv4Prefix(Ipv4Address(), 0), subnet.gateway_ip});
  }
  return routes;
}

}  // namespace

std::optional<DhcpMessage> answerDhcp(const DhcpMessage& request, const NetworkState& state,
                                      const std::string& port_id, const DhcpOptions& options) {
  if (request.op != packet::kBootRequest || !request.message_type) return std::nullopt;
  auto port_it = state.ports.find(port_id);
  if (port_it == state.ports.end()) return std::nullopt;
  const Port& port = port_it->second;
  const DhcpEntry* entry = entryFor(state, port);
  if (entry == nullptr || request.chaddr != entry->mac) return std::nullopt;
  const Subnet* subnet = state.subnet(entry->subnet_id);
  if (subnet == nullptr || !subnet->dhcp_enabled || subnet->gateway_ip.isUnspecified()) {
    return std::nullopt;
  }

  DhcpMessage reply;
  reply.op = packet::kBootReply;
  reply.xid = request.xid;
  reply.flags = request.flags;
  reply.giaddr = request.giaddr;
  reply.chaddr = request.chaddr;
  reply.server_id = subnet->gateway_ip;
  reply.siaddr = subnet->gateway_ip;

  const DhcpMessageType type = *request.message_type;
  if (type == DhcpMessageType::kRequest) {
    Ipv4Address asked = request.requested_ip.value_or(request.ciaddr);
    bool for_us = !request.server_id || *request.server_id == subnet->gateway_ip;
    if (!for_us) return std::nullopt;  // the client chose another server
    if (asked != entry->ip) {
      reply.message_type = DhcpMessageType::kNak;
      return reply;
    }
    reply.message_type = DhcpMessageType::kAck;
  } else if (type == DhcpMessageType::kDiscover) {
    reply.message_type = DhcpMessageType::kOffer;
  } else if (type == DhcpMessageType::kInform) {
    reply.message_type = DhcpMessageType::kAck;
    reply.ciaddr = request.ciaddr;
  } else {
    return std::nullopt;  // RELEASE, DECLINE: nothing to answer, the address stays the port's
  }

  if (type != DhcpMessageType::kInform) {
    reply.yiaddr = entry->ip;
    reply.lease_time = options.lease_seconds;
    reply.renewal_time = options.lease_seconds / 2;
    reply.rebinding_time = options.lease_seconds / 8 * 7;
  }
  reply.subnet_mask = Ipv4Address(subnet->cidr.mask());
  reply.routers = {subnet->gateway_ip};
  reply.dns_servers = subnet->dns_servers;
  if (!subnet->domain_name.empty()) reply.domain_name = subnet->domain_name;
  if (!entry->hostname.empty()) reply.host_name = entry->hostname;
  reply.mtu = static_cast<uint16_t>(subnet->mtu > 0 ? subnet->mtu : options.default_mtu);
  reply.classless_routes = classlessRoutes(*subnet);
  return reply;
}

void DhcpResponder::handlePacketIn(const openflow::PacketIn& packet_in) {
  if (!packet_in.match.in_port) {
    ++dropped_;
    return;
  }
  const uint32_t in_port = *packet_in.match.in_port;
  auto parsed = packet::parsePacket(packet_in.data);
  if (!parsed.ok() || !parsed->udp || !parsed->ipv4) {
    ++dropped_;
    ALOG(Debug, Dhcp) << "dropping a punted frame that is not UDP/IPv4";
    return;
  }
  auto request = packet::parseDhcp(parsed->payload(packet_in.data));
  if (!request.ok()) {
    ++dropped_;
    ALOG(Debug, Dhcp) << "dropping a malformed DHCP message: " << request.status().message();
    return;
  }
  std::optional<DhcpMessage> reply;
  MacAddress server_mac;
  Ipv4Address server_ip;
  dataplane_.read([&](const NetworkState& state) {
    for (const auto& [port_id, iface] : state.interfaces) {
      if (iface.ofport != in_port) continue;
      reply = answerDhcp(*request, state, port_id, options_);
      if (reply) {
        // A reply means answerDhcp found the port, its DHCP entry and the entry's subnet.
        const Subnet* subnet = state.subnet(entryFor(state, state.ports.at(port_id))->subnet_id);
        server_mac = subnet->gateway_mac;
        server_ip = subnet->gateway_ip;
      }
      break;
    }
  });
  if (!reply) {
    ++dropped_;
    ALOG(Debug, Dhcp) << "no DHCP answer for " << request->chaddr.toString() << " on ofport "
                      << in_port;
    return;
  }
  openflow::PacketOut out;
  out.actions = {openflow::output(in_port)};
  out.data = packet::buildDhcpReplyFrame(*reply, server_mac, server_ip);
  if (Status s = openflow_.packetOut(out); !s.ok()) {
    ++dropped_;
    ALOG(Warn, Dhcp) << "packet-out of the DHCP reply failed: " << s.message();
    return;
  }
  ++replies_;
  ALOG(Info, Dhcp) << packet::dhcpMessageTypeName(*reply->message_type) << " "
                   << reply->yiaddr.toString() << " to " << reply->chaddr.toString();
}

}  // namespace alcor::agent
