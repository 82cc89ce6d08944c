#include "node-agent/cniserver/container_lock.h"

namespace alcor::agent {

ContainerLockArbiter::Guard::Guard(ContainerLockArbiter& arbiter, std::string container_id)
    : arbiter_(arbiter), id_(std::move(container_id)) {
  std::unique_lock<std::mutex> lock(arbiter_.mu_);
  // A waiting GC goes first, so a stream of ADDs cannot starve it.
  arbiter_.cv_.wait(lock, [&] {
    return !arbiter_.exclusive_ && arbiter_.exclusive_waiting_ == 0 && !arbiter_.busy_.count(id_);
  });
  arbiter_.busy_.insert(id_);
}

ContainerLockArbiter::Guard::~Guard() {
  std::lock_guard<std::mutex> lock(arbiter_.mu_);
  arbiter_.busy_.erase(id_);
  arbiter_.cv_.notify_all();
}

ContainerLockArbiter::ExclusiveGuard::ExclusiveGuard(ContainerLockArbiter& arbiter)
    : arbiter_(arbiter) {
  std::unique_lock<std::mutex> lock(arbiter_.mu_);
  ++arbiter_.exclusive_waiting_;
  arbiter_.cv_.wait(lock, [&] { return !arbiter_.exclusive_ && arbiter_.busy_.empty(); });
  --arbiter_.exclusive_waiting_;
  arbiter_.exclusive_ = true;
}

ContainerLockArbiter::ExclusiveGuard::~ExclusiveGuard() {
  std::lock_guard<std::mutex> lock(arbiter_.mu_);
  arbiter_.exclusive_ = false;
  arbiter_.cv_.notify_all();
}

size_t ContainerLockArbiter::busyCount() const {
  std::lock_guard<std::mutex> lock(mu_);
  return busy_.size();
}

}  // namespace alcor::agent
