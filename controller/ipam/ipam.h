#pragma once

// Address allocation: IPv4 per subnet, MACs, VNIs. Each allocator is thread-safe on its own and
// purely in memory: allocations are facts of the stored resources (port fixed IPs and MACs, VPC
// tunnel ids), so a restart rebuilds the allocators by reserving what the store holds.

#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/base/status.h"

namespace alcor::controller {

// One subnet's addresses. The network, broadcast and gateway addresses are never handed out.
class SubnetIpam {
 public:
  // `cidr` must be at most /30; `gateway` may be unspecified (0.0.0.0).
  SubnetIpam(Ipv4Prefix cidr, Ipv4Address gateway);

  // Next free address (next-fit, so released addresses are not reused at once).
  // kResourceExhausted when the subnet is full.
  StatusOr<Ipv4Address> allocate();
  // A requested address: kInvalidArgument outside the subnet or reserved, kAlreadyExists in use.
  Status reserve(Ipv4Address address);
  // Releasing a free address is a no-op.
  void release(Ipv4Address address);
  bool inUse(Ipv4Address address) const;
  uint64_t usedCount() const;
  uint64_t capacity() const;  // assignable addresses

  const Ipv4Prefix& cidr() const { return cidr_; }

 private:
  bool reservedLocked(uint32_t offset) const;

  Ipv4Prefix cidr_;
  uint32_t gateway_offset_;  // 0 when there is no gateway
  mutable std::mutex mu_;
  std::vector<bool> used_;  // by offset from the network address
  uint32_t cursor_ = 1;
  uint64_t used_count_ = 0;
};

// Unique MACs under a fixed 3-byte prefix (the prefix must be locally administered unicast).
class MacAllocator {
 public:
  // Neutron's fa:16:3e for ports; fe:16:11 for host DVR MACs (the agent recognises that prefix).
  static constexpr uint32_t kPortPrefix = 0xfa163e;
  static constexpr uint32_t kDvrPrefix = 0xfe1611;

  explicit MacAllocator(uint32_t prefix, uint64_t seed = std::random_device{}());

  StatusOr<MacAddress> allocate();
  // kAlreadyExists when taken. Any unicast MAC may be reserved (user-chosen ones too).
  Status reserve(MacAddress mac);
  void release(MacAddress mac);
  bool inUse(MacAddress mac) const;

 private:
  uint64_t prefix_;
  mutable std::mutex mu_;
  std::set<uint64_t> used_;
  std::mt19937_64 rng_;
};

// VXLAN network identifiers for VPCs, 1 .. 2^24-1.
class VniAllocator {
 public:
  explicit VniAllocator(uint32_t first = 1000) : cursor_(first) {}
  StatusOr<uint32_t> allocate();
  Status reserve(uint32_t vni);
  void release(uint32_t vni);

 private:
  std::mutex mu_;
  std::set<uint32_t> used_;
  uint32_t cursor_;
};

}  // namespace alcor::controller
