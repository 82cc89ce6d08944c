#include "lib/ovsdb/jsonrpc.h"

#include <utility>

#include "lib/base/json_util.h"
#include "lib/base/strings.h"

namespace alcor::ovsdb {
namespace {

bool isJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

}  // namespace

Status JsonStreamSplitter::feed(std::string_view bytes, std::vector<nlohmann::json>* out) {
  if (failed_) return failedPreconditionError("JSON-RPC stream already failed; reset() first");
  size_t start = 0;  // where the current value's bytes begin within `bytes`
  auto fail = [this](Status s) {
    failed_ = true;
    buffer_.clear();
    return s;
  };
  for (size_t i = 0; i < bytes.size(); ++i) {
    char c = bytes[i];
    if (depth_ == 0) {
      // Between values: only whitespace, then the start of an object or array.
      if (isJsonSpace(c)) continue;
      if (c != '{' && c != '[') {
        return fail(invalidArgumentError("JSON-RPC stream: unexpected byte 0x" + hexDump(&c, 1) +
                                         " between messages"));
      }
      depth_ = 1;
      start = i;
      continue;
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      if (--depth_ == 0) {
        buffer_.append(bytes.substr(start, i + 1 - start));
        if (buffer_.size() > max_message_bytes_) {
          return fail(resourceExhaustedError("JSON-RPC message over " +
                                             std::to_string(max_message_bytes_) + " bytes"));
        }
        auto value = parseJson(buffer_, "JSON-RPC message");
        buffer_.clear();
        if (!value.ok()) return fail(value.status());
        out->push_back(std::move(value).value());
      }
    }
  }
  if (depth_ > 0) {
    buffer_.append(bytes.substr(start));
    if (buffer_.size() > max_message_bytes_) {
      return fail(resourceExhaustedError("JSON-RPC message over " +
                                         std::to_string(max_message_bytes_) + " bytes"));
    }
  }
  return okStatus();
}

void JsonStreamSplitter::reset() {
  buffer_.clear();
  depth_ = 0;
  in_string_ = false;
  escaped_ = false;
  failed_ = false;
}

StatusOr<JsonRpcMessage> parseJsonRpcMessage(const nlohmann::json& value) {
  if (!value.is_object()) return invalidArgumentError("JSON-RPC message is not an object");
  JsonRpcMessage msg;
  auto method = value.find("method");
  if (method != value.end()) {
    if (!method->is_string()) return invalidArgumentError("JSON-RPC \"method\" is not a string");
    auto params = value.find("params");
    if (params == value.end() || !params->is_array()) {
      return invalidArgumentError("JSON-RPC request without a \"params\" array");
    }
    msg.method = method->get<std::string>();
    msg.params = *params;
    auto id = value.find("id");
    if (id == value.end() || id->is_null()) {
      msg.kind = JsonRpcMessage::Kind::kNotification;
    } else {
      msg.kind = JsonRpcMessage::Kind::kRequest;
      msg.id = *id;
    }
    return msg;
  }
  auto id = value.find("id");
  if (id == value.end() || id->is_null()) {
    return invalidArgumentError("JSON-RPC message has neither \"method\" nor \"id\"");
  }
  if (!value.contains("result") && !value.contains("error")) {
    return invalidArgumentError("JSON-RPC reply has neither \"result\" nor \"error\"");
  }
  msg.kind = JsonRpcMessage::Kind::kReply;
  msg.id = *id;
  msg.result = value.value("result", nlohmann::json());
  msg.error = value.value("error", nlohmann::json());
  return msg;
}

nlohmann::json makeJsonRpcRequest(const std::string& method, nlohmann::json params,
                                  nlohmann::json id) {
  return {{"method", method}, {"params", std::move(params)}, {"id", std::move(id)}};
}

nlohmann::json makeJsonRpcNotification(const std::string& method, nlohmann::json params) {
  return {{"method", method}, {"params", std::move(params)}, {"id", nullptr}};
}

nlohmann::json makeJsonRpcReply(nlohmann::json result, nlohmann::json id) {
  return {{"result", std::move(result)}, {"error", nullptr}, {"id", std::move(id)}};
}

nlohmann::json makeJsonRpcErrorReply(nlohmann::json error, nlohmann::json id) {
  return {{"result", nullptr}, {"error", std::move(error)}, {"id", std::move(id)}};
}

}  // namespace alcor::ovsdb
