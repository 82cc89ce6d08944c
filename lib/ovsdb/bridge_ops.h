#pragma once

// The Open_vSwitch transactions BridgeClientImpl sends, as pure functions of what it read, so
// unit tests can compare them with the JSON they expect.

#include <map>
#include <string>
#include <vector>

#include "lib/ovsdb/bridge_client.h"
#include "lib/ovsdb/ovsdb_ops.h"

namespace alcor::ovsdb::bridge_ops {

inline constexpr const char* kDatabase = "Open_vSwitch";

// A bridge row plus its local internal port (as `ovs-vsctl add-br`), linked from the root row.
Json createBridgeOps(const BridgeSpec& spec);
// Sets datapath_type/fail_mode/protocols; sets the spec's other_config/external_ids keys.
Json updateBridgeOps(const std::string& bridge_uuid, const BridgeSpec& spec);
Json deleteBridgeOps(const std::string& bridge_uuid);

// The Interface columns a PortSpec defines (type, options, external_ids, ofport_request,
// mtu_request; unset optionals become empty sets so an update clears them).
Json interfaceRow(const PortSpec& spec);

struct ExistingPort {
  std::string port_uuid;
  std::string interface_uuid;
};
// Fails (a "wait" op) unless the bridge row is still there, updates the interfaces of ports in
// `existing` (keyed by name), inserts the others and links them to the bridge.
Json addPortsOps(const std::string& bridge_name, const std::string& bridge_uuid,
                 const std::vector<PortSpec>& ports,
                 const std::map<std::string, ExistingPort>& existing);
// Unlinks the ports from the bridge; OVSDB garbage-collects them and their interfaces.
Json deletePortsOps(const std::string& bridge_uuid, const std::vector<std::string>& port_uuids);

// Increments next_cfg and reads it back (result[1].rows[0].next_cfg).
Json bumpNextCfgOps();
Json flowRestoreWaitOps(bool on);

// The monitor BridgeClientImpl keeps: root cur_cfg and every Interface's name/ofport/error.
Json cacheMonitorRequests();

}  // namespace alcor::ovsdb::bridge_ops
