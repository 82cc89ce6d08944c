#pragma once

// A controller connection to one OVS bridge ("unix:<rundir>/<bridge>.mgmt"). The interface is what
// the agent programs against; ConnectionImpl speaks OpenFlow 1.5 to OVS, FakeConnection
// (fake_connection.h) keeps an in-memory flow table for unit tests.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/status.h"
#include "lib/base/unique_fd.h"
#include "lib/openflow/messages.h"
#include "lib/openflow/packed_flow.h"

namespace alcor::openflow {

class Connection {
 public:
  virtual ~Connection() = default;

  // Applies all flow mods atomically (bundle open/add/commit). On error nothing is applied and
  // the status carries OVS's decoded error text.
  virtual Status bundle(const std::vector<FlowMod>& mods) = 0;
  // The same for packed flows (packed_flow.h): sent as they are, nothing decoded.
  virtual Status bundlePacked(std::span<const PackedFlowMod> mods) = 0;
  // Applies the flow mods one by one, then waits for a barrier; the first error is returned
  // (earlier mods stay applied).
  virtual Status send(const std::vector<FlowMod>& mods) = 0;
  virtual Status barrier() = 0;
  virtual StatusOr<std::vector<Flow>> dumpFlows(uint8_t table = kTableAll, uint64_t cookie = 0,
                                                uint64_t cookie_mask = 0) = 0;
  virtual Status groupMod(const GroupMod& mod) = 0;
  virtual Status packetOut(const PacketOut& packet) = 0;
  // Called for every packet-in, on a delivery thread (not the reader: it may call packetOut).
  virtual void setPacketInHandler(std::function<void(const PacketIn&)> handler) = 0;
  // Called (on the delivery thread) after the connection was re-established, so the caller can
  // replay its flows.
  virtual void setReconnectHandler(std::function<void()> handler) = 0;
  // Called (on the delivery thread, before any later reconnect handler) when the connection was
  // lost, e.g. because ovs-vswitchd exited.
  virtual void setDisconnectHandler(std::function<void()> handler) = 0;
  virtual bool connected() const = 0;
};

struct ConnectionOptions {
  std::chrono::milliseconds request_timeout{30000};  // per barrier/commit/dump
  std::chrono::milliseconds echo_interval{5000};     // idle time before an echo request
  std::chrono::milliseconds reconnect_initial{100};
  std::chrono::milliseconds reconnect_max{5000};
  bool reconnect = true;
  size_t max_pending_packet_ins = 1024;  // packet-ins queued for the handler beyond this drop
  size_t max_send_buffer = 1 << 20;      // bytes batched before a write (and buffered at most)
};

class ConnectionImpl : public Connection {
 public:
  // target: "unix:/path/br-int.mgmt". Connects, negotiates OpenFlow 1.5, enables NXT_PACKET_IN2.
  static StatusOr<std::unique_ptr<ConnectionImpl>> connect(const std::string& target,
                                                           ConnectionOptions options = {});
  ~ConnectionImpl() override;
  ConnectionImpl(const ConnectionImpl&) = delete;
  ConnectionImpl& operator=(const ConnectionImpl&) = delete;

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
  bool connected() const override { return connected_.load(); }

  uint64_t datapathId() const { return datapath_id_.load(); }

 private:
  struct Pending;
  ConnectionImpl(std::string path, ConnectionOptions options);

  Status openSocket();  // connect + handshake on the calling thread
  void readerLoop();
  void deliveryLoop();
  void handleMessage(Message&& message);
  void connectionLost(const Status& why);
  std::shared_ptr<Pending> findPending(uint32_t xid);  // pending_mu_ held
  void failPending(uint32_t xid, const Status& status);
  Status writeAll(const std::vector<uint8_t>& bytes);
  uint32_t nextXid(uint32_t count = 1);
  // Registers a request whose reply (or error) carries xid; then waits for it.
  std::shared_ptr<Pending> expect(uint32_t xid);
  Status await(const std::shared_ptr<Pending>& pending);
  Status roundTrip(const std::vector<uint8_t>& bytes, uint32_t reply_xid);
  // Sends request (its xid is assigned here) plus a barrier; returns OVS's error, if any.
  Status requestWithBarrier(const Message& request);
  // One atomic, ordered bundle of `count` flow mods; `encode_add(i, xid, bundle_id, flags, out)`
  // appends the i-th OFPT_BUNDLE_ADD_MESSAGE.
  using BundleAddEncoder =
      std::function<void(size_t, uint32_t, uint32_t, uint16_t, std::vector<uint8_t>&)>;
  Status bundleOf(size_t count, const BundleAddEncoder& encode_add);
  void enqueueCallback(std::function<void()> fn, bool is_packet_in);
  // Queues a call of the reconnect or disconnect handler.
  void enqueueHandler(std::function<void()> ConnectionImpl::*handler);

  const std::string path_;
  const ConnectionOptions options_;

  mutable std::mutex write_mu_;  // serializes writes and guards fd_ swaps
  UniqueFd fd_;
  std::atomic<bool> connected_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<uint32_t> xid_{1};
  std::atomic<uint64_t> datapath_id_{0};
  int wake_pipe_[2] = {-1, -1};  // wakes the reader on shutdown

  std::mutex pending_mu_;
  std::map<uint32_t, std::shared_ptr<Pending>> pending_;
  uint64_t connection_epoch_ = 0;  // bumped on each (re)connect, under pending_mu_

  std::mutex callback_mu_;
  std::condition_variable callback_cv_;
  std::deque<std::pair<bool, std::function<void()>>> callbacks_;
  size_t queued_packet_ins_ = 0;
  std::function<void(const PacketIn&)> packet_in_handler_;
  std::function<void()> reconnect_handler_;
  std::function<void()> disconnect_handler_;

  std::thread reader_;
  std::thread delivery_;
};

}  // namespace alcor::openflow
