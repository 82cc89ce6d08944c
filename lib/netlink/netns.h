#pragma once

// Running code inside another network namespace without ever moving a long-lived thread.
// setns() changes only the calling thread, so a thread left in the wrong namespace would make
// later, unrelated socket calls silently act on the pod. runInNetns therefore does the work on a
// fresh short-lived thread that enters the namespace, runs fn and exits.

#include <functional>
#include <string>

#include "lib/base/status.h"

namespace alcor::netlink {

// "" -> "" (the caller's own namespace); "x" -> "/var/run/netns/x"; paths are kept as given.
std::string netnsPath(const std::string& netns);

// Runs fn in the network namespace netns (a path such as /var/run/netns/x or /proc/PID/ns/net,
// or a bare name under /var/run/netns). "" runs fn inline in the caller's namespace.
// Missing namespace -> NOT_FOUND. Returns fn's status otherwise.
Status runInNetns(const std::string& netns, const std::function<Status()>& fn);

// True when the namespace path (or name) exists and can be opened.
bool netnsExists(const std::string& netns);

// True when the path (or name) is a network namespace file in the caller's mount namespace. A
// runtime's bind mount that never propagated into this mount namespace leaves an empty file or
// directory at the path instead: that is not a namespace.
bool isNetworkNamespace(const std::string& netns);

}  // namespace alcor::netlink
