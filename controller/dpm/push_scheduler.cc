#include "controller/dpm/push_scheduler.h"

#include "controller/dpm/goalstate_builder.h"
#include "lib/base/logging.h"

namespace alcor::controller {

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
}

void PushScheduler::setAddress(const std::string& host_ip, const std::string& address) {
  std::lock_guard lock(mu_);
  Host& h = hosts_.try_emplace(host_ip, options_).first->second;
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
  if (it->second.in_flight) {
    // The worker still references it: just empty it.
    it->second.pending.Clear();
    it->second.pending_count = 0;
    it->second.resync = false;
    it->second.address.clear();
  } else {
    hosts_.erase(it);
  }
  idle_cv_.notify_all();
}

void PushScheduler::enqueue(const std::string& host_ip, const schema::GoalStateV2& fragment) {
  std::lock_guard lock(mu_);
  Host& h = hosts_.try_emplace(host_ip, options_).first->second;
  h.pending.MergeFrom(fragment);
  h.pending_count = resourceCount(h.pending);
  if (h.pending_count > options_.max_pending_resources) {
    ALOG(Warn, Dpm) << "host " << host_ip << " has " << h.pending_count
                    << " states queued; replacing them by a full resync";
    h.pending.Clear();
    h.pending_count = 0;
    h.resync = true;
  }
  scheduleLocked(host_ip, h);
}

void PushScheduler::requestResync(const std::string& host_ip) {
  std::lock_guard lock(mu_);
  Host& h = hosts_.try_emplace(host_ip, options_).first->second;
  h.pending.Clear();
  h.pending_count = 0;
  h.resync = true;
  scheduleLocked(host_ip, h);
}

void PushScheduler::scheduleLocked(const std::string& host_ip, Host& h) {
  if (h.in_flight || h.scheduled || h.address.empty() || !hasWorkLocked(h)) return;
  h.scheduled = true;
  if (Clock::now() < h.not_before) {
    delayed_.emplace(h.not_before, host_ip);
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
    s.queue_depth += h.pending_count;
    if (hasWorkLocked(h) && h.not_before > now) ++s.hosts_backing_off;
  }
  return s;
}

std::vector<schema::GoalStateV2> PushScheduler::split(const schema::GoalStateV2& message) const {
  size_t max = std::max<size_t>(1, options_.max_neighbors_per_message);
  if (static_cast<size_t>(message.neighbor_states_size()) <= max) return {message};
  std::vector<schema::GoalStateV2> out;
  schema::GoalStateV2 first = message;
  first.clear_neighbor_states();
  schema::GoalStateV2 context;
  context.set_format_version(message.format_version());
  *context.mutable_vpc_states() = message.vpc_states();
  *context.mutable_subnet_states() = message.subnet_states();
  out.push_back(std::move(first));
  size_t n = 0;
  for (const auto& [key, state] : message.neighbor_states()) {
    if (n % max == 0 && n > 0) out.push_back(context);
    (*out.back().mutable_neighbor_states())[key] = state;
    ++n;
  }
  return out;
}

Status PushScheduler::send(const std::string& host_ip, const std::string& address,
                           schema::GoalStateV2& message, std::vector<std::string>& acked) {
  std::vector<schema::GoalStateV2> chunks = split(message);
  for (size_t i = 0; i < chunks.size(); ++i) {
    schema::GoalStateV2& chunk = chunks[i];
    chunk.set_format_version(2);
    fillHostResources(chunk, host_ip);
    auto t0 = Clock::now();
    auto reply = pusher_.push(address, chunk);
    double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!reply.ok()) {
      // Keep what was not delivered, in order, for the retry.
      schema::GoalStateV2 rest;
      for (size_t j = i; j < chunks.size(); ++j) rest.MergeFrom(chunks[j]);
      rest.clear_host_resources();
      message.Swap(&rest);
      std::lock_guard lock(mu_);
      ++stats_.rpc_failures;
      stats_.push_seconds_total += seconds;
      return reply.status();
    }
    uint64_t failures = 0;
    for (const auto& st : reply->operation_statuses()) {
      if (st.operation_status() == schema::SUCCESS) {
        if (st.resource_type() == schema::PORT &&
            (st.operation_type() == schema::CREATE || st.operation_type() == schema::UPDATE)) {
          acked.push_back(st.resource_id());
        }
      } else if (st.operation_status() == schema::FAILURE ||
                 st.operation_status() == schema::INVALID_ARG) {
        ++failures;
        ALOG(Warn, Dpm) << "host " << host_ip << " answered "
                        << schema::OperationStatus_Name(st.operation_status()) << " for "
                        << schema::ResourceType_Name(st.resource_type()) << " " << st.resource_id();
      }
    }
    std::lock_guard lock(mu_);
    ++stats_.messages;
    stats_.bytes += chunk.ByteSizeLong();
    stats_.resources += resourceCount(chunk);
    stats_.resource_failures += failures;
    stats_.push_seconds_total += seconds;
  }
  message.Clear();
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
    h->in_flight = true;
    bool resync = h->resync;
    h->resync = false;
    schema::GoalStateV2 message;
    message.Swap(&h->pending);
    h->pending_count = 0;
    std::string address = h->address;
    lock.unlock();

    if (resync && full_state_) {
      schema::GoalStateV2 full = full_state_(host_ip);
      full.MergeFrom(message);  // fragments queued meanwhile are at least as new
      message.Swap(&full);
    }
    std::vector<std::string> acked;
    // A resync of a host without ports has nothing to say.
    Status st = resourceCount(message) > 0 ? send(host_ip, address, message, acked) : okStatus();
    // Before the host counts as idle again, so waitIdle() also covers the ACTIVE marks.
    if (!acked.empty() && on_ack_) on_ack_(host_ip, acked);

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
        if (!h->address.empty()) {
          message.MergeFrom(h->pending);
          h->pending.Swap(&message);
          h->pending_count = resourceCount(h->pending);
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
