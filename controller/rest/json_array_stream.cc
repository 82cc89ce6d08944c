#include "controller/rest/json_array_stream.h"

#include "nlohmann/json.hpp"

namespace alcor::controller {

namespace {
constexpr int kMaxDepth = 100;
bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
}  // namespace

JsonArrayStream::JsonArrayStream(std::string key, ElementFn on_element, size_t max_value_bytes)
    : key_(std::move(key)), on_element_(std::move(on_element)), max_value_bytes_(max_value_bytes) {}

Status JsonArrayStream::fail(const std::string& what) {
  if (error_.ok()) {
    error_ = invalidArgumentError("request body is not valid JSON: " + what + " at byte " +
                                  std::to_string(offset_));
  }
  return error_;
}

Status JsonArrayStream::feed(std::string_view bytes) {
  for (char c : bytes) {
    if (!error_.ok()) return error_;
    // JSON has no raw NUL anywhere, and nlohmann's parser would stop at one inside an element,
    // accepting what precedes it.
    if (c == '\0') return fail("a NUL byte");
    if (Status st = step(c); !st.ok()) {
      if (error_.ok()) error_ = st;
      return error_;
    }
    ++offset_;
  }
  return error_;
}

Status JsonArrayStream::finish() {
  if (!error_.ok()) return error_;
  if (state_ != State::kDone) return fail("the body ends early");
  if (!found_) {
    return invalidArgumentError("request body needs a \"" + key_ + "\" array");
  }
  return okStatus();
}

bool JsonArrayStream::scanValue(char c, bool& consumed) {
  consumed = true;
  if (buffer_.empty()) {
    depth_ = 0;
    in_string_ = false;
    escaped_ = false;
    buffer_.push_back(c);
    if (c == '{' || c == '[') {
      depth_ = 1;
    } else if (c == '"') {
      in_string_ = true;
    }
    return false;
  }
  const char first = buffer_.front();
  if (first != '{' && first != '[' && first != '"') {
    // A number or literal: it ends at the first delimiter, which belongs to what follows.
    if (isSpace(c) || c == ',' || c == ']' || c == '}') {
      consumed = false;
      return true;
    }
    buffer_.push_back(c);
    return false;
  }
  buffer_.push_back(c);
  if (in_string_) {
    if (escaped_) {
      escaped_ = false;
    } else if (c == '\\') {
      escaped_ = true;
    } else if (c == '"') {
      in_string_ = false;
      return first == '"';
    }
    return false;
  }
  if (c == '"') {
    in_string_ = true;
  } else if (c == '{' || c == '[') {
    ++depth_;
  } else if (c == '}' || c == ']') {
    return --depth_ == 0;
  }
  return false;
}

Status JsonArrayStream::endValue() {
  std::string value;
  value.swap(buffer_);
  if (state_ == State::kElement) {
    state_ = State::kAfterElement;
    return on_element_(value);
  }
  state_ = State::kAfterValue;
  if (!nlohmann::json::accept(value)) return fail("a malformed value");
  return okStatus();
}

Status JsonArrayStream::step(char c) {
  switch (state_) {
    case State::kBeforeObject:
      if (isSpace(c)) return okStatus();
      if (c != '{') return fail("expected an object");
      state_ = State::kBeforeKey;
      return okStatus();
    case State::kBeforeKey:
      if (isSpace(c)) return okStatus();
      if (c == '}' && first_member_) {
        state_ = State::kDone;
        return okStatus();
      }
      if (c != '"') return fail("expected a member name");
      buffer_ = "\"";
      escaped_ = false;
      state_ = State::kKey;
      return okStatus();
    case State::kKey: {
      if (buffer_.size() > max_value_bytes_) return fail("a member name too long");
      buffer_.push_back(c);
      if (escaped_) {
        escaped_ = false;
        return okStatus();
      }
      if (c == '\\') {
        escaped_ = true;
        return okStatus();
      }
      if (c != '"') return okStatus();
      auto name = nlohmann::json::parse(buffer_, nullptr, /*allow_exceptions=*/false);
      if (name.is_discarded() || !name.is_string()) return fail("a malformed member name");
      ours_ = name.get<std::string>() == key_;
      buffer_.clear();
      state_ = State::kAfterKey;
      return okStatus();
    }
    case State::kAfterKey:
      if (isSpace(c)) return okStatus();
      if (c != ':') return fail("expected ':'");
      state_ = State::kBeforeValue;
      return okStatus();
    case State::kBeforeValue: {
      if (isSpace(c)) return okStatus();
      first_member_ = false;
      if (ours_) {
        if (c != '[') return invalidArgumentError("request body needs a \"" + key_ + "\" array");
        if (found_) return fail("a second \"" + key_ + "\" member");
        found_ = true;
        first_element_ = true;
        state_ = State::kArrayStart;
        return okStatus();
      }
      state_ = State::kValue;
      return step(c);
    }
    case State::kValue:
    case State::kElement: {
      bool consumed = true;
      bool done = scanValue(c, consumed);
      if (depth_ > kMaxDepth) return fail("values nested too deep");
      if (buffer_.size() > max_value_bytes_) return fail("a value too long");
      if (!done) return okStatus();
      RETURN_IF_ERROR(endValue());
      return consumed ? okStatus() : step(c);
    }
    case State::kArrayStart:
      if (isSpace(c)) return okStatus();
      if (c == ']' && first_element_) {
        state_ = State::kAfterValue;
        return okStatus();
      }
      if (c == ']' || c == ',') return fail("expected an element");
      first_element_ = false;
      state_ = State::kElement;
      return step(c);
    case State::kAfterElement:
      if (isSpace(c)) return okStatus();
      if (c == ',') {
        state_ = State::kArrayStart;
        return okStatus();
      }
      if (c != ']') return fail("expected ',' or ']'");
      state_ = State::kAfterValue;
      return okStatus();
    case State::kAfterValue:
      if (isSpace(c)) return okStatus();
      if (c == ',') {
        state_ = State::kBeforeKey;
        return okStatus();
      }
      if (c != '}') return fail("expected ',' or '}'");
      state_ = State::kDone;
      return okStatus();
    case State::kDone:
      if (isSpace(c)) return okStatus();
      return fail("data after the object");
  }
  return fail("unexpected state");
}

}  // namespace alcor::controller
