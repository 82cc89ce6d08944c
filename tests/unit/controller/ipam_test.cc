// IPAM, MAC and VNI allocation: reserved addresses, requested addresses, exhaustion, and no
// duplicates under concurrency.

#include "controller/ipam/ipam.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>
#include "tests/harness/addresses.h"

namespace alcor::controller {
namespace {

using alcor::testing::ip;
using alcor::testing::prefix;

TEST(SubnetIpamTest, NeverHandsOutNetworkBroadcastOrGateway) {
  SubnetIpam ipam(prefix("10.0.0.0/29"), ip("10.0.0.1"));
  EXPECT_EQ(ipam.capacity(), 5u);
  std::set<std::string> got;
  for (int i = 0; i < 5; ++i) {
    auto a = ipam.allocate();
    ASSERT_TRUE(a.ok()) << a.status();
    got.insert(a->toString());
  }
  EXPECT_EQ(got,
            (std::set<std::string>{"10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"}));
  auto full = ipam.allocate();
  EXPECT_EQ(full.status().code(), StatusCode::kResourceExhausted);
}

TEST(SubnetIpamTest, ReserveChecksRangeReservedAndInUse) {
  SubnetIpam ipam(prefix("10.0.0.0/24"), ip("10.0.0.1"));
  EXPECT_TRUE(ipam.reserve(ip("10.0.0.50")).ok());
  EXPECT_EQ(ipam.reserve(ip("10.0.0.50")).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(ipam.reserve(ip("10.0.1.5")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ipam.reserve(ip("10.0.0.1")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ipam.reserve(ip("10.0.0.0")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ipam.reserve(ip("10.0.0.255")).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(ipam.inUse(ip("10.0.0.50")));
  ipam.release(ip("10.0.0.50"));
  EXPECT_FALSE(ipam.inUse(ip("10.0.0.50")));
  EXPECT_TRUE(ipam.reserve(ip("10.0.0.50")).ok());
  EXPECT_EQ(ipam.usedCount(), 1u);
}

TEST(SubnetIpamTest, ReleasedAddressesAreNotReusedAtOnce) {
  SubnetIpam ipam(prefix("10.0.0.0/24"), ip("10.0.0.1"));
  auto first = *ipam.allocate();
  ipam.release(first);
  auto second = *ipam.allocate();
  EXPECT_NE(first, second);
}

TEST(SubnetIpamTest, AllocatesSkippingReservedAddresses) {
  SubnetIpam ipam(prefix("10.0.0.0/24"), ip("10.0.0.1"));
  ASSERT_TRUE(ipam.reserve(ip("10.0.0.2")).ok());
  EXPECT_EQ(ipam.allocate()->toString(), "10.0.0.3");
}

TEST(SubnetIpamTest, TenThousandAllocationsUnderEightThreadsHaveNoDuplicate) {
  SubnetIpam ipam(prefix("10.1.0.0/16"), ip("10.1.0.1"));
  constexpr int kThreads = 8;
  constexpr int kPerThread = 1250;
  std::vector<std::vector<uint32_t>> got(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        auto a = ipam.allocate();
        if (a.ok()) got[t].push_back(a->value());
        // Some churn: release every 10th address again.
        if (i % 10 == 9 && a.ok()) {
          ipam.release(*a);
          got[t].pop_back();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint32_t> all;
  size_t total = 0;
  for (const auto& v : got) {
    total += v.size();
    all.insert(v.begin(), v.end());
  }
  EXPECT_EQ(total, 10000u - 1000u);
  EXPECT_EQ(all.size(), total);
  EXPECT_EQ(ipam.usedCount(), total);
  EXPECT_FALSE(all.count(ip("10.1.0.1").value()));
  EXPECT_FALSE(all.count(ip("10.1.0.0").value()));
}

TEST(MacAllocatorTest, UniqueLocallyAdministeredUnicast) {
  MacAllocator macs(MacAllocator::kPortPrefix, 42);
  std::set<uint64_t> seen;
  for (int i = 0; i < 5000; ++i) {
    auto m = macs.allocate();
    ASSERT_TRUE(m.ok());
    EXPECT_TRUE(m->isLocallyAdministered());
    EXPECT_FALSE(m->isMulticast());
    EXPECT_EQ(m->toString().substr(0, 8), "fa:16:3e");
    EXPECT_TRUE(seen.insert(m->toUint64()).second);
  }
}

TEST(MacAllocatorTest, ReservedMacsAreNotAllocatedOrReservedTwice) {
  MacAllocator macs(MacAllocator::kDvrPrefix, 1);
  auto m = *macs.allocate();
  EXPECT_EQ(macs.reserve(m).code(), StatusCode::kAlreadyExists);
  macs.release(m);
  EXPECT_TRUE(macs.reserve(m).ok());
  EXPECT_EQ(m.toString().substr(0, 8), "fe:16:11");
}

TEST(MacAllocatorTest, ConcurrentAllocationsAreUnique) {
  MacAllocator macs(MacAllocator::kPortPrefix);
  std::vector<std::vector<uint64_t>> got(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 1000; ++i) got[t].push_back(macs.allocate()->toUint64());
    });
  }
  for (auto& t : threads) t.join();
  std::set<uint64_t> all;
  for (const auto& v : got) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 8000u);
}

TEST(VniAllocatorTest, AllocatesUniqueAndHonoursReservations) {
  VniAllocator vnis(1000);
  ASSERT_TRUE(vnis.reserve(1001).ok());
  EXPECT_EQ(*vnis.allocate(), 1000u);
  EXPECT_EQ(*vnis.allocate(), 1002u);
  EXPECT_EQ(vnis.reserve(1000).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(vnis.reserve(0).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(vnis.reserve(1u << 24).code(), StatusCode::kInvalidArgument);
  vnis.release(1000);
  EXPECT_TRUE(vnis.reserve(1000).ok());
}

}  // namespace
}  // namespace alcor::controller
