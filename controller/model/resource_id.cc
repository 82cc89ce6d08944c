#include "controller/model/resource_id.h"

#include <cctype>

#include "lib/base/uuid.h"

namespace alcor::controller {

StatusOr<ResourceId> ResourceId::parse(std::string_view text) {
  bool good = !text.empty() && text.size() <= 64;
  for (char c : text) {
    good = good && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                    c == '.' || c == ':');
  }
  if (!good) {
    return invalidArgumentError("\"" + std::string(text.substr(0, 80)) +
                                "\" is not a valid id (1-64 of [A-Za-z0-9._:-])");
  }
  return ResourceId(std::string(text));
}

ResourceId ResourceId::generate() { return ResourceId(newUuid()); }

}  // namespace alcor::controller
