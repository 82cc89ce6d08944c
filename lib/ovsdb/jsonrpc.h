#pragma once

// JSON-RPC 1.0 framing as OVSDB uses it (RFC 7047 section 4): a stream of JSON values with no
// delimiters. JsonStreamSplitter finds value boundaries incrementally (partial reads, several
// messages in one read) and parses each complete value; malformed bytes are an error.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"
#include "nlohmann/json.hpp"

namespace alcor::ovsdb {

class JsonStreamSplitter {
 public:
  static constexpr size_t kDefaultMaxMessageBytes = 64 << 20;
  explicit JsonStreamSplitter(size_t max_message_bytes = kDefaultMaxMessageBytes)
      : max_message_bytes_(max_message_bytes) {}

  // Consumes `bytes`; every value completed by them is appended to `out`, in order. After an
  // error (bytes that cannot start or continue a JSON object/array, invalid JSON, a message over
  // the size limit) the stream is unusable until reset(): framing cannot be recovered.
  Status feed(std::string_view bytes, std::vector<nlohmann::json>* out);
  void reset();
  // Bytes of the current incomplete value.
  size_t pending() const { return buffer_.size(); }

 private:
  std::string buffer_;  // the incomplete value so far (starts at its '{' or '[')
  size_t max_message_bytes_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  bool failed_ = false;
};

// One JSON-RPC message, classified.
struct JsonRpcMessage {
  enum class Kind { kRequest, kNotification, kReply };
  Kind kind = Kind::kRequest;
  std::string method;     // requests and notifications
  nlohmann::json params;  // requests and notifications (an array)
  nlohmann::json id;      // requests and replies
  nlohmann::json result;  // replies
  nlohmann::json error;   // replies: null when the call succeeded
};

// Checks the shape of a received value (an object with method+params+id, or result+error+id).
StatusOr<JsonRpcMessage> parseJsonRpcMessage(const nlohmann::json& value);

nlohmann::json makeJsonRpcRequest(const std::string& method, nlohmann::json params,
                                  nlohmann::json id);
nlohmann::json makeJsonRpcNotification(const std::string& method, nlohmann::json params);
nlohmann::json makeJsonRpcReply(nlohmann::json result, nlohmann::json id);
nlohmann::json makeJsonRpcErrorReply(nlohmann::json error, nlohmann::json id);

}  // namespace alcor::ovsdb
