#include "lib/ovsdb/bridge_client.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <utility>

#include "lib/base/logging.h"
#include "lib/base/strings.h"
#include "lib/ovsdb/bridge_ops.h"
#include "lib/ovsdb/ovsdb_client.h"

namespace alcor::ovsdb {
namespace {

using bridge_ops::kDatabase;

// The rows of select op `index` in a transact result.
const Json& selectedRows(const Json& result, size_t index) {
  static const Json kEmpty = Json::array();
  if (!result.is_array() || index >= result.size() || !result[index].is_object()) return kEmpty;
  auto it = result[index].find("rows");
  return it != result[index].end() && it->is_array() ? *it : kEmpty;
}

std::string stringColumn(const Json& row, const char* column) {
  auto it = row.find(column);
  return it != row.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::set<std::string> uuidSet(const Json& column) {
  std::set<std::string> out;
  for (const Json& atom : value::setElements(column)) {
    std::string u = value::uuidOf(atom);
    if (!u.empty()) out.insert(u);
  }
  return out;
}

// Bridge uuid and port uuids, or empty uuid when the bridge does not exist.
struct BridgeRow {
  std::string uuid;
  std::set<std::string> ports;
};

StatusOr<BridgeRow> readBridge(OvsdbClient& client, const std::string& bridge) {
  Json ops =
      Json::array({op::select("Bridge", Json::array({cond::nameIs(bridge)}), {"_uuid", "ports"})});
  ASSIGN_OR_RETURN(Json result, client.transact(kDatabase, ops));
  const Json& rows = selectedRows(result, 0);
  BridgeRow row;
  if (rows.empty()) return row;
  row.uuid = value::uuidOf(rows[0]["_uuid"]);
  row.ports = uuidSet(rows[0]["ports"]);
  return row;
}

std::atomic<int> monitor_counter{0};

}  // namespace

// What the monitor tells us: vswitchd's progress and the ofports it assigned.
struct BridgeClientImpl::Cache {
  struct Iface {
    std::string name;
    std::optional<int64_t> ofport;
    std::string error;
  };
  std::mutex mu;
  std::condition_variable changed;
  std::map<std::string, Iface> interfaces;  // by row uuid
  int64_t cur_cfg = 0;
  std::string monitor_id;

  void apply(const MonitorEvent& event) {
    {
      std::lock_guard<std::mutex> l(mu);
      if (event.initial) interfaces.clear();
      if (!event.updates.is_object()) return;
      auto root = event.updates.find("Open_vSwitch");
      if (root != event.updates.end() && root->is_object()) {
        for (const auto& [uuid, change] : root->items()) {
          if (change.contains("new")) {
            cur_cfg = value::optionalInt(change["new"].value("cur_cfg", Json())).value_or(0);
          }
        }
      }
      auto ifaces = event.updates.find("Interface");
      if (ifaces != event.updates.end() && ifaces->is_object()) {
        for (const auto& [uuid, change] : ifaces->items()) {
          if (!change.is_object() || !change.contains("new") || !change["new"].is_object()) {
            interfaces.erase(uuid);
            continue;
          }
          const Json& row = change["new"];
          Iface& iface = interfaces[uuid];
          iface.name = stringColumn(row, "name");
          iface.ofport = value::optionalInt(row.value("ofport", Json()));
          iface.error.clear();
          for (const Json& e : value::setElements(row.value("error", Json()))) {
            if (e.is_string()) iface.error = e.get<std::string>();
          }
        }
      }
    }
    changed.notify_all();
  }
};

BridgeClientImpl::BridgeClientImpl(std::shared_ptr<OvsdbClient> client,
                                   std::shared_ptr<Cache> cache)
    : client_(std::move(client)), cache_(std::move(cache)) {}

BridgeClientImpl::~BridgeClientImpl() {
  if (auto* impl = dynamic_cast<OvsdbClientImpl*>(client_.get()); impl && !impl->connected()) {
    return;
  }
  (void)client_->cancelMonitor(cache_->monitor_id);
}

StatusOr<std::unique_ptr<BridgeClientImpl>> BridgeClientImpl::create(
    std::shared_ptr<OvsdbClient> client) {
  auto cache = std::make_shared<Cache>();
  cache->monitor_id = "alcor-bridge-client-" + std::to_string(++monitor_counter);
  RETURN_IF_ERROR(client->monitor(kDatabase, cache->monitor_id, bridge_ops::cacheMonitorRequests(),
                                  [cache](const MonitorEvent& e) { cache->apply(e); }));
  return std::unique_ptr<BridgeClientImpl>(new BridgeClientImpl(std::move(client), cache));
}

StatusOr<std::unique_ptr<BridgeClientImpl>> BridgeClientImpl::connect(const std::string& target,
                                                                      OvsdbClientOptions options) {
  ASSIGN_OR_RETURN(auto client, OvsdbClientImpl::connect(target, options));
  return create(std::shared_ptr<OvsdbClient>(std::move(client)));
}

Status BridgeClientImpl::ensureBridge(const BridgeSpec& spec) {
  if (spec.name.empty()) return invalidArgumentError("ensureBridge: empty bridge name");
  ASSIGN_OR_RETURN(BridgeRow row, readBridge(*client_, spec.name));
  Json ops = row.uuid.empty() ? bridge_ops::createBridgeOps(spec)
                              : bridge_ops::updateBridgeOps(row.uuid, spec);
  auto result = client_->transact(kDatabase, ops);
  if (!result.ok() && row.uuid.empty() &&
      result.status().code() == StatusCode::kFailedPrecondition) {
    // Someone created it between our read and write (the name index refused ours): update it.
    ASSIGN_OR_RETURN(row, readBridge(*client_, spec.name));
    if (!row.uuid.empty()) {
      result = client_->transact(kDatabase, bridge_ops::updateBridgeOps(row.uuid, spec));
    }
  }
  return result.ok() ? okStatus() : result.status().withContext("ensureBridge " + spec.name);
}

Status BridgeClientImpl::addPorts(const std::string& bridge, const std::vector<PortSpec>& ports) {
  if (ports.empty()) return okStatus();
  std::set<std::string> names;
  for (const auto& p : ports) {
    if (p.name.empty()) return invalidArgumentError("addPorts: a port has no name");
    if (!names.insert(p.name).second) {
      return invalidArgumentError("addPorts: port " + p.name + " given twice");
    }
  }
  // Read the bridge and any existing port/interface of each name in one transaction.
  Json reads =
      Json::array({op::select("Bridge", Json::array({cond::nameIs(bridge)}), {"_uuid", "ports"})});
  for (const auto& p : ports) {
    reads.push_back(op::select("Port", Json::array({cond::nameIs(p.name)}), {"_uuid"}));
    reads.push_back(op::select("Interface", Json::array({cond::nameIs(p.name)}), {"_uuid"}));
  }
  ASSIGN_OR_RETURN(Json read, client_->transact(kDatabase, reads));
  const Json& bridge_rows = selectedRows(read, 0);
  if (bridge_rows.empty()) return notFoundError("addPorts: no bridge " + bridge);
  std::string bridge_uuid = value::uuidOf(bridge_rows[0]["_uuid"]);
  std::set<std::string> bridge_ports = uuidSet(bridge_rows[0]["ports"]);
  std::map<std::string, bridge_ops::ExistingPort> existing;
  for (size_t i = 0; i < ports.size(); ++i) {
    const Json& port_rows = selectedRows(read, 1 + 2 * i);
    const Json& iface_rows = selectedRows(read, 2 + 2 * i);
    if (port_rows.empty() && iface_rows.empty()) continue;
    std::string port_uuid = port_rows.empty() ? "" : value::uuidOf(port_rows[0]["_uuid"]);
    if (port_uuid.empty() || iface_rows.empty() || !bridge_ports.count(port_uuid)) {
      return failedPreconditionError("addPorts: " + ports[i].name +
                                     " already exists outside bridge " + bridge);
    }
    existing[ports[i].name] = {port_uuid, value::uuidOf(iface_rows[0]["_uuid"])};
  }
  auto result =
      client_->transact(kDatabase, bridge_ops::addPortsOps(bridge, bridge_uuid, ports, existing));
  return result.ok() ? okStatus() : result.status().withContext("addPorts on " + bridge);
}

Status BridgeClientImpl::deletePorts(const std::string& bridge,
                                     const std::vector<std::string>& names) {
  if (names.empty()) return okStatus();
  Json reads =
      Json::array({op::select("Bridge", Json::array({cond::nameIs(bridge)}), {"_uuid", "ports"})});
  for (const auto& name : names) {
    reads.push_back(op::select("Port", Json::array({cond::nameIs(name)}), {"_uuid"}));
  }
  ASSIGN_OR_RETURN(Json read, client_->transact(kDatabase, reads));
  const Json& bridge_rows = selectedRows(read, 0);
  if (bridge_rows.empty()) return okStatus();
  std::string bridge_uuid = value::uuidOf(bridge_rows[0]["_uuid"]);
  std::set<std::string> bridge_ports = uuidSet(bridge_rows[0]["ports"]);
  std::vector<std::string> doomed;
  for (size_t i = 0; i < names.size(); ++i) {
    const Json& rows = selectedRows(read, 1 + i);
    if (rows.empty()) continue;
    std::string uuid = value::uuidOf(rows[0]["_uuid"]);
    if (bridge_ports.count(uuid)) doomed.push_back(uuid);  // a port on another bridge is left
  }
  if (doomed.empty()) return okStatus();
  auto result = client_->transact(kDatabase, bridge_ops::deletePortsOps(bridge_uuid, doomed));
  return result.ok() ? okStatus() : result.status().withContext("deletePorts on " + bridge);
}

StatusOr<std::vector<PortInfo>> BridgeClientImpl::listPorts(
    const std::string& bridge, const std::map<std::string, std::string>& external_ids_filter) {
  Json reads = Json::array({op::select("Bridge", Json::array({cond::nameIs(bridge)}), {"ports"}),
                            op::select("Port", Json::array(), {"_uuid", "name", "interfaces"}),
                            op::select("Interface", Json::array(),
                                       {"_uuid", "name", "type", "options", "external_ids",
                                        "ofport", "error", "mac_in_use"})});
  ASSIGN_OR_RETURN(Json read, client_->transact(kDatabase, reads));
  const Json& bridge_rows = selectedRows(read, 0);
  if (bridge_rows.empty()) return notFoundError("listPorts: no bridge " + bridge);
  std::set<std::string> bridge_ports = uuidSet(bridge_rows[0]["ports"]);
  std::map<std::string, const Json*> interfaces;
  for (const Json& row : selectedRows(read, 2)) interfaces[value::uuidOf(row["_uuid"])] = &row;

  std::vector<PortInfo> out;
  for (const Json& port : selectedRows(read, 1)) {
    std::string port_uuid = value::uuidOf(port["_uuid"]);
    if (!bridge_ports.count(port_uuid)) continue;
    PortInfo info;
    info.name = stringColumn(port, "name");
    info.port_uuid = port_uuid;
    // A port's own interface has its name (bonds have several; the first stands for the rest).
    const Json* iface = nullptr;
    for (const std::string& u : uuidSet(port["interfaces"])) {
      auto it = interfaces.find(u);
      if (it == interfaces.end()) continue;
      if (!iface || stringColumn(*it->second, "name") == info.name) iface = it->second;
    }
    if (iface) {
      info.interface_uuid = value::uuidOf((*iface)["_uuid"]);
      info.type = stringColumn(*iface, "type");
      info.options = value::stringMap(iface->value("options", Json()));
      info.external_ids = value::stringMap(iface->value("external_ids", Json()));
      info.ofport = value::optionalInt(iface->value("ofport", Json())).value_or(0);
      for (const Json& e : value::setElements(iface->value("error", Json()))) {
        if (e.is_string()) info.error = e.get<std::string>();
      }
      for (const Json& m : value::setElements(iface->value("mac_in_use", Json()))) {
        if (m.is_string()) info.mac_in_use = m.get<std::string>();
      }
    }
    bool match =
        std::all_of(external_ids_filter.begin(), external_ids_filter.end(), [&](const auto& kv) {
          auto it = info.external_ids.find(kv.first);
          return it != info.external_ids.end() && it->second == kv.second;
        });
    if (match) out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const PortInfo& a, const PortInfo& b) { return a.name < b.name; });
  return out;
}

StatusOr<std::map<std::string, int64_t>> BridgeClientImpl::waitForOfports(
    const std::vector<std::string>& names, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> l(cache_->mu);
  while (true) {
    std::map<std::string, int64_t> found;
    std::vector<std::string> missing;
    for (const auto& [uuid, iface] : cache_->interfaces) {
      if (!std::count(names.begin(), names.end(), iface.name)) continue;
      if (iface.ofport && *iface.ofport == -1) {
        return failedPreconditionError("interface " + iface.name + " has no ofport: " +
                                       (iface.error.empty() ? "error" : iface.error));
      }
      if (iface.ofport && *iface.ofport > 0) found[iface.name] = *iface.ofport;
    }
    for (const auto& n : names) {
      if (!found.count(n)) missing.push_back(n);
    }
    if (missing.empty()) return found;
    if (cache_->changed.wait_until(l, deadline) == std::cv_status::timeout &&
        std::chrono::steady_clock::now() >= deadline) {
      return deadlineExceededError("no ofport yet for " + joinStrings(missing, ", "));
    }
  }
}

Status BridgeClientImpl::waitApplied(std::chrono::steady_clock::time_point deadline) {
  ASSIGN_OR_RETURN(Json result, client_->transact(kDatabase, bridge_ops::bumpNextCfgOps()));
  const Json& rows = selectedRows(result, 1);
  if (rows.empty()) return internalError("waitApplied: no Open_vSwitch row");
  int64_t target = value::optionalInt(rows[0].value("next_cfg", Json())).value_or(0);
  std::unique_lock<std::mutex> l(cache_->mu);
  if (!cache_->changed.wait_until(l, deadline, [&] { return cache_->cur_cfg >= target; })) {
    return deadlineExceededError("ovs-vswitchd has not applied next_cfg " + std::to_string(target) +
                                 " (cur_cfg " + std::to_string(cache_->cur_cfg) + ")");
  }
  return okStatus();
}

Status BridgeClientImpl::setFlowRestoreWait(bool on) {
  auto result = client_->transact(kDatabase, bridge_ops::flowRestoreWaitOps(on));
  return result.ok() ? okStatus() : result.status();
}

StatusOr<bool> BridgeClientImpl::bridgeExists(const std::string& bridge) {
  ASSIGN_OR_RETURN(BridgeRow row, readBridge(*client_, bridge));
  return !row.uuid.empty();
}

Status BridgeClientImpl::deleteBridge(const std::string& bridge) {
  ASSIGN_OR_RETURN(BridgeRow row, readBridge(*client_, bridge));
  if (row.uuid.empty()) return okStatus();
  auto result = client_->transact(kDatabase, bridge_ops::deleteBridgeOps(row.uuid));
  return result.ok() ? okStatus() : result.status().withContext("deleteBridge " + bridge);
}

}  // namespace alcor::ovsdb
