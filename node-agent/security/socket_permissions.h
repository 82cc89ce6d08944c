#pragma once

// The CNI socket plugs pods into any network: only root (the container runtime) may use it.

#include <string>

#include "lib/base/status.h"

namespace alcor::agent {

// Makes the unix socket at `path` 0600 and checks the result: a socket owned by this user with
// mode 0600, in a directory nobody else may write to (unless sticky, like /tmp), so no other
// user can connect or swap the socket. An error says what is wrong.
Status restrictSocket(const std::string& path);

}  // namespace alcor::agent
