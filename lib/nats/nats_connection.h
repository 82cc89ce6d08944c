#pragma once

// MessageBus over libnats (Debian's libnats-dev, the NATS C client): one connection to a NATS
// cluster given as a list of servers, reconnecting to any of them (forever by default) and
// re-establishing its subscriptions; TLS with a CA (and optionally a client certificate) and
// user/password authentication. Messages published while disconnected wait in the reconnect
// buffer; what a server had not forwarded when it died is lost (core NATS is at most once).
//
//   NatsOptions o; o.servers = {"tls://10.0.0.1:4222", "tls://10.0.0.2:4222"};
//   o.user = "node-1"; o.password = "..."; o.ca_file = "/etc/alcor/ca.crt";
//   ASSIGN_OR_RETURN(auto bus, NatsConnection::connect(o));
//   ASSIGN_OR_RETURN(auto sub, bus->subscribe("alcor.gs.host.x", [](const Message& m) {...}));

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/nats/message_bus.h"

struct __natsConnection;

namespace alcor::nats {

struct NatsOptions {
  std::vector<std::string> servers;  // nats://host:port or tls://host:port
  std::string name;                  // shown by the server (monitoring, logs)
  std::string user;
  std::string password;
  std::string ca_file;    // PEM; set: TLS required, servers verified against it
  std::string cert_file;  // client certificate (servers that verify clients)
  std::string key_file;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_wait{100};
  int max_reconnects = -1;  // -1: forever
  // Every subscription of every connection with this set is delivered by one thread of the
  // library's global pool, so messages of different subjects are handled in the order they
  // arrived (one publisher's messages arrive in the order it sent them).
  bool ordered_delivery = false;
  // A subscription holding more undelivered messages than this drops the new ones (the
  // server also cuts a slow consumer); the owner detects the loss (sequence numbers).
  int pending_messages_limit = 65536;
};

// Options from a binary's flags: comma-separated server URLs, a user, a file holding the
// password (a final newline is not part of it), a CA file (set: TLS).
StatusOr<NatsOptions> natsOptionsFromFlags(const std::string& servers, const std::string& user,
                                           const std::string& password_file,
                                           const std::string& ca_file);

class NatsConnection : public MessageBus {
 public:
  // Waits for the first connection (any of the servers) within connect_timeout per server.
  static StatusOr<std::unique_ptr<NatsConnection>> connect(const NatsOptions& options);
  ~NatsConnection() override;
  NatsConnection(const NatsConnection&) = delete;
  NatsConnection& operator=(const NatsConnection&) = delete;

  Status publish(const std::string& subject, std::string_view data,
                 const Headers& headers = {}) override;
  StatusOr<Message> request(const std::string& subject, std::string_view data,
                            const Headers& headers, std::chrono::milliseconds timeout) override;
  StatusOr<SubscriptionPtr> subscribe(const std::string& subject, MessageHandler handler) override;
  Status flush(std::chrono::milliseconds timeout) override;
  void setReconnectHandler(std::function<void()> handler) override;

  // Closes the connection: requests waiting fail at once, later calls fail (shutdown).
  void close();
  // The server currently connected to ("nats://127.0.0.1:4222"), empty while disconnected.
  std::string connectedUrl() const;
  bool connected() const;
  // Reconnections since connect (tests: a failover happened).
  uint64_t reconnects() const { return reconnects_.load(); }

 private:
  explicit NatsConnection(NatsOptions options) : options_(std::move(options)) {}
  static void onReconnected(__natsConnection*, void* closure);

  NatsOptions options_;
  __natsConnection* nc_ = nullptr;
  std::atomic<uint64_t> reconnects_{0};
  std::mutex handler_mu_;
  std::function<void()> on_reconnect_;
};

}  // namespace alcor::nats
