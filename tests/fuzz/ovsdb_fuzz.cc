// Fuzz target: the bytes an OVSDB server sends the agent. They go through the JSON-RPC stream
// splitter in chunks whose sizes the input chooses (partial reads), then through message
// classification and the decoders of OVSDB values.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "lib/ovsdb/jsonrpc.h"
#include "lib/ovsdb/ovsdb_ops.h"

namespace {

void decodeValues(const nlohmann::json& v, int depth) {
  if (depth > 4) return;
  (void)alcor::ovsdb::value::setElements(v);
  (void)alcor::ovsdb::value::stringMap(v);
  (void)alcor::ovsdb::value::uuidOf(v);
  (void)alcor::ovsdb::value::optionalInt(v);
  if (v.is_structured()) {
    for (const auto& child : v) decodeValues(child, depth + 1);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;  // the first byte picks the read size
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  alcor::ovsdb::JsonStreamSplitter splitter(1 << 16);
  std::vector<nlohmann::json> values;
  for (size_t off = 0; off < text.size(); off += chunk) {
    if (!splitter.feed(text.substr(off, chunk), &values).ok()) break;
  }
  for (const auto& v : values) {
    auto msg = alcor::ovsdb::parseJsonRpcMessage(v);
    if (msg.ok() && msg->kind == alcor::ovsdb::JsonRpcMessage::Kind::kReply) {
      (void)alcor::ovsdb::checkTransactResult(nlohmann::json::array(), msg->result);
      if (!msg->error.is_null()) (void)alcor::ovsdb::statusFromOvsdbError(msg->error);
    }
    decodeValues(v, 0);
  }
  return 0;
}
