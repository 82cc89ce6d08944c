#pragma once

// Serializes CNI operations per container (the spec allows different containers in parallel,
// never two operations on one) and makes GC exclusive with everything else, as CNI 1.1 requires.

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

namespace alcor::agent {

class ContainerLockArbiter {
 public:
  // RAII lock on one container id; blocks while another operation holds it or GC runs.
  class Guard {
   public:
    Guard(ContainerLockArbiter& arbiter, std::string container_id);
    ~Guard();
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    ContainerLockArbiter& arbiter_;
    std::string id_;
  };

  // RAII exclusive lock: waits for every container operation to finish, blocks new ones.
  class ExclusiveGuard {
   public:
    explicit ExclusiveGuard(ContainerLockArbiter& arbiter);
    ~ExclusiveGuard();
    ExclusiveGuard(const ExclusiveGuard&) = delete;
    ExclusiveGuard& operator=(const ExclusiveGuard&) = delete;

   private:
    ContainerLockArbiter& arbiter_;
  };

  size_t busyCount() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::set<std::string> busy_;
  bool exclusive_ = false;
  int exclusive_waiting_ = 0;
};

}  // namespace alcor::agent
