#pragma once

// Agent simulation mode: one simulated host = the agent's real GoalStateService and
// GoalStateHandler over a FakeDataplane, served by its own gRPC server on a 127.x.y.z address.
// Pods are taken as already plugged (the dataplane attaches an interface to every port it is
// given), so ports reach SUCCESS the way they do after a CNI ADD. A ScaleTracker, shared by all
// hosts, timestamps when each port lands on its host and when its neighbor lands on each other
// host; a gRPC interceptor counts the GoalState messages and bytes each host receives.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <mutex>

#include "lib/nats/nats_connection.h"
#include "node-agent/dataplane/dataplane.h"
#include "node-agent/goalstate/goalstate_handler.h"
#include "node-agent/goalstate/goalstate_server.h"
#include "node-agent/goalstate/nats_subscriber.h"

namespace alcor::bench {

using Clock = std::chrono::steady_clock;

// Ports are named "<prefix><index>"; the tracker keeps one slot per index.
class ScaleTracker {
 public:
  ScaleTracker(std::string prefix, size_t ports);

  // Index of a port id or neighbor key ("L2/<id>"), or -1 for ids that are not ours.
  long indexOf(const std::string& id_or_key) const;
  void portApplied(size_t index, Clock::time_point t);
  void neighborApplied(size_t index, Clock::time_point t);

  size_t portsApplied() const { return ports_applied_.load(); }
  uint64_t neighborsApplied() const { return neighbors_applied_.load(); }
  // Per port: when its host applied it; when the last other host applied its neighbor; how many
  // other hosts did.
  Clock::time_point portTime(size_t i) const { return fromNs(port_ns_[i].load()); }
  Clock::time_point lastNeighborTime(size_t i) const { return fromNs(neighbor_ns_[i].load()); }
  uint32_t neighborHosts(size_t i) const { return neighbor_hosts_[i].load(); }
  size_t size() const { return port_ns_.size(); }

 private:
  static Clock::time_point fromNs(int64_t ns) {
    return Clock::time_point(std::chrono::nanoseconds(ns));
  }
  std::string prefix_;
  std::vector<std::atomic<int64_t>> port_ns_, neighbor_ns_;
  std::vector<std::atomic<uint32_t>> neighbor_hosts_;
  std::atomic<size_t> ports_applied_{0};
  std::atomic<uint64_t> neighbors_applied_{0};
};

// An in-memory data plane that plugs every port it receives (programming takes no time) and
// reports first arrivals to the tracker. Unlike tests/fakes' FakeDataplane it keeps no change
// log: at 10,000 ports that log costs the simulated agents more than their GoalState handling.
class SimDataplane : public agent::Dataplane {
 public:
  explicit SimDataplane(ScaleTracker& tracker);
  Status update(const Mutation& mutation) override;
  void read(const std::function<void(const agent::NetworkState&)>& reader) const override;
  std::set<std::string> waitForPorts(const std::set<std::string>& ids,
                                     std::chrono::steady_clock::time_point deadline) override;

 private:
  ScaleTracker& tracker_;
  mutable std::mutex mu_;
  agent::NetworkState state_;
  std::vector<bool> port_seen_, neighbor_seen_;
  uint32_t next_ofport_ = 1;
};

class SimHost {
 public:
  SimHost(int index, ScaleTracker& tracker);
  ~SimHost();
  bool start();  // gRPC server on ip():any port
  // Also takes GoalStates over NATS (the agent's NatsGoalStateSubscriber), from `servers`;
  // with `grpc_through` (--southbound=auto) its gRPC messages go through the subscriber too, as
  // in the agent. Before start().
  Status startNats(const std::vector<std::string>& servers, bool grpc_through = false);
  void stop();

  const std::string& ip() const { return ip_; }
  int port() const { return port_; }
  std::string nodeName() const { return "host-" + std::to_string(index_); }
  std::string nodeId() const { return "sim-" + std::to_string(index_); }
  std::string mac() const;
  uint64_t messages() const { return service_.messagesHandled() + nats_messages_.load(); }
  uint64_t bytes() const { return bytes_->load() + nats_bytes_.load(); }
  uint64_t natsGaps() const { return subscriber_ ? subscriber_->stats().gaps : 0; }

 private:
  int index_;
  std::string ip_;
  int port_ = 0;
  SimDataplane dataplane_;
  agent::GoalStateHandler handler_;
  agent::GoalStateService service_;
  std::shared_ptr<std::atomic<uint64_t>> bytes_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<nats::NatsConnection> nats_;
  std::unique_ptr<agent::NatsGoalStateSubscriber> subscriber_;
  std::atomic<uint64_t> nats_messages_{0}, nats_bytes_{0};
};

}  // namespace alcor::bench
