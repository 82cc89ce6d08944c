#pragma once

// Files of credentials: read whole, and replaced atomically (a temporary file in the same
// directory, flushed, then renamed), so a reader such as gRPC's file watcher never sees half a
// certificate.

#include <sys/types.h>
#include <string>

#include "lib/base/status.h"

namespace alcor::security {

StatusOr<std::string> readTextFile(const std::string& path);
// Writes `content` with permissions `mode` (e.g. 0600 for keys), creating parent directories.
Status writeFileAtomically(const std::string& path, const std::string& content, mode_t mode);

}  // namespace alcor::security
