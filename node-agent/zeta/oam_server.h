#pragma once

// Receives Zeta OAM messages and turns them into direct-path flows (docs/design/zeta.md).
//
// OamHandler is the socket-free logic: decode (oam_codec.h), check the message against the
// agent's state, install or remove the flow. A message is accepted only when its VNI belongs to a
// VPC with a ZETA gateway and a local port, it came from one of that gateway's FWDs, and it
// arrived on the gateway's OAM port; everything else is counted and dropped.
//
// OamServer owns the UDP sockets: one per OAM port in use, bound to the node IP (which lives on a
// host interface, br-phy or the NIC, so an ordinary socket sees the FWD's datagrams without any
// OVS flow). It re-reads the state every `refresh` to open/close ports and prune direct paths of
// VNIs that are gone.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "lib/base/net_types.h"
#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "node-agent/dataplane/dataplane.h"
#include "node-agent/zeta/direct_paths.h"
#include "node-agent/zeta/oam_codec.h"

namespace alcor::agent::zeta {

struct OamStats {
  uint64_t received = 0;
  uint64_t injected = 0;    // direct paths installed
  uint64_t deleted = 0;     // direct paths removed by a delete message
  uint64_t malformed = 0;   // not a valid OAM message
  uint64_t unexpected = 0;  // valid, but not for a local Zeta VPC / not from its FWDs / wrong port
  uint64_t failed = 0;      // the flow mod failed
};

class OamHandler {
 public:
  OamHandler(const Dataplane& dataplane, DirectPathTable& paths)
      : dataplane_(dataplane), paths_(paths) {}

  // One datagram from `sender` that arrived on UDP port `local_port`.
  void handle(const uint8_t* data, size_t size, Ipv4Address sender, uint16_t local_port);
  // Counts a datagram too large to be an OAM message without decoding it.
  void countMalformed();
  // Removes the direct paths of VNIs that are no longer local Zeta VNIs.
  void prune();
  // OAM ports of the Zeta gateways of VPCs with a local port.
  std::set<uint16_t> wantedPorts() const;
  OamStats stats() const;

 private:
  void drop(uint64_t OamStats::*counter, const std::string& why);

  const Dataplane& dataplane_;
  DirectPathTable& paths_;
  mutable std::mutex mu_;
  OamStats stats_;
  std::set<uint32_t> vnis_with_paths_;
};

struct OamServerOptions {
  std::string bind_ip;  // the node IP; empty: any address
  std::chrono::milliseconds refresh{500};
};

class OamServer {
 public:
  OamServer(OamHandler& handler, OamServerOptions options)
      : handler_(handler), options_(std::move(options)) {}
  ~OamServer();
  OamServer(const OamServer&) = delete;
  OamServer& operator=(const OamServer&) = delete;

  Status start();
  void stop();
  // Ports with an open socket (for tests and status).
  std::set<uint16_t> listeningPorts() const;

 private:
  void loop();
  void refresh();
  void receive(uint16_t port, int fd);

  OamHandler& handler_;
  const OamServerOptions options_;
  mutable std::mutex mu_;
  std::map<uint16_t, UniqueFd> sockets_;  // by port; touched by the loop thread only
  std::set<uint16_t> listening_;          // copy for listeningPorts(), under mu_
  std::set<uint16_t> failed_ports_;       // bind failures already logged
  std::atomic<bool> stopping_{false};
  UniqueFd wake_read_, wake_write_;
  std::thread thread_;
};

}  // namespace alcor::agent::zeta
