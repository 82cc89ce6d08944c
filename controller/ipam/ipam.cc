#include "controller/ipam/ipam.h"

namespace alcor::controller {

namespace {
constexpr uint32_t kMaxVni = (1u << 24) - 1;
}

SubnetIpam::SubnetIpam(Ipv4Prefix cidr, Ipv4Address gateway)
    : cidr_(Ipv4Prefix(cidr.network(), cidr.length())),
      gateway_offset_(cidr_.contains(gateway) && !gateway.isUnspecified()
                          ? gateway.value() - cidr_.network().value()
                          : 0),
      used_(cidr_.size(), false) {}

bool SubnetIpam::reservedLocked(uint32_t offset) const {
  return offset == 0 || offset + 1 == used_.size() ||
         (gateway_offset_ && offset == gateway_offset_);
}

StatusOr<Ipv4Address> SubnetIpam::allocate() {
  std::lock_guard lock(mu_);
  const uint32_t n = static_cast<uint32_t>(used_.size());
  for (uint32_t i = 0; i < n; ++i) {
    uint32_t offset = (cursor_ + i) % n;
    if (reservedLocked(offset) || used_[offset]) continue;
    used_[offset] = true;
    ++used_count_;
    cursor_ = (offset + 1) % n;
    return Ipv4Address(cidr_.network().value() + offset);
  }
  return resourceExhaustedError("no free address left in subnet " + cidr_.toString());
}

Status SubnetIpam::reserve(Ipv4Address address) {
  if (!cidr_.contains(address)) {
    return invalidArgumentError(address.toString() + " is outside subnet " + cidr_.toString());
  }
  uint32_t offset = address.value() - cidr_.network().value();
  std::lock_guard lock(mu_);
  if (reservedLocked(offset)) {
    return invalidArgumentError(address.toString() +
                                " is the network, broadcast or gateway address of " +
                                cidr_.toString());
  }
  if (used_[offset]) return alreadyExistsError("IP address " + address.toString() + " is in use");
  used_[offset] = true;
  ++used_count_;
  return okStatus();
}

void SubnetIpam::release(Ipv4Address address) {
  if (!cidr_.contains(address)) return;
  uint32_t offset = address.value() - cidr_.network().value();
  std::lock_guard lock(mu_);
  if (reservedLocked(offset) || !used_[offset]) return;
  used_[offset] = false;
  --used_count_;
}

bool SubnetIpam::inUse(Ipv4Address address) const {
  if (!cidr_.contains(address)) return false;
  std::lock_guard lock(mu_);
  return used_[address.value() - cidr_.network().value()];
}

uint64_t SubnetIpam::usedCount() const {
  std::lock_guard lock(mu_);
  return used_count_;
}

uint64_t SubnetIpam::capacity() const { return used_.size() - 2 - (gateway_offset_ ? 1 : 0); }

MacAllocator::MacAllocator(uint32_t prefix, uint64_t seed)
    : prefix_(uint64_t{prefix} << 24), rng_(seed) {}

StatusOr<MacAddress> MacAllocator::allocate() {
  std::lock_guard lock(mu_);
  if (used_.size() >= (1u << 23)) return resourceExhaustedError("MAC address space exhausted");
  for (;;) {
    uint64_t mac = prefix_ | (rng_() & 0xffffff);
    if ((mac & 0xffffff) == 0 || (mac & 0xffffff) == 0xffffff) continue;
    if (used_.insert(mac).second) return MacAddress::fromUint64(mac);
  }
}

Status MacAllocator::reserve(MacAddress mac) {
  std::lock_guard lock(mu_);
  if (!used_.insert(mac.toUint64()).second) {
    return alreadyExistsError("MAC address " + mac.toString() + " is in use");
  }
  return okStatus();
}

void MacAllocator::release(MacAddress mac) {
  std::lock_guard lock(mu_);
  used_.erase(mac.toUint64());
}

bool MacAllocator::inUse(MacAddress mac) const {
  std::lock_guard lock(mu_);
  return used_.count(mac.toUint64()) > 0;
}

StatusOr<uint32_t> VniAllocator::allocate() {
  std::lock_guard lock(mu_);
  for (uint32_t i = 0; i < kMaxVni; ++i) {
    uint32_t vni = cursor_;
    cursor_ = cursor_ >= kMaxVni ? 1 : cursor_ + 1;
    if (used_.insert(vni).second) return vni;
  }
  return resourceExhaustedError("no free VNI left");
}

Status VniAllocator::reserve(uint32_t vni) {
  if (vni == 0 || vni > kMaxVni) {
    return invalidArgumentError("VNI " + std::to_string(vni) + " is outside 1.." +
                                std::to_string(kMaxVni));
  }
  std::lock_guard lock(mu_);
  if (!used_.insert(vni).second) {
    return alreadyExistsError("VNI " + std::to_string(vni) + " is in use");
  }
  return okStatus();
}

void VniAllocator::release(uint32_t vni) {
  std::lock_guard lock(mu_);
  used_.erase(vni);
}

}  // namespace alcor::controller
