#pragma once

// kube-proxy's iptables mode, written by the test exactly as kube-proxy programs it by default
// (masqueradeAll=false, --cluster-cidr set, NodePorts on every local address): the nat chains
// KUBE-SERVICES, KUBE-SVC-*, KUBE-SEP-*, KUBE-EXT-*, KUBE-NODEPORTS, KUBE-MARK-MASQ and
// KUBE-POSTROUTING, fed from PREROUTING/OUTPUT/POSTROUTING, loaded with iptables-restore. The
// CNI under test gets no help: these are the rules a real node has.

#include <string>
#include <vector>

#include "lib/base/status.h"
#include "tests/harness/netns.h"

namespace alcor::testing {

struct ServiceEndpoint {
  std::string ip;
  int port = 0;
};

struct ServicePort {
  std::string protocol = "tcp";  // tcp or udp
  int port = 0;                  // the ClusterIP's port
  int node_port = 0;             // 0: no NodePort
  std::vector<ServiceEndpoint> endpoints;
};

struct Service {
  std::string name;  // namespace/name, as in kube-proxy's comments
  std::string cluster_ip;
  std::vector<ServicePort> ports;
};

// The iptables-restore input kube-proxy would write for these services.
std::string kubeProxyRules(const std::vector<Service>& services, const std::string& cluster_cidr);

// Loads the rules into a node (iptables-restore --noflush, kube-proxy's own flags) and sets
// route_localnet as kube-proxy does for NodePorts on 127.0.0.1.
Status installKubeProxyRules(const Netns& node, const std::vector<Service>& services,
                             const std::string& cluster_cidr);

}  // namespace alcor::testing
