#include "tests/e2e/kube_proxy.h"

#include <cstdio>
#include <sstream>

namespace alcor::testing {
namespace {

// kube-proxy names chains with a hash of the service port; any stable unique suffix will do.
std::string chainSuffix(const std::string& name, const std::string& protocol, int port) {
  uint32_t h = 2166136261u;
  for (char c : name + "/" + protocol + "/" + std::to_string(port)) {
    h = (h ^ static_cast<uint8_t>(c)) * 16777619u;
  }
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%08X%08X", h, h * 2654435761u);
  return buf;
}

std::string probability(size_t remaining) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.11f", 1.0 / static_cast<double>(remaining));
  return buf;
}

}  // namespace

std::string kubeProxyRules(const std::vector<Service>& services, const std::string& cluster_cidr) {
  std::ostringstream chains, rules;
  chains << "*nat\n"
         << ":KUBE-SERVICES - [0:0]\n"
         << ":KUBE-NODEPORTS - [0:0]\n"
         << ":KUBE-POSTROUTING - [0:0]\n"
         << ":KUBE-MARK-MASQ - [0:0]\n";
  rules << "-A PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
        << "-A OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES\n"
        << "-A POSTROUTING -m comment --comment \"kubernetes postrouting rules\" -j "
           "KUBE-POSTROUTING\n"
        << "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000\n"
        << "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n"
        << "-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000\n"
        << "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring "
           "SNAT\" -j MASQUERADE --random-fully\n";
  for (const auto& svc : services) {
    for (const auto& port : svc.ports) {
      const std::string p = port.protocol;
      const std::string id = svc.name + ":" + p + std::to_string(port.port);
      const std::string comment = "-m comment --comment \"" + id + " cluster IP\"";
      const std::string suffix = chainSuffix(svc.name, p, port.port);
      const std::string svc_chain = "KUBE-SVC-" + suffix;
      chains << ":" << svc_chain << " - [0:0]\n";
      rules << "-A KUBE-SERVICES " << comment << " -m " << p << " -p " << p << " -d "
            << svc.cluster_ip << "/32 --dport " << port.port << " -j " << svc_chain << "\n";
      // Traffic from outside the cluster CIDR (the node itself, NodePorts) is masqueraded.
      rules << "-A " << svc_chain << " " << comment << " -m " << p << " -p " << p << " -d "
            << svc.cluster_ip << "/32 --dport " << port.port << " ! -s " << cluster_cidr
            << " -j KUBE-MARK-MASQ\n";
      for (size_t i = 0; i < port.endpoints.size(); ++i) {
        const ServiceEndpoint& ep = port.endpoints[i];
        const std::string sep = "KUBE-SEP-" + chainSuffix(svc.name + ep.ip, p, ep.port);
        chains << ":" << sep << " - [0:0]\n";
        const size_t remaining = port.endpoints.size() - i;
        rules << "-A " << svc_chain << " -m comment --comment \"" << id << " -> " << ep.ip << ":"
              << ep.port << "\"";
        if (remaining > 1) {
          rules << " -m statistic --mode random --probability " << probability(remaining);
        }
        rules << " -j " << sep << "\n";
        // Hairpin: a backend reaching itself through the Service is masqueraded.
        rules << "-A " << sep << " -m comment --comment \"" << id << "\" -s " << ep.ip
              << "/32 -j KUBE-MARK-MASQ\n";
        rules << "-A " << sep << " -m comment --comment \"" << id << "\" -m " << p << " -p " << p
              << " -j DNAT --to-destination " << ep.ip << ":" << ep.port << "\n";
      }
      if (port.node_port != 0) {
        const std::string ext = "KUBE-EXT-" + suffix;
        chains << ":" << ext << " - [0:0]\n";
        rules << "-A KUBE-NODEPORTS -m comment --comment \"" << id << "\" -m " << p << " -p " << p
              << " --dport " << port.node_port << " -j " << ext << "\n";
        rules << "-A " << ext << " -m comment --comment \"masquerade traffic for " << id
              << " external destinations\" -j KUBE-MARK-MASQ\n";
        rules << "-A " << ext << " -j " << svc_chain << "\n";
      }
    }
  }
  rules << "-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this "
           "must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j "
           "KUBE-NODEPORTS\n";
  return chains.str() + rules.str() + "COMMIT\n";
}

Status installKubeProxyRules(const Netns& node, const std::vector<Service>& services,
                             const std::string& cluster_cidr) {
  RunOptions o;
  o.stdin_data = kubeProxyRules(services, cluster_cidr);
  auto r = node.exec({"iptables-restore", "--noflush", "--counters"}, o);
  if (!r.ok()) return internalError("iptables-restore: " + r.describe() + "\n" + o.stdin_data);
  // kube-proxy --iptables-localhost-nodeports (the default).
  auto s = node.shell("echo 1 > /proc/sys/net/ipv4/conf/all/route_localnet");
  if (!s.ok()) return internalError("route_localnet: " + s.describe());
  return okStatus();
}

}  // namespace alcor::testing
