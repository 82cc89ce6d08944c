// Fuzz target: JsonArrayStream, the streaming reader of bulk REST bodies (untrusted bytes from
// any client). Nothing may crash; the input fed at once and fed in small pieces gives the same
// elements and the same verdict; with elements checked as readArrayStream does (nlohmann), an
// accepted body is valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "controller/rest/json_array_stream.h"
#include "nlohmann/json.hpp"

namespace {

struct Result {
  bool ok = false;
  std::vector<std::string> elements;
};

Result run(const std::string& body, size_t piece) {
  Result out;
  alcor::controller::JsonArrayStream s(
      "ports",
      [&](std::string_view e) {
        out.elements.emplace_back(e);
        return nlohmann::json::accept(e) ? alcor::okStatus()
                                         : alcor::invalidArgumentError("a malformed element");
      },
      4096);
  alcor::Status st;
  for (size_t i = 0; i < body.size() && st.ok(); i += piece) {
    st = s.feed(std::string_view(body).substr(i, piece));
  }
  if (st.ok()) st = s.finish();
  out.ok = st.ok();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);
  Result whole = run(body, body.size() + 1);
  Result pieces = run(body, 3);
  if (whole.ok != pieces.ok) std::abort();
  if (whole.ok) {
    if (whole.elements != pieces.elements) std::abort();
    if (!nlohmann::json::accept(body)) std::abort();
  }
  return 0;
}
