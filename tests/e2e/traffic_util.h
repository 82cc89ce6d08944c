#pragma once

// Traffic helpers for the cluster-traffic tests: echo servers that tell the client which address
// they saw, one-shot TCP/UDP clients that only accept the answer from the address they asked
// (a connected socket, as a real client is), hostPort through the real portmap plugin, and a
// host on the underlay outside the cluster.

#include <memory>
#include <string>
#include <vector>

#include "tests/harness/cluster.h"

namespace alcor::testing {

// A Python server in `netns` (a name, "" = the test's own) that answers every TCP connection
// and every UDP datagram on `port` with "<tag> <source address it saw>".
StatusOr<Daemon> startEchoServer(const std::string& netns, const std::string& protocol, int port,
                                 const std::string& tag, const std::string& log_path);

// One request from `netns` to ip:port ("tcp" or "udp"); the reply, or "" when none came within
// `timeout_s`. `bind_ip` picks the source address (e.g. the node IP).
std::string echoRequest(const std::string& netns, const std::string& protocol,
                        const std::string& ip, int port, double timeout_s = 2,
                        const std::string& bind_ip = "");
// Retries echoRequest for up to `seconds` (servers and flows need a moment after start-up).
std::string echoWithin(const std::string& netns, const std::string& protocol, const std::string& ip,
                       int port, int seconds = 10, const std::string& bind_ip = "");

// Runs the reference portmap plugin for `pod` as a runtime chains it after alcor-cni
// (capability portMappings, snat on).
struct PortMapping {
  int host_port = 0;
  int container_port = 0;
  std::string protocol = "tcp";
};
Status addHostPorts(Cluster& cluster, const Pod& pod, const std::vector<PortMapping>& mappings);

// A namespace on the underlay bridge with `ip`/24 and no route to any pod: it sees the cluster
// as the outside world does.
StatusOr<std::unique_ptr<Netns>> addUnderlayHost(Cluster& cluster, const std::string& ip);

// The address of `node`'s host gateway for the cluster VPC (alcor-gw0).
std::string gatewayIp(ClusterNode& node, const std::string& interface = "alcor-gw0");

}  // namespace alcor::testing
