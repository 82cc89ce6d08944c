#pragma once

// In-memory BridgeClient for unit tests of its users: bridges and ports live in maps, ofports are
// assigned at once (ofport_request honoured, else the lowest free number from 1), waitApplied
// succeeds, and any method can be made to fail.

#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lib/ovsdb/bridge_client.h"

namespace alcor::ovsdb {

class FakeBridgeClient : public BridgeClient {
 public:
  Status ensureBridge(const BridgeSpec& spec) override;
  Status addPorts(const std::string& bridge, const std::vector<PortSpec>& ports) override;
  Status deletePorts(const std::string& bridge, const std::vector<std::string>& names) override;
  StatusOr<std::vector<PortInfo>> listPorts(
      const std::string& bridge,
      const std::map<std::string, std::string>& external_ids_filter = {}) override;
  StatusOr<std::map<std::string, int64_t>> waitForOfports(
      const std::vector<std::string>& names,
      std::chrono::steady_clock::time_point deadline) override;
  Status waitApplied(std::chrono::steady_clock::time_point deadline) override;
  Status setFlowRestoreWait(bool on) override;
  StatusOr<bool> bridgeExists(const std::string& bridge) override;
  Status deleteBridge(const std::string& bridge) override;

  // The next `times` calls of `method` ("addPorts", "ensureBridge", ...) return `status` and
  // change nothing.
  void injectFailure(const std::string& method, Status status, int times = 1);
  // Ports added with this name get ofport -1 and this error (as vswitchd reports a bad port).
  void failPortCreation(const std::string& port_name, const std::string& error);

  // Inspection for assertions.
  std::vector<std::string> bridgeNames() const;
  std::optional<BridgeSpec> bridge(const std::string& name) const;
  std::optional<PortSpec> port(const std::string& bridge, const std::string& name) const;
  bool flowRestoreWait() const;
  int callCount(const std::string& method) const;

 private:
  struct FakePort {
    PortSpec spec;
    int64_t ofport = 0;
    std::string error;
    std::string uuid;
  };
  struct FakeBridge {
    BridgeSpec spec;
    std::map<std::string, FakePort> ports;
  };
  Status enter(const std::string& method);  // counts the call, pops an injected failure
  const FakePort* findPortLocked(const std::string& name) const;

  mutable std::mutex mu_;
  std::condition_variable changed_;
  std::map<std::string, FakeBridge> bridges_;
  std::map<std::string, std::vector<Status>> failures_;
  std::map<std::string, std::string> port_errors_;
  std::map<std::string, int> calls_;
  bool flow_restore_wait_ = false;
  int next_uuid_ = 1;
};

}  // namespace alcor::ovsdb
