#pragma once

// In-memory Connection for unit tests: applies flow mods to a flow table with OVS semantics
// (add replaces an identical match+priority; modify/delete loose or strict, cookie masks), keeps
// groups, records packet-outs, and lets the test inject packet-ins, failures and reconnects.

#include <functional>
#include <mutex>
#include <vector>

#include "lib/openflow/connection.h"

namespace alcor::openflow {

class FakeConnection : public Connection {
 public:
  Status bundle(const std::vector<FlowMod>& mods) override;
  Status bundlePacked(std::span<const PackedFlowMod> mods) override;
  Status send(const std::vector<FlowMod>& mods) override;
  Status barrier() override;
  StatusOr<std::vector<Flow>> dumpFlows(uint8_t table = kTableAll, uint64_t cookie = 0,
                                        uint64_t cookie_mask = 0) override;
  Status groupMod(const GroupMod& mod) override;
  Status packetOut(const PacketOut& packet) override;
  void setPacketInHandler(std::function<void(const PacketIn&)> handler) override;
  void setReconnectHandler(std::function<void()> handler) override;
  void setDisconnectHandler(std::function<void()> handler) override;
  bool connected() const override;

  // Test controls.
  std::vector<Flow> flows() const;  // sorted by table, then priority (high first)
  std::vector<GroupMod> groups() const;
  std::vector<PacketOut> packetOuts() const;
  size_t bundleCount() const;
  void failNext(Status status);  // the next bundle/send/groupMod/packetOut fails, unchanged
  void setConnected(bool connected);
  void injectPacketIn(const PacketIn& packet_in);  // calls the handler synchronously
  void simulateReconnect();   // clears flows and groups (like a vswitchd restart), calls handler
  void simulateDisconnect();  // disconnected, then the disconnect handler
  // Every flow mod the switch took, in order (bundles and sends).
  std::vector<FlowMod> appliedMods() const;
  // Runs at the start of every bundle, without the fake's lock (a test can hold a bundle there).
  void setBundleHook(std::function<void()> hook);

 private:
  Status apply(const FlowMod& mod, std::vector<Flow>& table);
  Status takeFailure();

  mutable std::mutex mu_;
  std::vector<Flow> flows_;
  std::vector<GroupMod> groups_;
  std::vector<PacketOut> packet_outs_;
  std::vector<FlowMod> applied_mods_;
  std::function<void()> bundle_hook_;
  size_t bundles_ = 0;
  bool connected_ = true;
  std::optional<Status> fail_next_;
  std::function<void(const PacketIn&)> packet_in_handler_;
  std::function<void()> reconnect_handler_;
  std::function<void()> disconnect_handler_;
};

}  // namespace alcor::openflow
