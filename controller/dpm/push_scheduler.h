#pragma once

// Per-host delivery of GoalStates, off the REST path. Each host has one pending GoalStateV2 into
// which new fragments are merged (later states of a resource replace earlier ones), and at most
// one message in flight: a fragment queued while a push is running goes out in the next message
// together with everything else queued for that host (batching without waiting). A pool of
// workers serves the hosts. Unreachable hosts keep their pending state and are retried with
// exponential backoff; a host whose pending state grows past a bound is reset to a full resync
// (the FullStateProvider computes it when the host is next served). Large neighbor sets are split
// into messages of at most `max_neighbors_per_message`, each with the VPC/subnet context.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "alcor/goalstate.pb.h"
#include "controller/dpm/goalstate_pusher.h"
#include "lib/base/backoff.h"

namespace alcor::controller {

struct PushSchedulerOptions {
  int workers = 4;
  size_t max_neighbors_per_message = 1000;
  size_t max_pending_resources = 200000;  // per host, before falling back to a resync
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{10000};
};

struct PushStats {
  uint64_t messages = 0;           // GoalStateV2 messages answered by agents
  uint64_t bytes = 0;              // serialized size of those messages
  uint64_t resources = 0;          // resource states in those messages
  uint64_t rpc_failures = 0;       // pushes that failed (host unreachable, deadline...)
  uint64_t resource_failures = 0;  // states the agent answered FAILURE or INVALID_ARG
  uint64_t resyncs = 0;            // full-state pushes
  uint64_t queue_depth = 0;        // resource states waiting, all hosts
  uint64_t hosts_backing_off = 0;
  double push_seconds_total = 0;  // time spent in push RPCs
};

class PushScheduler {
 public:
  // Ports whose CREATE/UPDATE the host answered SUCCESS.
  using AckCallback =
      std::function<void(const std::string& host_ip, const std::vector<std::string>& port_ids)>;
  // Everything the host should have (called without the scheduler's lock held).
  using FullStateProvider = std::function<schema::GoalStateV2(const std::string& host_ip)>;

  PushScheduler(GoalStatePusher& pusher, PushSchedulerOptions options);
  ~PushScheduler();
  PushScheduler(const PushScheduler&) = delete;
  PushScheduler& operator=(const PushScheduler&) = delete;

  // Set before start().
  void setAckCallback(AckCallback cb) { on_ack_ = std::move(cb); }
  void setFullStateProvider(FullStateProvider p) { full_state_ = std::move(p); }
  void start();
  void stop();

  // Where the agent of `host_ip` listens ("ip:port"). Hosts without an address are held.
  void setAddress(const std::string& host_ip, const std::string& address);
  // Drops everything queued for the host (node deleted).
  void forget(const std::string& host_ip);
  void enqueue(const std::string& host_ip, const schema::GoalStateV2& fragment);
  // Replaces whatever is pending by the host's full state (node (re-)registered).
  void requestResync(const std::string& host_ip);

  // Tests and benchmarks: true once nothing is pending or in flight (or false on timeout).
  bool waitIdle(std::chrono::milliseconds timeout);
  PushStats stats() const;

 private:
  struct Host {
    std::string address;
    schema::GoalStateV2 pending;
    size_t pending_count = 0;
    bool resync = false;
    bool in_flight = false;
    bool scheduled = false;  // in ready_ or delayed_
    std::chrono::steady_clock::time_point not_before{};
    Backoff backoff;
    explicit Host(const PushSchedulerOptions& o) : backoff(o.initial_backoff, o.max_backoff) {}
  };
  using Clock = std::chrono::steady_clock;

  void workerLoop();
  void scheduleLocked(const std::string& host_ip, Host& h);
  bool hasWorkLocked(const Host& h) const { return h.resync || h.pending_count > 0; }
  bool idleLocked() const;
  // Sends `message` in chunks; returns the unsent remainder (empty on success) and the error.
  Status send(const std::string& host_ip, const std::string& address, schema::GoalStateV2& message,
              std::vector<std::string>& acked);
  std::vector<schema::GoalStateV2> split(const schema::GoalStateV2& message) const;

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
