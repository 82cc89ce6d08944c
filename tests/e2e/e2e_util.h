#pragma once

// Helpers shared by the end-to-end tests: traffic checks between pods and leak checks on nodes.

#include <chrono>
#include <string>
#include <vector>

#include "tests/harness/cluster.h"

namespace alcor::testing {

// Pings from the pod to ip every 200 ms until one reply comes back or `seconds` (+1) have passed;
// true on a reply. Keeps asking so a first packet slowed by a loaded machine does not decide.
bool canPing(const Pod& from, const std::string& ip, int seconds = 2);
// Waits (up to `within`) until something in the namespace listens on the TCP or UDP port.
bool waitListening(const std::string& netns, const std::string& protocol, int port,
                   std::chrono::milliseconds within = std::chrono::seconds(5));
// Sends a line over TCP (busybox nc) from `from` to a server in `to`, up to `tries` connects of
// `connect_timeout`; true when the line arrived. A failed expected pass (tries > 1) logs what
// each attempt saw.
bool tcpLineArrives(const Pod& from, const Pod& to, int port, int tries,
                    std::chrono::seconds connect_timeout = std::chrono::seconds(1));
// tcpLineArrives with 20 tries of 2 s: for paths that must work.
bool tcpWorks(const Pod& from, const Pod& to, int port = 8080);
// OVS ports on br-int other than the tunnel port.
std::vector<std::string> podPorts(ClusterNode& node);
// Links in the node namespace named tap*.
std::vector<std::string> tapLinks(ClusterNode& node);
// Flows on br-int that mention `text` (a MAC or an IP).
std::vector<std::string> flowsMentioning(ClusterNode& node, const std::string& text);
int controllerPortCount(Cluster& cluster);
// The file's content; empty when it is missing (a daemon's log not written yet).
std::string readFileOrEmpty(const std::string& path);
std::string podMac(const Pod& pod);

}  // namespace alcor::testing
