#include "lib/ovsdb/bridge_ops.h"

#include <utility>

namespace alcor::ovsdb::bridge_ops {
namespace {

constexpr const char* kRoot = "Open_vSwitch";

Json optionalValue(const std::optional<int64_t>& v) { return v ? Json(*v) : value::emptySet(); }

Json keySet(const std::map<std::string, std::string>& m) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : m) keys.push_back(k);
  return value::stringSet(keys);
}

// Sets the keys of `entries` in a map column, keeping other keys: delete those keys, insert.
void appendSetKeys(Json* ops, const std::string& table, const Json& where,
                   const std::string& column, const std::map<std::string, std::string>& entries) {
  if (entries.empty()) return;
  ops->push_back(op::mutate(table, where,
                            Json::array({mutation::remove(column, keySet(entries)),
                                         mutation::insert(column, value::map(entries))})));
}

}  // namespace

Json createBridgeOps(const BridgeSpec& spec) {
  Json ops = Json::array();
  ops.push_back(op::insert("Interface", {{"name", spec.name}, {"type", "internal"}}, "local_if"));
  ops.push_back(op::insert(
      "Port", {{"name", spec.name}, {"interfaces", value::namedUuid("local_if")}}, "local_port"));
  Json bridge = {{"name", spec.name},
                 {"ports", value::set({value::namedUuid("local_port")})},
                 {"datapath_type", spec.datapath_type},
                 {"fail_mode", spec.fail_mode.empty() ? value::emptySet() : Json(spec.fail_mode)},
                 {"protocols", value::stringSet(spec.protocols)},
                 {"other_config", value::map(spec.other_config)},
                 {"external_ids", value::map(spec.external_ids)}};
  ops.push_back(op::insert("Bridge", std::move(bridge), "bridge"));
  ops.push_back(op::mutate(
      kRoot, Json::array(),
      Json::array({mutation::insert("bridges", value::set({value::namedUuid("bridge")}))})));
  return ops;
}

Json updateBridgeOps(const std::string& bridge_uuid, const BridgeSpec& spec) {
  Json where = Json::array({cond::uuidIs(bridge_uuid)});
  Json ops = Json::array();
  ops.push_back(
      op::update("Bridge", where,
                 {{"datapath_type", spec.datapath_type},
                  {"fail_mode", spec.fail_mode.empty() ? value::emptySet() : Json(spec.fail_mode)},
                  {"protocols", value::stringSet(spec.protocols)}}));
  appendSetKeys(&ops, "Bridge", where, "other_config", spec.other_config);
  appendSetKeys(&ops, "Bridge", where, "external_ids", spec.external_ids);
  return ops;
}

Json deleteBridgeOps(const std::string& bridge_uuid) {
  return Json::array({op::mutate(
      kRoot, Json::array(),
      Json::array({mutation::remove("bridges", value::set({value::uuid(bridge_uuid)}))}))});
}

Json interfaceRow(const PortSpec& spec) {
  Json row = {{"type", spec.type},
              {"options", value::map(spec.options)},
              {"external_ids", value::map(spec.external_ids)},
              {"ofport_request", optionalValue(spec.ofport_request)},
              {"mtu_request", optionalValue(spec.mtu_request)}};
  if (spec.mac) row["mac"] = *spec.mac;
  return row;
}

Json addPortsOps(const std::string& bridge_name, const std::string& bridge_uuid,
                 const std::vector<PortSpec>& ports,
                 const std::map<std::string, ExistingPort>& existing) {
  Json bridge_where = Json::array({cond::uuidIs(bridge_uuid)});
  Json ops = Json::array();
  ops.push_back(op::wait("Bridge", bridge_where, {"name"}, Json::array({{{"name", bridge_name}}})));
  std::vector<Json> new_ports;
  for (size_t i = 0; i < ports.size(); ++i) {
    const PortSpec& spec = ports[i];
    auto found = existing.find(spec.name);
    if (found != existing.end()) {
      ops.push_back(op::update("Interface",
                               Json::array({cond::uuidIs(found->second.interface_uuid)}),
                               interfaceRow(spec)));
      continue;
    }
    std::string if_name = "if" + std::to_string(i);
    std::string port_name = "port" + std::to_string(i);
    Json row = interfaceRow(spec);
    row["name"] = spec.name;
    ops.push_back(op::insert("Interface", std::move(row), if_name));
    ops.push_back(op::insert(
        "Port", {{"name", spec.name}, {"interfaces", value::namedUuid(if_name)}}, port_name));
    new_ports.push_back(value::namedUuid(port_name));
  }
  if (!new_ports.empty()) {
    ops.push_back(
        op::mutate("Bridge", bridge_where,
                   Json::array({mutation::insert("ports", value::set(std::move(new_ports)))})));
  }
  return ops;
}

Json deletePortsOps(const std::string& bridge_uuid, const std::vector<std::string>& port_uuids) {
  std::vector<Json> uuids;
  for (const auto& u : port_uuids) uuids.push_back(value::uuid(u));
  return Json::array({op::mutate("Bridge", Json::array({cond::uuidIs(bridge_uuid)}),
                                 Json::array({mutation::remove("ports", value::set(uuids))}))});
}

Json bumpNextCfgOps() {
  return Json::array({op::mutate(kRoot, Json::array(), Json::array({mutation::add("next_cfg", 1)})),
                      op::select(kRoot, Json::array(), {"next_cfg"})});
}

Json flowRestoreWaitOps(bool on) {
  Json mutations =
      Json::array({mutation::remove("other_config", value::stringSet({"flow-restore-wait"}))});
  if (on) {
    mutations.push_back(
        mutation::insert("other_config", value::map({{"flow-restore-wait", "true"}})));
  }
  return Json::array({op::mutate(kRoot, Json::array(), std::move(mutations))});
}

Json cacheMonitorRequests() {
  return {{kRoot, {{"columns", {"cur_cfg"}}}},
          {"Interface", {{"columns", {"name", "ofport", "error"}}}}};
}

}  // namespace alcor::ovsdb::bridge_ops
