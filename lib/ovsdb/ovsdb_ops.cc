#include "lib/ovsdb/ovsdb_ops.h"

#include <utility>

namespace alcor::ovsdb {

namespace value {

Json uuid(const std::string& uuid) { return Json::array({"uuid", uuid}); }
Json namedUuid(const std::string& name) { return Json::array({"named-uuid", name}); }
Json set(std::vector<Json> atoms) { return Json::array({"set", Json(std::move(atoms))}); }
Json emptySet() { return Json::array({"set", Json::array()}); }

Json map(const std::map<std::string, std::string>& entries) {
  Json pairs = Json::array();
  for (const auto& [k, v] : entries) pairs.push_back(Json::array({k, v}));
  return Json::array({"map", std::move(pairs)});
}

Json stringSet(const std::vector<std::string>& strings) {
  std::vector<Json> atoms(strings.begin(), strings.end());
  return set(std::move(atoms));
}

std::vector<Json> setElements(const Json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "set" && value[1].is_array()) {
    return std::vector<Json>(value[1].begin(), value[1].end());
  }
  if (value.is_null()) return {};
  return {value};  // a single atom stands for a one-element set
}

std::map<std::string, std::string> stringMap(const Json& value) {
  std::map<std::string, std::string> out;
  if (!(value.is_array() && value.size() == 2 && value[0] == "map" && value[1].is_array())) {
    return out;
  }
  for (const auto& pair : value[1]) {
    if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
      out[pair[0].get<std::string>()] = pair[1].get<std::string>();
    }
  }
  return out;
}

std::string uuidOf(const Json& value) {
  if (value.is_array() && value.size() == 2 && value[0] == "uuid" && value[1].is_string()) {
    return value[1].get<std::string>();
  }
  return "";
}

std::optional<int64_t> optionalInt(const Json& value) {
  for (const Json& atom : setElements(value)) {
    if (atom.is_number_integer()) return atom.get<int64_t>();
  }
  return std::nullopt;
}

}  // namespace value

namespace cond {
Json equals(const std::string& column, Json value) {
  return Json::array({column, "==", std::move(value)});
}
Json uuidIs(const std::string& uuid) { return equals("_uuid", value::uuid(uuid)); }
Json nameIs(const std::string& name) { return equals("name", name); }
}  // namespace cond

namespace mutation {
Json insert(const std::string& column, Json value) {
  return Json::array({column, "insert", std::move(value)});
}
Json remove(const std::string& column, Json value) {
  return Json::array({column, "delete", std::move(value)});
}
Json add(const std::string& column, Json value) {
  return Json::array({column, "+=", std::move(value)});
}
}  // namespace mutation

namespace op {

Json insert(const std::string& table, Json row, const std::string& uuid_name) {
  Json o = {{"op", "insert"}, {"table", table}, {"row", std::move(row)}};
  if (!uuid_name.empty()) o["uuid-name"] = uuid_name;
  return o;
}

Json update(const std::string& table, Json where, Json row) {
  return {{"op", "update"}, {"table", table}, {"where", std::move(where)}, {"row", std::move(row)}};
}

Json mutate(const std::string& table, Json where, Json mutations) {
  return {{"op", "mutate"},
          {"table", table},
          {"where", std::move(where)},
          {"mutations", std::move(mutations)}};
}

Json select(const std::string& table, Json where, std::vector<std::string> columns) {
  Json o = {{"op", "select"}, {"table", table}, {"where", std::move(where)}};
  if (!columns.empty()) o["columns"] = columns;
  return o;
}

Json remove(const std::string& table, Json where) {
  return {{"op", "delete"}, {"table", table}, {"where", std::move(where)}};
}

Json wait(const std::string& table, Json where, std::vector<std::string> columns, Json rows,
          const std::string& until, int timeout_ms) {
  return {{"op", "wait"},         {"table", table}, {"where", std::move(where)},
          {"columns", columns},   {"until", until}, {"rows", std::move(rows)},
          {"timeout", timeout_ms}};
}

Json comment(const std::string& text) { return {{"op", "comment"}, {"comment", text}}; }

}  // namespace op

Status statusFromOvsdbError(const Json& error, const std::string& context) {
  std::string kind = "unknown error";
  std::string details;
  if (error.is_object()) {
    if (error.contains("error") && error["error"].is_string()) kind = error["error"];
    if (error.contains("details") && error["details"].is_string()) details = error["details"];
  } else if (error.is_string()) {
    kind = error.get<std::string>();
  } else if (!error.is_null()) {
    kind = error.dump();
  }
  std::string msg = "ovsdb: " + (context.empty() ? "" : context + ": ") + kind;
  if (!details.empty()) msg += ": " + details;
  if (kind == "constraint violation" || kind == "referential integrity violation") {
    return failedPreconditionError(msg);
  }
  if (kind == "timed out") return abortedError(msg);
  if (kind == "resources exhausted") return resourceExhaustedError(msg);
  if (kind == "not supported" || kind == "unknown method") return unimplementedError(msg);
  return unknownError(msg);
}

Status checkTransactResult(const Json& ops, const Json& result) {
  if (!result.is_array()) return internalError("ovsdb: transact result is not an array");
  for (size_t i = 0; i < result.size(); ++i) {
    const Json& r = result[i];
    if (!r.is_object() || !r.contains("error") || r["error"].is_null()) continue;
    std::string context;
    if (i < ops.size() && ops[i].is_object() && ops[i].contains("op")) {
      context = "op " + std::to_string(i) + " (" + ops[i].value("op", std::string()) + " " +
                ops[i].value("table", std::string()) + ")";
    } else {
      context = "commit";
    }
    return statusFromOvsdbError(r, context);
  }
  return okStatus();
}

}  // namespace alcor::ovsdb
