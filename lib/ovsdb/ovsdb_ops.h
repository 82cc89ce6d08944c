#pragma once

// Builders for RFC 7047 values and transaction operations, so call sites read like the spec:
//   json ops = json::array({op::insert("Port", row, "p0"),
//                           op::mutate("Bridge", {cond::uuidIs(br)}, {mutation::insert(
//                                      "ports", value::set({value::namedUuid("p0")}))})});

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "nlohmann/json.hpp"

namespace alcor::ovsdb {

using Json = nlohmann::json;

namespace value {
Json uuid(const std::string& uuid);       // ["uuid", "..."]
Json namedUuid(const std::string& name);  // ["named-uuid", "..."]
Json set(std::vector<Json> atoms);        // ["set", [...]]
Json emptySet();                          // ["set", []] (an unset optional column)
Json map(const std::map<std::string, std::string>& entries);  // ["map", [[k, v], ...]]
Json stringSet(const std::vector<std::string>& strings);

// Decoding what the server sends: a set column holds either one atom or ["set", [...]].
std::vector<Json> setElements(const Json& value);
std::map<std::string, std::string> stringMap(const Json& value);  // junk → empty
std::string uuidOf(const Json& value);                            // ["uuid", x] → x, else ""
// An optional integer column: nullopt for ["set", []] or anything not an integer.
std::optional<int64_t> optionalInt(const Json& value);
}  // namespace value

namespace cond {
Json equals(const std::string& column, Json value);  // [column, "==", value]
Json uuidIs(const std::string& uuid);                // ["_uuid", "==", ["uuid", uuid]]
Json nameIs(const std::string& name);                // ["name", "==", name]
}  // namespace cond

namespace mutation {
Json insert(const std::string& column, Json value);
Json remove(const std::string& column, Json value);  // the "delete" mutator
Json add(const std::string& column, Json value);     // "+="
}  // namespace mutation

namespace op {
Json insert(const std::string& table, Json row, const std::string& uuid_name = "");
Json update(const std::string& table, Json where, Json row);
Json mutate(const std::string& table, Json where, Json mutations);
Json select(const std::string& table, Json where, std::vector<std::string> columns = {});
Json remove(const std::string& table, Json where);  // the "delete" op
// Fails the transaction unless `until` ("==" or "!=") holds between the rows matching `where`
// (projected on `columns`) and `rows`; timeout 0 = check now.
Json wait(const std::string& table, Json where, std::vector<std::string> columns, Json rows,
          const std::string& until = "==", int timeout_ms = 0);
Json comment(const std::string& text);
}  // namespace op

// Turns an OVSDB error object ({"error": ..., "details": ...}) into a Status: constraint and
// referential-integrity violations → FailedPrecondition, "timed out" (a failed wait) → Aborted,
// "resources exhausted" → ResourceExhausted, others → Unknown. The message keeps the OVSDB text.
Status statusFromOvsdbError(const Json& error, const std::string& context = "");

// Checks a transact result array: the first element carrying "error" (an op error, or the extra
// trailing element for a commit-time constraint violation) becomes the Status.
Status checkTransactResult(const Json& ops, const Json& result);

}  // namespace alcor::ovsdb
