#pragma once

#include <string>
#include <string_view>

namespace alcor {

// A random (version 4) UUID in canonical lower-case form.
std::string newUuid();

// True for the canonical 8-4-4-4-12 hex form (either case).
bool isUuid(std::string_view text);

}  // namespace alcor
