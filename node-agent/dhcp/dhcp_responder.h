#pragma once

// The in-agent DHCP server (ACA's DHCP is flows + a punt; ours answers in the agent from the
// GoalState's DHCP entries). The pipeline punts a pod's DHCP client packets to the agent
// (LocalServices, userdata kPuntDhcp); the reply goes back to the pod's port as a packet-out.
// The subnet's gateway is the server's identity (server id, source MAC and IP).

#include <atomic>
#include <cstdint>
#include <optional>

#include "lib/openflow/connection.h"
#include "lib/packet/dhcp.h"
#include "node-agent/dataplane/dataplane.h"

namespace alcor::agent {

struct DhcpOptions {
  uint32_t lease_seconds = 86400;
  int default_mtu = 1450;  // when the subnet sets none
};

// The reply to `request` from port `port_id`, or nullopt when nothing must be sent (RELEASE,
// DECLINE, a port without a DHCP entry, a subnet without DHCP).
std::optional<packet::DhcpMessage> answerDhcp(const packet::DhcpMessage& request,
                                              const NetworkState& state, const std::string& port_id,
                                              const DhcpOptions& options);

class DhcpResponder {
 public:
  DhcpResponder(Dataplane& dataplane, openflow::Connection& openflow, DhcpOptions options)
      : dataplane_(dataplane), openflow_(openflow), options_(options) {}

  // Packet-in handler for kPuntDhcp packets. Malformed packets are counted and dropped.
  void handlePacketIn(const openflow::PacketIn& packet_in);

  uint64_t replies() const { return replies_.load(); }
  uint64_t dropped() const { return dropped_.load(); }

 private:
  Dataplane& dataplane_;
  openflow::Connection& openflow_;
  const DhcpOptions options_;
  std::atomic<uint64_t> replies_{0};
  std::atomic<uint64_t> dropped_{0};
};

}  // namespace alcor::agent
