#include "controller/netpol/objects.h"

namespace alcor::controller::netpol {
namespace {

using json = nlohmann::json;

const json& field(const json& j, const char* key) {
  static const json kNull;
  if (!j.is_object()) return kNull;
  auto it = j.find(key);
  return it == j.end() ? kNull : *it;
}

std::string str(const json& j, const char* key) {
  const json& v = field(j, key);
  return v.is_string() ? v.get<std::string>() : "";
}

Labels labelsOf(const json& meta) {
  Labels out;
  const json& l = field(meta, "labels");
  if (!l.is_object()) return out;
  for (const auto& [k, v] : l.items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

std::optional<Protocol> parseProtocol(const json& j) {
  if (j.is_null()) return Protocol::kTcp;  // the API's default
  if (!j.is_string()) return std::nullopt;
  const std::string p = j.get<std::string>();
  if (p == "TCP") return Protocol::kTcp;
  if (p == "UDP") return Protocol::kUdp;
  if (p == "SCTP") return Protocol::kSctp;
  return std::nullopt;
}

// One rule's ports; what cannot be used is reported and left out.
void parsePorts(const json& ports, const std::string& where, PolicyRule& rule,
                std::vector<std::string>& problems) {
  if (ports.is_null() || (ports.is_array() && ports.empty())) return;  // every port
  rule.all_ports = false;
  if (!ports.is_array()) {
    problems.push_back(where + " is not a list: the rule allows nothing");
    return;
  }
  for (size_t i = 0; i < ports.size(); ++i) {
    const json& p = ports[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    PolicyPort out;
    auto protocol = parseProtocol(field(p, "protocol"));
    if (!protocol) {
      problems.push_back(at + ": unknown protocol " + field(p, "protocol").dump() +
                         "; it allows nothing");
      continue;
    }
    out.protocol = *protocol;
    const json& port = field(p, "port");
    if (port.is_number_integer()) {
      out.port = port.get<int>();
    } else if (port.is_string()) {
      // An IntOrString may carry digits as a string.
      const std::string s = port.get<std::string>();
      if (!s.empty() && s.find_first_not_of("0123456789") == std::string::npos && s.size() < 6) {
        out.port = std::stoi(s);
      } else {
        out.named = s;
      }
    } else if (!port.is_null()) {
      problems.push_back(at + ".port is neither a number nor a name; it allows nothing");
      continue;
    }
    const json& end = field(p, "endPort");
    if (end.is_number_integer()) {
      if (!out.port || end.get<int>() < *out.port) {
        problems.push_back(at +
                           ".endPort needs a numeric port no greater than it; it allows "
                           "nothing");
        continue;
      }
      out.end_port = end.get<int>();
    }
    if (out.port && (*out.port < 1 || *out.port > 65535 || out.end_port.value_or(1) > 65535)) {
      problems.push_back(at + ": port out of 1-65535; it allows nothing");
      continue;
    }
    if (out.protocol == Protocol::kSctp) {
      problems.push_back(at +
                         ": SCTP is not enforced (the data path carries no SCTP); it "
                         "allows nothing");
      continue;
    }
    rule.ports.push_back(out);
  }
}

std::optional<IpBlock> parseIpBlock(const json& b, const std::string& at,
                                    std::vector<std::string>& problems, bool& ipv6) {
  const std::string cidr = str(b, "cidr");
  if (cidr.find(':') != std::string::npos) {
    ipv6 = true;  // the pod network is IPv4: an IPv6 block matches no packet
    return std::nullopt;
  }
  auto prefix = Ipv4Prefix::parse(cidr);
  if (!prefix.ok()) {
    problems.push_back(at + ".cidr \"" + cidr + "\" is not a CIDR; the peer allows nothing");
    return std::nullopt;
  }
  IpBlock out{Ipv4Prefix(prefix->network(), prefix->length()), {}};
  const json& except = field(b, "except");
  if (except.is_array()) {
    for (const auto& e : except) {
      auto x = Ipv4Prefix::parse(e.is_string() ? e.get<std::string>() : "");
      if (!x.ok()) {
        // Allowing the whole block would allow what the except removes: drop the peer.
        problems.push_back(at + ".except has " + e.dump() +
                           ", not an IPv4 CIDR; the peer "
                           "allows nothing");
        return std::nullopt;
      }
      out.except.push_back(Ipv4Prefix(x->network(), x->length()));
    }
  }
  return out;
}

void parsePeers(const json& peers, const std::string& where, PolicyRule& rule,
                std::vector<std::string>& problems) {
  if (peers.is_null() || (peers.is_array() && peers.empty())) return;  // every peer
  rule.all_peers = false;
  if (!peers.is_array()) {
    problems.push_back(where + " is not a list: the rule allows nothing");
    return;
  }
  for (size_t i = 0; i < peers.size(); ++i) {
    const json& p = peers[i];
    const std::string at = where + "[" + std::to_string(i) + "]";
    PolicyPeer out;
    const json& block = field(p, "ipBlock");
    const json& pods = field(p, "podSelector");
    const json& nss = field(p, "namespaceSelector");
    if (!block.is_null()) {
      if (!pods.is_null() || !nss.is_null()) {
        problems.push_back(at + " combines ipBlock with a selector; it allows nothing");
        continue;
      }
      bool ipv6 = false;
      out.ip_block = parseIpBlock(block, at + ".ipBlock", problems, ipv6);
      if (!out.ip_block) continue;
    } else if (pods.is_null() && nss.is_null()) {
      problems.push_back(at + " names no peer; it allows nothing");
      continue;
    } else {
      bool ok = true;
      for (auto [j, name, slot] :
           {std::tuple{&pods, "podSelector", &out.pod_selector},
            std::tuple{&nss, "namespaceSelector", &out.namespace_selector}}) {
        if (j->is_null()) continue;
        auto s = LabelSelector::parse(*j, at + "." + name);
        if (!s.ok()) {
          problems.push_back(s.status().message() + "; the peer allows nothing");
          ok = false;
          break;
        }
        *slot = *s;
      }
      if (!ok) continue;
    }
    rule.peers.push_back(std::move(out));
  }
}

std::vector<PolicyRule> parseRules(const json& rules, const char* direction, const char* peers_key,
                                   std::vector<std::string>& problems) {
  std::vector<PolicyRule> out;
  if (!rules.is_array()) return out;
  for (size_t i = 0; i < rules.size(); ++i) {
    const std::string at = std::string(direction) + "[" + std::to_string(i) + "]";
    PolicyRule rule;
    parsePeers(field(rules[i], peers_key), at + "." + peers_key, rule, problems);
    parsePorts(field(rules[i], "ports"), at + ".ports", rule, problems);
    out.push_back(std::move(rule));
  }
  return out;
}

}  // namespace

const char* protocolName(Protocol p) {
  switch (p) {
    case Protocol::kTcp:
      return "TCP";
    case Protocol::kUdp:
      return "UDP";
    case Protocol::kSctp:
      return "SCTP";
  }
  return "?";
}

StatusOr<NetworkPolicy> parseNetworkPolicy(const json& j) {
  const json& meta = field(j, "metadata");
  NetworkPolicy p;
  p.ns = str(meta, "namespace");
  p.name = str(meta, "name");
  p.uid = str(meta, "uid");
  if (p.ns.empty() || p.name.empty()) {
    return invalidArgumentError("a NetworkPolicy without metadata.namespace and name");
  }
  const json& spec = field(j, "spec");
  auto selector = LabelSelector::parse(field(spec, "podSelector"), "spec.podSelector");
  if (selector.ok()) {
    p.pod_selector = *selector;
  } else {
    p.pod_selector_valid = false;
    p.problems.push_back(selector.status().message() + ": the policy selects no pod");
  }
  const json& ingress = field(spec, "ingress");
  const json& egress = field(spec, "egress");
  const json& types = field(spec, "policyTypes");
  if (types.is_array() && !types.empty()) {
    p.isolates_ingress = false;
    for (const auto& t : types) {
      if (t == "Ingress") {
        p.isolates_ingress = true;
      } else if (t == "Egress") {
        p.isolates_egress = true;
      } else {
        p.problems.push_back("spec.policyTypes has the unknown type " + t.dump());
      }
    }
  } else {
    p.isolates_ingress = true;
    p.isolates_egress = egress.is_array() && !egress.empty();
  }
  if (p.isolates_ingress) p.ingress = parseRules(ingress, "ingress", "from", p.problems);
  if (p.isolates_egress) p.egress = parseRules(egress, "egress", "to", p.problems);
  return p;
}

StatusOr<PodInfo> parsePod(const json& j) {
  const json& meta = field(j, "metadata");
  PodInfo p;
  p.uid = str(meta, "uid");
  p.ns = str(meta, "namespace");
  p.name = str(meta, "name");
  if (p.uid.empty() || p.ns.empty()) return invalidArgumentError("a Pod without uid or namespace");
  p.labels = labelsOf(meta);
  const json& spec = field(j, "spec");
  p.host_network = field(spec, "hostNetwork") == true;
  for (const char* list : {"initContainers", "containers"}) {
    const json& containers = field(spec, list);
    if (!containers.is_array()) continue;
    for (const auto& c : containers) {
      const json& ports = field(c, "ports");
      if (!ports.is_array()) continue;
      for (const auto& port : ports) {
        auto protocol = parseProtocol(field(port, "protocol"));
        const json& number = field(port, "containerPort");
        if (!protocol || !number.is_number_integer()) continue;
        p.ports.push_back({str(port, "name"), *protocol, number.get<int>()});
      }
    }
  }
  const json& status = field(j, "status");
  const json& ips = field(status, "podIPs");
  if (ips.is_array()) {
    for (const auto& ip : ips) {
      if (!str(ip, "ip").empty()) p.ips.push_back(str(ip, "ip"));
    }
  }
  if (p.ips.empty() && !str(status, "podIP").empty()) p.ips.push_back(str(status, "podIP"));
  return p;
}

StatusOr<NamespaceInfo> parseNamespace(const json& j) {
  const json& meta = field(j, "metadata");
  NamespaceInfo n{str(meta, "name"), labelsOf(meta)};
  if (n.name.empty()) return invalidArgumentError("a Namespace without a name");
  return n;
}

}  // namespace alcor::controller::netpol
