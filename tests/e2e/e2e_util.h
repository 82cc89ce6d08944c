#pragma once

// Helpers shared by the end-to-end tests: traffic checks between pods and leak checks on nodes.

#include <string>
#include <vector>

#include "tests/harness/cluster.h"

namespace alcor::testing {

// ping -c count from the pod to ip; true when at least one reply came back.
bool canPing(const Pod& from, const std::string& ip, int count = 2);
// Sends a line over TCP from `from` to a busybox nc server in `to`; true when it arrived.
bool tcpWorks(const Pod& from, const Pod& to, int port = 8080);
// OVS ports on br-int other than the tunnel port.
std::vector<std::string> podPorts(ClusterNode& node);
// Links in the node namespace named tap*.
std::vector<std::string> tapLinks(ClusterNode& node);
// Flows on br-int that mention `text` (a MAC or an IP).
std::vector<std::string> flowsMentioning(ClusterNode& node, const std::string& text);
int controllerPortCount(Cluster& cluster);
std::string podMac(const Pod& pod);

}  // namespace alcor::testing
