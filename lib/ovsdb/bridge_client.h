#pragma once

// Bridges and ports of Open vSwitch through its database (never through ovs-vsctl). Every call is
// one OVSDB transaction plus, at most, a read before it.

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "lib/ovsdb/ovsdb_client.h"

namespace alcor::ovsdb {

class OvsdbClient;

struct BridgeSpec {
  std::string name;
  std::string datapath_type = "system";
  std::string fail_mode = "secure";
  std::vector<std::string> protocols = {"OpenFlow13", "OpenFlow15"};
  std::map<std::string, std::string> other_config, external_ids;
};

struct PortSpec {
  std::string name;
  std::string type;  // "" system, "internal", "vxlan", "patch"
  std::map<std::string, std::string> options, external_ids;  // external_ids go on the Interface
  std::optional<int64_t> ofport_request, mtu_request;
  std::optional<std::string> mac;  // Interface:mac, honoured for internal ports ("aa:bb:..")
};

struct PortInfo {
  std::string name, type, port_uuid, interface_uuid;
  std::map<std::string, std::string> options, external_ids;
  int64_t ofport = 0;  // 0 not yet, -1 error
  std::string error;
  std::string mac_in_use;
};

class BridgeClient {
 public:
  virtual ~BridgeClient() = default;
  // Creates the bridge (with its local internal port) or updates it in place; idempotent.
  // On update, other_config/external_ids keys of the spec are set, other keys are kept.
  virtual Status ensureBridge(const BridgeSpec&) = 0;
  // ONE transaction; an existing port of the same name is updated (type, options, external_ids,
  // ofport_request, mtu_request), not duplicated. A name used on another bridge is an error.
  virtual Status addPorts(const std::string& bridge, const std::vector<PortSpec>&) = 0;
  // Idempotent (missing ports and a missing bridge are fine), one transaction.
  virtual Status deletePorts(const std::string& bridge, const std::vector<std::string>& names) = 0;
  // Ports of `bridge` whose Interface external_ids contain every pair of the filter.
  virtual StatusOr<std::vector<PortInfo>> listPorts(
      const std::string& bridge,
      const std::map<std::string, std::string>& external_ids_filter = {}) = 0;
  // Interface name → ofport once vswitchd assigned all of them. An interface in error (ofport
  // -1) fails with its error text; the deadline passing → DeadlineExceeded naming the missing.
  virtual StatusOr<std::map<std::string, int64_t>> waitForOfports(
      const std::vector<std::string>& names, std::chrono::steady_clock::time_point deadline) = 0;
  // Bumps next_cfg and waits until vswitchd's cur_cfg reaches it: all changes so far applied.
  virtual Status waitApplied(std::chrono::steady_clock::time_point deadline) = 0;
  virtual Status setFlowRestoreWait(bool on) = 0;  // Open_vSwitch other_config:flow-restore-wait
  virtual StatusOr<bool> bridgeExists(const std::string& bridge) = 0;
  virtual Status deleteBridge(const std::string& bridge) = 0;  // idempotent
};

class BridgeClientImpl : public BridgeClient {
 public:
  // Starts a monitor ("alcor-bridge-client") of Open_vSwitch cur_cfg and Interface
  // name/ofport/error, used by waitForOfports and waitApplied.
  static StatusOr<std::unique_ptr<BridgeClientImpl>> create(std::shared_ptr<OvsdbClient> client);
  // Convenience: connects an OvsdbClientImpl to `target` ("unix:/path/db.sock") first.
  static StatusOr<std::unique_ptr<BridgeClientImpl>> connect(const std::string& target,
                                                             OvsdbClientOptions options = {});
  ~BridgeClientImpl() override;

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

  OvsdbClient& ovsdb() { return *client_; }

 private:
  struct Cache;
  BridgeClientImpl(std::shared_ptr<OvsdbClient> client, std::shared_ptr<Cache> cache);
  std::shared_ptr<OvsdbClient> client_;
  std::shared_ptr<Cache> cache_;
};

}  // namespace alcor::ovsdb
