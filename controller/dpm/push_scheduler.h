#pragma once

// Per-host delivery of GoalStates, off the REST path (the GoalStateSink the DPM writes to).
// Each host has a queue of encoded states and at most one push in flight: what is queued while a
// push runs leaves in the next one together with everything else queued for that host (batching
// without waiting), a later state of a resource replacing an earlier one. A send turns the queue
// into messages (goalstate_messages.h: non-neighbors first, then neighbor chunks) and pushes them
// in order; a host answering SUCCESS for a port CREATE/UPDATE acknowledges it (AckCallback). A
// pool of workers serves the hosts. An unreachable host keeps what was not delivered and is
// retried with exponential backoff; a host whose queue grows past a bound is reset to a full
// resync (the FullStateProvider computes it when the host is next served). enqueueNow serves a
// host first and tells the caller when its states were delivered (on-demand answers).

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/dpm/goalstate_pusher.h"
#include "controller/dpm/goalstate_sink.h"
#include "lib/base/backoff.h"

namespace alcor::controller {

struct PushSchedulerOptions {
  int workers = 4;
  int goalstate_version = 2;  // 2: GoalStateV2 messages; 1: GoalState (v1) messages
  size_t max_neighbors_per_message = 1000;
  size_t max_pending_resources = 1000000;  // queued states per host before a full resync
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
};

struct PushStats {
  uint64_t messages = 0;           // messages answered by agents
  uint64_t bytes = 0;              // serialized size of those messages
  uint64_t resources = 0;          // resource states in those messages
  uint64_t rpc_failures = 0;       // pushes that failed (host unreachable, deadline...)
  uint64_t resource_failures = 0;  // states the agent answered FAILURE or INVALID_ARG
  uint64_t resyncs = 0;            // full-state pushes
  uint64_t queue_depth = 0;        // states waiting, all hosts
  uint64_t hosts_backing_off = 0;
  double push_seconds_total = 0;  // time spent in push RPCs
};

class PushScheduler : public GoalStateSink {
 public:
  // Ports whose CREATE/UPDATE the host answered SUCCESS.
  using AckCallback =
      std::function<void(const std::string& host_ip, const std::vector<std::string>& port_ids)>;
  // Everything the host should have (called without the scheduler's lock held).
  using FullStateProvider = std::function<std::vector<StatePtr>(const std::string& host_ip)>;

  PushScheduler(GoalStatePusher& pusher, PushSchedulerOptions options);
  ~PushScheduler() override;
  PushScheduler(const PushScheduler&) = delete;
  PushScheduler& operator=(const PushScheduler&) = delete;

  // Set before start().
  void setAckCallback(AckCallback cb) { on_ack_ = std::move(cb); }
  void setFullStateProvider(FullStateProvider p) { full_state_ = std::move(p); }
  void start();
  // Finishes the pushes in flight (cancel them first through the pusher to hurry), then fails
  // whatever enqueueNow callers still wait for.
  void stop();

  void setAddress(const std::string& host_ip, const std::string& address) override;
  void forget(const std::string& host_ip) override;
  void enqueue(HostStates states) override;
  void requestResync(const std::string& host_ip) override;
  std::future<Status> enqueueNow(const std::string& host_ip, std::vector<StatePtr> states) override;

  // Tests and benchmarks: true once nothing is pending or in flight (or false on timeout).
  bool waitIdle(std::chrono::milliseconds timeout);
  PushStats stats() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Host {
    std::string address;
    std::vector<StatePtr> pending;
    std::vector<std::promise<Status>> waiters;  // enqueueNow callers of what is pending
    bool resync = false;
    bool in_flight = false;
    bool scheduled = false;  // in ready_ or delayed_
    Clock::time_point not_before{};
    Backoff backoff;
    explicit Host(const PushSchedulerOptions& o) : backoff(o.initial_backoff, o.max_backoff) {}
  };

  Host& hostLocked(const std::string& host_ip);
  void appendLocked(const std::string& host_ip, Host& h, std::vector<StatePtr> states);
  void scheduleLocked(const std::string& host_ip, Host& h, bool first = false);
  bool hasWorkLocked(const Host& h) const { return h.resync || !h.pending.empty(); }
  bool idleLocked() const;
  void workerLoop();
  // Sends `batch` as messages; on failure leaves in `batch` what was not delivered.
  Status send(const std::string& host_ip, const std::string& address, std::vector<StatePtr>& batch,
              std::vector<std::string>& acked);

  GoalStatePusher& pusher_;
  PushSchedulerOptions options_;
  AckCallback on_ack_;
  FullStateProvider full_state_;

  mutable std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable idle_cv_;
  std::map<std::string, Host> hosts_;
  std::deque<std::string> ready_;
  std::multimap<Clock::time_point, std::string> delayed_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
  PushStats stats_;
};

}  // namespace alcor::controller
