#pragma once

// An RFC 7047 OVSDB client over a unix or tcp stream: transact, monitor/monitor_cond, echo both
// ways, and reconnection with backoff that re-establishes every monitor.
//
//   ASSIGN_OR_RETURN(auto client, OvsdbClientImpl::connect("unix:/run/openvswitch/db.sock", {}));
//   ASSIGN_OR_RETURN(Json result, client->transact("Open_vSwitch", ops));

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "lib/base/status.h"
#include "lib/ovsdb/ovsdb_ops.h"
#include "nlohmann/json.hpp"

namespace alcor::ovsdb {

// What a monitor callback receives. `initial` is true for the monitor's first contents, both at
// creation and after every reconnect (the callback must then replace, not merge, its state).
// `updates` is <table-updates> ("monitor", RFC 7047 4.1.6) or <table-updates2> ("monitor_cond",
// OVS extension) for monitors made with monitorCond().
struct MonitorEvent {
  bool initial = false;
  bool update2 = false;
  Json updates;
};
// Runs on the client's reader thread, in server order; it must not call back into the client
// synchronously (a transact from it would wait for a reply only that thread can read).
using MonitorCallback = std::function<void(const MonitorEvent&)>;

class OvsdbClient {
 public:
  virtual ~OvsdbClient() = default;

  // Runs `ops` (a JSON array of operations) on `db`. An op error or a commit-time constraint
  // violation becomes a non-OK Status carrying the OVSDB error text; OK returns the result array.
  virtual StatusOr<Json> transact(const std::string& db, const Json& ops) = 0;

  // "monitor": `requests` is <monitor-requests> ({"Table": {"columns": [...]}, ...}). The callback
  // first gets the initial contents (initial=true) before this returns, then every update.
  virtual Status monitor(const std::string& db, const std::string& monitor_id, const Json& requests,
                         MonitorCallback callback) = 0;
  // "monitor_cond": requests may carry "where" conditions; updates come as <table-updates2>.
  virtual Status monitorCond(const std::string& db, const std::string& monitor_id,
                             const Json& requests, MonitorCallback callback) = 0;
  virtual Status cancelMonitor(const std::string& monitor_id) = 0;

  // Any other method ("list_dbs", "get_schema", ...); returns the "result" member.
  virtual StatusOr<Json> call(const std::string& method, const Json& params) = 0;

  virtual bool connected() const = 0;
};

struct OvsdbClientOptions {
  // How long a call waits for its reply (including waiting for a reconnect).
  std::chrono::milliseconds request_timeout{30000};
  // Idle time after which we send an echo; a connection silent for twice this is declared dead.
  // Zero disables keep-alive.
  std::chrono::milliseconds echo_interval{5000};
  bool reconnect = true;
  std::chrono::milliseconds reconnect_initial{100};
  std::chrono::milliseconds reconnect_max{4000};
};

class OvsdbClientImpl : public OvsdbClient {
 public:
  // `target`: "unix:/path/db.sock" or "tcp:IP:PORT". Fails if the first connect fails.
  static StatusOr<std::unique_ptr<OvsdbClientImpl>> connect(const std::string& target,
                                                            OvsdbClientOptions options = {});
  // Adopts an already-connected stream socket (tests use a socketpair). No reconnection.
  static std::unique_ptr<OvsdbClientImpl> adoptFd(int fd, OvsdbClientOptions options = {});
  ~OvsdbClientImpl() override;
  OvsdbClientImpl(const OvsdbClientImpl&) = delete;
  OvsdbClientImpl& operator=(const OvsdbClientImpl&) = delete;

  StatusOr<Json> transact(const std::string& db, const Json& ops) override;
  Status monitor(const std::string& db, const std::string& monitor_id, const Json& requests,
                 MonitorCallback callback) override;
  Status monitorCond(const std::string& db, const std::string& monitor_id, const Json& requests,
                     MonitorCallback callback) override;
  Status cancelMonitor(const std::string& monitor_id) override;
  StatusOr<Json> call(const std::string& method, const Json& params) override;
  bool connected() const override;

  // Times the stream was (re)established, for tests and metrics.
  int connectCount() const;

 private:
  struct State;
  explicit OvsdbClientImpl(std::unique_ptr<State> state);
  static std::unique_ptr<OvsdbClientImpl> start(int fd, const std::string& target,
                                                const OvsdbClientOptions& options,
                                                bool can_reconnect);
  std::unique_ptr<State> state_;
};

}  // namespace alcor::ovsdb
