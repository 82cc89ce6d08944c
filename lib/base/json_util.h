#pragma once

// nlohmann::json without exceptions at module boundaries.

#include <string_view>

#include "lib/base/status.h"
#include "nlohmann/json.hpp"

namespace alcor {

// Parses untrusted text; malformed input is an InvalidArgument status naming `what`.
inline StatusOr<nlohmann::json> parseJson(std::string_view text, std::string_view what = "JSON") {
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr,
                                             /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return invalidArgumentError(std::string(what) + " is not valid JSON");
  }
  return doc;
}

}  // namespace alcor
