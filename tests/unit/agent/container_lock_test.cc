#include "node-agent/cniserver/container_lock.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace alcor::agent {
namespace {

TEST(ContainerLockArbiterTest, SameContainerIsSerialized) {
  ContainerLockArbiter arbiter;
  std::atomic<int> inside{0}, max_inside{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      ContainerLockArbiter::Guard g(arbiter, "same");
      int now = ++inside;
      max_inside = std::max(max_inside.load(), now);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      --inside;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(max_inside.load(), 1);
}

TEST(ContainerLockArbiterTest, DifferentContainersRunInParallel) {
  ContainerLockArbiter arbiter;
  std::atomic<int> inside{0};
  std::atomic<bool> saw_parallel{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      ContainerLockArbiter::Guard g(arbiter, "c" + std::to_string(i));
      ++inside;
      for (int spin = 0; spin < 200 && !saw_parallel; ++spin) {
        if (inside.load() > 1) saw_parallel = true;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      --inside;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_TRUE(saw_parallel.load());
}

TEST(ContainerLockArbiterTest, ExclusiveWaitsForAllAndBlocksNewOperations) {
  ContainerLockArbiter arbiter;
  std::atomic<bool> gc_done{false}, add_ran_during_gc{false};
  auto holder = std::make_unique<ContainerLockArbiter::Guard>(arbiter, "c1");
  std::thread gc([&] {
    ContainerLockArbiter::ExclusiveGuard g(arbiter);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    gc_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_FALSE(gc_done.load());  // still waiting for c1
  std::thread add([&] {
    ContainerLockArbiter::Guard g(arbiter, "c2");  // queued behind the waiting GC
    if (!gc_done) add_ran_during_gc = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  holder.reset();
  gc.join();
  add.join();
  EXPECT_TRUE(gc_done.load());
  EXPECT_FALSE(add_ran_during_gc.load());
  EXPECT_EQ(arbiter.busyCount(), 0u);
}

}  // namespace
}  // namespace alcor::agent
