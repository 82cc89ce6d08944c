#pragma once

// On-demand resolution (ACA's on-demand engine, without its sleep-polling): the pipeline punts
// ARP requests for unknown addresses and unicast frames to unknown MACs (userdata kPuntArpMiss /
// kPuntUnicastMiss). For each, the resolver asks the controller with RequestGoalStates (ON_DEMAND,
// the VNI and the 5-tuple). The controller pushes the missing states before it replies, so on
// SUCCESS the flows are in place and the punted frame is re-injected at table 0 from its port:
// the ARP responder answers it, the unicast frame is forwarded.
//
// The packet-in thread never waits for the controller: queries go through a bounded queue to one
// worker. A per-port token bucket limits what a pod can make the agent ask, queries for the same
// (VNI, address) are merged while one is in flight, and an unroutable answer is remembered for a
// while so a pod retrying ARP does not hammer the controller.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "alcor/goalstateprovisioner.pb.h"
#include "lib/base/net_types.h"
#include "lib/openflow/connection.h"
#include "node-agent/dataplane/dataplane.h"
#include "node-agent/ondemand/ondemand_client.h"

namespace alcor::agent {

struct OnDemandOptions {
  double per_port_rate = 20;                     // queries per second a port may cause
  double per_port_burst = 10;                    // ... and in a burst
  size_t queue_capacity = 256;                   // queued queries beyond this are dropped
  size_t frames_per_query = 4;                   // frames kept for re-injection per (VNI, address)
  size_t max_batch = 32;                         // queries per RequestGoalStates call
  std::chrono::milliseconds negative_ttl{2000};  // an unroutable address is not asked again
};

struct OnDemandStats {
  uint64_t packet_ins = 0;
  uint64_t ignored = 0;  // not ARP/IPv4, unknown port, malformed
  uint64_t rate_limited = 0;
  uint64_t queue_full = 0;
  uint64_t merged = 0;         // joined a query already queued or in flight
  uint64_t negative_hits = 0;  // recently unroutable
  uint64_t requests = 0;       // RequestGoalStates calls
  uint64_t resolved = 0;       // queries answered SUCCESS
  uint64_t unresolved = 0;     // FAILURE or no answer
  uint64_t errors = 0;         // calls that failed
  uint64_t reinjected = 0;     // frames sent back into the pipeline
};

// What a punted frame asks for.
struct OnDemandQuery {
  uint32_t vni = 0;
  uint32_t in_port = 0;
  bool arp = false;
  Ipv4Address source_ip;
  Ipv4Address destination_ip;
  uint8_t ip_protocol = 0;  // 0 for ARP
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
};

// Parses a punted frame against the state (the VNI is the one of the port it entered by).
// nullopt for frames that cannot be asked about.
std::optional<OnDemandQuery> queryFromFrame(const std::vector<uint8_t>& frame, uint32_t in_port,
                                            const NetworkState& state);
// One ON_DEMAND ResourceStateRequest for the query.
void fillStateRequest(const OnDemandQuery& query, const std::string& request_id,
                      schema::HostRequest::ResourceStateRequest& out);

// Token bucket per key (ofport).
class PortRateLimiter {
 public:
  PortRateLimiter(double rate, double burst) : rate_(rate), burst_(burst) {}
  bool allow(uint32_t port, std::chrono::steady_clock::time_point now);

 private:
  struct Bucket {
    double tokens;
    std::chrono::steady_clock::time_point last;
  };
  const double rate_;
  const double burst_;
  std::map<uint32_t, Bucket> buckets_;
};

class OnDemandResolver {
 public:
  OnDemandResolver(Dataplane& dataplane, openflow::Connection& openflow, OnDemandClient& client,
                   OnDemandOptions options = {});
  ~OnDemandResolver();  // stops the worker; queued queries are dropped
  OnDemandResolver(const OnDemandResolver&) = delete;
  OnDemandResolver& operator=(const OnDemandResolver&) = delete;

  // Packet-in handler for kPuntArpMiss and kPuntUnicastMiss. Never blocks on the controller.
  void handlePacketIn(const openflow::PacketIn& packet_in);

  OnDemandStats stats() const;
  // True once nothing is queued or in flight (tests).
  bool waitIdle(std::chrono::steady_clock::time_point deadline);

 private:
  using Key = std::pair<uint32_t, uint32_t>;  // VNI, destination address
  struct Pending {
    OnDemandQuery query;
    std::vector<std::vector<uint8_t>> frames;
    std::vector<uint32_t> frame_ports;
    bool in_flight = false;
  };
  void workerLoop();
  void resolveBatch(std::vector<Key> keys);
  void reinject(uint32_t in_port, std::vector<uint8_t> frame);
  bool idleLocked() const;

  Dataplane& dataplane_;
  openflow::Connection& openflow_;
  OnDemandClient& client_;
  const OnDemandOptions options_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  PortRateLimiter limiter_;
  std::deque<Key> queue_;
  std::map<Key, Pending> pending_;  // queued or in flight
  bool resolving_ = false;          // a batch is being asked for and re-injected
  std::map<Key, std::chrono::steady_clock::time_point> unroutable_until_;
  OnDemandStats stats_;
  bool stopping_ = false;
  std::thread worker_;
};

}  // namespace alcor::agent
