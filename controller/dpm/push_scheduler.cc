#include "controller/dpm/push_scheduler.h"

#include <unordered_set>

#include "lib/base/logging.h"

namespace alcor::controller {

namespace {
void resolve(std::vector<std::promise<Status>>& waiters, const Status& status) {
  for (auto& w : waiters) w.set_value(status);
  waiters.clear();
}
}  // namespace

PushScheduler::PushScheduler(GoalStatePusher& pusher, PushSchedulerOptions options)
    : pusher_(pusher), options_(std::move(options)) {}

PushScheduler::~PushScheduler() { stop(); }

void PushScheduler::start() {
  std::lock_guard lock(mu_);
  if (!workers_.empty()) return;
  stopping_ = false;
  for (int i = 0; i < std::max(1, options_.workers); ++i) {
    workers_.emplace_back([this] { workerLoop(); });
  }
}

void PushScheduler::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  std::lock_guard lock(mu_);
  for (auto& [ip, h] : hosts_) resolve(h.waiters, cancelledError("the controller is stopping"));
}

PushScheduler::Host& PushScheduler::hostLocked(const std::string& host_ip) {
  return hosts_.try_emplace(host_ip, options_).first->second;
}

void PushScheduler::setAddress(const std::string& host_ip, const std::string& address) {
  std::lock_guard lock(mu_);
  Host& h = hostLocked(host_ip);
  if (h.address != address) {
    h.address = address;
    // A new address is a new chance: do not wait out a backoff earned by the old one.
    h.backoff.reset();
    h.not_before = {};
  }
  scheduleLocked(host_ip, h);
}

void PushScheduler::forget(const std::string& host_ip) {
  std::lock_guard lock(mu_);
  auto it = hosts_.find(host_ip);
  if (it == hosts_.end()) return;
  resolve(it->second.waiters, notFoundError("host " + host_ip + " was removed"));
  if (it->second.in_flight) {
    // The worker still references it: just empty it.
    it->second.pending.clear();
    it->second.resync = false;
    it->second.address.clear();
  } else {
    hosts_.erase(it);
  }
  idle_cv_.notify_all();
}

void PushScheduler::appendLocked(const std::string& host_ip, Host& h,
                                 std::vector<StatePtr> states) {
  if (h.pending.empty()) {
    h.pending = std::move(states);
  } else {
    h.pending.insert(h.pending.end(), std::make_move_iterator(states.begin()),
                     std::make_move_iterator(states.end()));
  }
  if (h.pending.size() > options_.max_pending_resources) {
    ALOG(Warn, Dpm) << "host " << host_ip << " has " << h.pending.size()
                    << " states queued; replacing them by a full resync";
    h.pending.clear();
    h.resync = true;
  }
}

void PushScheduler::enqueue(HostStates states) {
  std::lock_guard lock(mu_);
  for (auto& [host_ip, list] : states) {
    if (list.empty()) continue;
    Host& h = hostLocked(host_ip);
    appendLocked(host_ip, h, std::move(list));
    scheduleLocked(host_ip, h);
  }
}

void PushScheduler::requestResync(const std::string& host_ip) {
  std::lock_guard lock(mu_);
  Host& h = hostLocked(host_ip);
  h.pending.clear();
  h.resync = true;
  scheduleLocked(host_ip, h);
}

std::future<Status> PushScheduler::enqueueNow(const std::string& host_ip,
                                              std::vector<StatePtr> states) {
  std::promise<Status> promise;
  std::future<Status> done = promise.get_future();
  std::lock_guard lock(mu_);
  Host& h = hostLocked(host_ip);
  if (h.address.empty() || stopping_) {
    promise.set_value(unavailableError("host " + host_ip + " has no agent to push to"));
    return done;
  }
  appendLocked(host_ip, h, std::move(states));
  h.waiters.push_back(std::move(promise));
  // The host is waiting for this answer: skip its backoff, and go before the other hosts.
  h.not_before = {};
  h.scheduled = false;  // a delayed entry left behind only causes an extra look
  scheduleLocked(host_ip, h, /*first=*/true);
  return done;
}

void PushScheduler::scheduleLocked(const std::string& host_ip, Host& h, bool first) {
  if (h.in_flight || h.scheduled || h.address.empty() || !hasWorkLocked(h)) return;
  h.scheduled = true;
  if (Clock::now() < h.not_before) {
    delayed_.emplace(h.not_before, host_ip);
  } else if (first) {
    ready_.push_front(host_ip);
  } else {
    ready_.push_back(host_ip);
  }
  work_cv_.notify_one();
}

bool PushScheduler::idleLocked() const {
  for (const auto& [ip, h] : hosts_) {
    if (h.in_flight || (!h.address.empty() && hasWorkLocked(h))) return false;
  }
  return true;
}

bool PushScheduler::waitIdle(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_for(lock, timeout, [&] { return idleLocked(); });
}

PushStats PushScheduler::stats() const {
  std::lock_guard lock(mu_);
  PushStats s = stats_;
  s.queue_depth = 0;
  s.hosts_backing_off = 0;
  auto now = Clock::now();
  for (const auto& [ip, h] : hosts_) {
    s.queue_depth += h.pending.size();
    if (hasWorkLocked(h) && h.not_before > now) ++s.hosts_backing_off;
  }
  return s;
}

Status PushScheduler::send(const std::string& host_ip, const std::string& address,
                           std::vector<StatePtr>& batch, std::vector<std::string>& acked) {
  auto plan = planMessages(batch, options_.max_neighbors_per_message);
  // One buffer for all of them: messages of 100 KB and more, allocated once per worker.
  thread_local EncodedGoalState message;
  for (size_t i = 0; i < plan.size(); ++i) {
    encodeMessage(host_ip, plan[i], options_.goalstate_version, message);
    auto t0 = Clock::now();
    auto reply = pusher_.push(address, message);
    double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!reply.ok()) {
      // Keep, in order, the queued states of this message and the ones after it.
      std::unordered_set<const EncodedState*> undelivered;
      for (size_t j = i; j < plan.size(); ++j) undelivered.insert(plan[j].begin(), plan[j].end());
      std::erase_if(batch, [&](const StatePtr& s) { return !undelivered.count(s.get()); });
      std::lock_guard lock(mu_);
      ++stats_.rpc_failures;
      stats_.push_seconds_total += seconds;
      return reply.status();
    }
    acked.insert(acked.end(), reply->acknowledged_ports.begin(), reply->acknowledged_ports.end());
    for (const auto& failure : reply->failures) {
      ALOG(Warn, Dpm) << "host " << host_ip << " answered " << failure;
    }
    const uint64_t failures = reply->failures.size();
    std::lock_guard lock(mu_);
    ++stats_.messages;
    stats_.bytes += message.bytes.size();
    stats_.resources += message.resources;
    stats_.resource_failures += failures;
    stats_.push_seconds_total += seconds;
  }
  batch.clear();
  return okStatus();
}

void PushScheduler::workerLoop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto now = Clock::now();
    while (!delayed_.empty() && delayed_.begin()->first <= now) {
      ready_.push_back(delayed_.begin()->second);
      delayed_.erase(delayed_.begin());
    }
    if (ready_.empty()) {
      if (delayed_.empty()) {
        work_cv_.wait(lock);
      } else {
        // A copy: the entry may be erased by another thread while this one waits.
        const auto until = delayed_.begin()->first;
        work_cv_.wait_until(lock, until);
      }
      continue;
    }
    std::string host_ip = ready_.front();
    ready_.pop_front();
    auto it = hosts_.find(host_ip);
    if (it == hosts_.end()) continue;
    Host* h = &it->second;
    h->scheduled = false;
    if (h->in_flight || h->address.empty() || !hasWorkLocked(*h)) continue;
    if (Clock::now() < h->not_before) {  // a stale entry of a host still backing off
      scheduleLocked(host_ip, *h);
      continue;
    }
    h->in_flight = true;
    bool resync = h->resync;
    h->resync = false;
    std::vector<StatePtr> batch;
    batch.swap(h->pending);
    std::vector<std::promise<Status>> waiters;
    waiters.swap(h->waiters);
    std::string address = h->address;
    lock.unlock();

    if (resync && full_state_) {
      std::vector<StatePtr> full = full_state_(host_ip);
      // States queued meanwhile are at least as new: they go after.
      full.insert(full.end(), std::make_move_iterator(batch.begin()),
                  std::make_move_iterator(batch.end()));
      batch.swap(full);
    }
    std::vector<std::string> acked;
    Status st = send(host_ip, address, batch, acked);
    // Before the host counts as idle again, so waitIdle() also covers the ACTIVE marks.
    if (!acked.empty() && on_ack_) on_ack_(host_ip, acked);
    resolve(waiters, st);

    lock.lock();
    it = hosts_.find(host_ip);
    if (it != hosts_.end()) {
      h = &it->second;
      h->in_flight = false;
      if (resync) ++stats_.resyncs;
      if (!st.ok()) {
        auto delay = h->backoff.nextDelay();
        ALOG(Warn, Dpm) << "push to " << host_ip << " (" << address << ") failed: " << st
                        << "; retry in " << delay.count() << " ms";
        if (!h->address.empty() && !h->resync) {
          // What was not delivered goes first, then what was queued meanwhile.
          batch.insert(batch.end(), std::make_move_iterator(h->pending.begin()),
                       std::make_move_iterator(h->pending.end()));
          h->pending.swap(batch);
        }
        h->not_before = Clock::now() + delay;
      } else {
        h->backoff.reset();
        h->not_before = {};
      }
      scheduleLocked(host_ip, *h);
    }
    idle_cv_.notify_all();
  }
}

}  // namespace alcor::controller
