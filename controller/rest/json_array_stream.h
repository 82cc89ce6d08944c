#pragma once

// Reads a JSON object as it arrives, handing over the elements of one array member one at a
// time: {"ports": [{...}, {...}], ...} gives each port object's text as soon as its last byte
// came in, so a bulk request of 10,000 ports never holds its body, a document tree of it, or its
// copies at once. The scanner checks the object's structure (keys, separators, nesting) and the
// other members' values (nlohmann's parser); element texts are handed over as they are, for the
// caller to parse (readArrayStream does). Untrusted input: any byte sequence gives an element
// stream or an error, never a crash (fuzzed in tests/fuzz/json_array_stream_fuzz.cc).

#include <functional>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace alcor::controller {

class JsonArrayStream {
 public:
  // Called with each element's text; an error stops the stream and is returned by feed().
  using ElementFn = std::function<Status(std::string_view element)>;

  JsonArrayStream(std::string key, ElementFn on_element, size_t max_value_bytes = 1 << 20);

  // The next bytes of the body. After an error every call returns it.
  Status feed(std::string_view bytes);
  // End of the body: an error unless the object was complete and had the array.
  Status finish();

 private:
  enum class State {
    kBeforeObject,  // whitespace, then '{'
    kBeforeKey,     // whitespace, then '"' or (first member only) '}'
    kKey,           // inside the member name
    kAfterKey,      // whitespace, then ':'
    kBeforeValue,   // whitespace, then the value ('[' of our array, or any other)
    kValue,         // inside another member's value (buffered, checked at its end)
    kArrayStart,    // inside our array: whitespace, then an element or ']'
    kElement,       // inside an element (buffered)
    kAfterElement,  // whitespace, then ',' or ']'
    kAfterValue,    // whitespace, then ',' or '}'
    kDone,          // after the closing '}': whitespace only
  };

  Status step(char c);
  // Scans one character of a buffered value; true when the value ended before `c` (a number
  // or literal ends at the first delimiter) or with it (string, object, array).
  bool scanValue(char c, bool& consumed);
  Status endValue();
  Status fail(const std::string& what);

  const std::string key_;
  const ElementFn on_element_;
  const size_t max_value_bytes_;
  State state_ = State::kBeforeObject;
  Status error_;
  std::string buffer_;  // the key or value being read
  bool ours_ = false;   // the member being read is the array
  bool first_member_ = true;
  bool first_element_ = true;
  bool found_ = false;
  // Inside a buffered value.
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  uint64_t offset_ = 0;
};

}  // namespace alcor::controller
