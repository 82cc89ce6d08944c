#include "controller/netpol/translator.h"

#include <algorithm>
#include <optional>
#include <set>

#include "controller/model/json_fields.h"
#include "lib/base/fnv_hash.h"

namespace alcor::controller::netpol {
namespace {

std::string hashId(const std::string& prefix, const std::string& key) {
  static const char* kHex = "0123456789abcdef";
  uint64_t h = fnv1a64(key);
  std::string out = prefix;
  for (int i = 15; i >= 0; --i) out += kHex[(h >> (i * 4)) & 15];
  return out;
}

RuleProtocol sgProtocol(Protocol p) {
  return p == Protocol::kUdp ? RuleProtocol::kUdp : RuleProtocol::kTcp;
}

// The ids made here (a prefix and 16 hex digits) are valid resource ids.
ResourceId idOf(const std::string& text) { return ResourceId::parse(text).value(); }

// Where a rule lets traffic come from (ingress) or go to (egress): an address prefix, a remote
// group, or anywhere (both empty).
struct Remote {
  std::string prefix;
  std::string group;
};

// A protocol (kAny = any IP protocol) and a port range (none = every port).
struct Ports {
  RuleProtocol protocol = RuleProtocol::kAny;
  std::optional<int> min;
  std::optional<int> max;
};

// A named port resolved to a number, restricting a peer group to the pods that have it.
struct NamedPort {
  std::string name;
  Protocol protocol;
  int number;
};

std::optional<int> resolve(const PodInfo& pod, const std::string& name, Protocol protocol) {
  for (const auto& p : pod.ports) {
    if (p.name == name && p.protocol == protocol) return p.port;
  }
  return std::nullopt;
}

class Translator {
 public:
  Translator(const World& world, std::string project)
      : world_(world), project_(std::move(project)) {}

  Translation run() {
    for (const auto& [key, policy] : world_.policies) translatePolicy(policy);
    if (!world_.policies.empty()) {
      addAllowAll(kAllowAllIngressId, Direction::kIngress);
      addAllowAll(kAllowAllEgressId, Direction::kEgress);
    }
    for (auto& [uid, pod] : out_.pods) {
      std::sort(pod.policy_groups.begin(), pod.policy_groups.end());
      std::sort(pod.address_groups.begin(), pod.address_groups.end());
    }
    return std::move(out_);
  }

 private:
  const Labels& namespaceLabels(const std::string& ns) const {
    static const Labels kNone;
    auto it = world_.namespaces.find(ns);
    return it == world_.namespaces.end() ? kNone : it->second.labels;
  }

  bool selects(const NetworkPolicy& p, const PodInfo& pod) const {
    return p.pod_selector_valid && !pod.host_network && pod.ns == p.ns &&
           p.pod_selector.matches(pod.labels);
  }

  bool peerMatches(const PolicyPeer& peer, const std::string& policy_ns, const PodInfo& pod) const {
    if (pod.host_network) return false;
    if (peer.namespace_selector) {
      if (!peer.namespace_selector->matches(namespaceLabels(pod.ns))) return false;
    } else if (pod.ns != policy_ns) {
      return false;
    }
    return !peer.pod_selector || peer.pod_selector->matches(pod.labels);
  }

  static std::string describePeer(const PolicyPeer& peer, const std::string& policy_ns) {
    std::string pods = peer.pod_selector ? "pods {" + peer.pod_selector->canonical() + "}"
                                         : std::string("every pod");
    std::string where = peer.namespace_selector
                            ? "in namespaces {" + peer.namespace_selector->canonical() + "}"
                            : "in namespace " + policy_ns;
    return pods + " " + where;
  }

  // The address group of the pods `peer` matches (with the named port resolving to the given
  // number, when `named`); created with its members on first use.
  std::string peerGroup(const PolicyPeer& peer, const std::string& policy_ns,
                        const NamedPort* named) {
    std::string desc = describePeer(peer, policy_ns);
    if (named) {
      desc += " with port " + named->name + "=" + std::to_string(named->number) + "/" +
              protocolName(named->protocol);
    }
    const std::string id = hashId("netpol-peers-", desc);
    if (out_.groups.count(id)) return id;
    SecurityGroup g;
    g.id = idOf(id);
    g.project_id = project_;
    g.name = "netpol-peers: " + desc;
    g.description =
        "Pods NetworkPolicy rules name as peers: members by address, not filtered by this group";
    out_.groups[id] = g;
    for (const auto& [uid, pod] : world_.pods) {
      if (!peerMatches(peer, policy_ns, pod)) continue;
      if (named && resolve(pod, named->name, named->protocol) != named->number) continue;
      out_.pods[uid].address_groups.push_back(id);
    }
    return id;
  }

  void addRule(SecurityGroup& g, Direction direction, const Ports& ports, const Remote& remote,
               const std::string& description) {
    SecurityGroupRule r;
    r.project_id = project_;
    r.security_group_id = g.id;
    r.direction = direction;
    r.protocol = ports.protocol;
    r.port_range_min = ports.min;
    r.port_range_max = ports.max;
    r.remote_ip_prefix = remote.prefix;
    if (!remote.group.empty()) r.remote_group_id = idOf(remote.group);
    r.description = description;
    const std::string key = g.id + "|" + enumName(direction) + "|" + enumName(r.protocol) + "|" +
                            std::to_string(ports.min.value_or(0)) + "-" +
                            std::to_string(ports.max.value_or(0)) + "|" + remote.prefix + "|" +
                            remote.group;
    r.id = idOf(hashId("netpol-rule-", key));
    for (const auto& existing : g.rules) {
      if (existing.id == r.id) return;  // the same traffic allowed twice
    }
    g.rules.push_back(std::move(r));
  }

  // The remotes of a rule's address peers (ipBlocks) and selector peers.
  std::vector<Remote> remotesOf(const PolicyRule& rule, const std::string& ns) {
    if (rule.all_peers) return {Remote{}};
    std::vector<Remote> out;
    for (const auto& peer : rule.peers) {
      if (peer.ip_block) {
        for (const auto& p : subtractPrefixes(peer.ip_block->cidr, peer.ip_block->except)) {
          out.push_back({p.toString(), ""});
        }
      } else {
        out.push_back({"", peerGroup(peer, ns, nullptr)});
      }
    }
    return out;
  }

  static Ports numericPorts(const PolicyPort& p) {
    Ports out{sgProtocol(p.protocol), std::nullopt, std::nullopt};
    if (p.port) {
      out.min = *p.port;
      out.max = p.end_port.value_or(*p.port);
    }
    return out;
  }

  // Ingress rules of `p` for a selected pod, named ports resolved on that pod (nullptr: no pod,
  // named ports allow nothing).
  void ingressRules(SecurityGroup& g, const NetworkPolicy& p, const PodInfo* pod) {
    for (size_t i = 0; i < p.ingress.size(); ++i) {
      const PolicyRule& rule = p.ingress[i];
      const std::vector<Remote> remotes = remotesOf(rule, p.ns);
      std::vector<Ports> ports;
      if (rule.all_ports) ports.push_back(Ports{});
      for (const auto& port : rule.ports) {
        if (port.named.empty()) {
          ports.push_back(numericPorts(port));
        } else if (auto n = pod ? resolve(*pod, port.named, port.protocol) : std::nullopt) {
          ports.push_back(Ports{sgProtocol(port.protocol), *n, *n});
        }
      }
      for (const auto& remote : remotes) {
        for (const auto& range : ports) {
          addRule(g, Direction::kIngress, range, remote, "ingress[" + std::to_string(i) + "]");
        }
      }
    }
  }

  void egressRules(SecurityGroup& g, const NetworkPolicy& p, PolicyResult& result) {
    for (size_t i = 0; i < p.egress.size(); ++i) {
      const PolicyRule& rule = p.egress[i];
      const std::string at = "egress[" + std::to_string(i) + "]";
      const std::vector<Remote> remotes = remotesOf(rule, p.ns);
      std::vector<Ports> ports;
      if (rule.all_ports) ports.push_back(Ports{});
      for (const auto& port : rule.ports) {
        if (port.named.empty()) ports.push_back(numericPorts(port));
      }
      for (const auto& remote : remotes) {
        for (const auto& range : ports) addRule(g, Direction::kEgress, range, remote, at);
      }
      // A named port is the destination pod's: per peer, one group per number it resolves to.
      PolicyPeer everyone;
      everyone.namespace_selector = LabelSelector();
      std::vector<const PolicyPeer*> peers;
      if (rule.all_peers) peers.push_back(&everyone);
      for (const auto& peer : rule.peers) peers.push_back(&peer);
      for (const auto& port : rule.ports) {
        if (port.named.empty()) continue;
        for (const PolicyPeer* peer : peers) {
          if (peer->ip_block) {
            result.problems.push_back(at + ": the named port \"" + port.named +
                                      "\" cannot be resolved on an ipBlock; it allows nothing "
                                      "towards it");
            continue;
          }
          std::set<int> numbers;
          for (const auto& [uid, pod] : world_.pods) {
            if (!peerMatches(*peer, p.ns, pod)) continue;
            if (auto n = resolve(pod, port.named, port.protocol)) numbers.insert(*n);
          }
          for (int n : numbers) {
            NamedPort named{port.named, port.protocol, n};
            Remote remote{"", peerGroup(*peer, p.ns, &named)};
            addRule(g, Direction::kEgress, Ports{sgProtocol(port.protocol), n, n}, remote, at);
          }
        }
      }
    }
  }

  // "http=8080/TCP,metrics=-/TCP": how a pod resolves the policy's named ingress ports.
  static std::string ingressResolution(const NetworkPolicy& p, const PodInfo& pod) {
    std::set<std::string> parts;
    for (const auto& rule : p.ingress) {
      for (const auto& port : rule.ports) {
        if (port.named.empty()) continue;
        auto n = resolve(pod, port.named, port.protocol);
        parts.insert(port.named + "=" + (n ? std::to_string(*n) : "-") + "/" +
                     protocolName(port.protocol));
      }
    }
    std::string out;
    for (const auto& s : parts) out += (out.empty() ? "" : ",") + s;
    return out;
  }

  SecurityGroup& policyGroup(const NetworkPolicy& p, const std::string& variant) {
    const std::string id = hashId("netpol-policy-", p.key() + "|" + variant);
    SecurityGroup& g = out_.groups[id];
    if (g.id.empty()) {
      g.id = idOf(id);
      g.project_id = project_;
      g.name = "netpol:" + p.key();
      g.description = std::string("NetworkPolicy ") + p.key() + ": isolates " +
                      (p.isolates_ingress && p.isolates_egress ? "ingress and egress"
                       : p.isolates_ingress                    ? "ingress"
                       : p.isolates_egress                     ? "egress"
                                                               : "nothing");
      if (!variant.empty()) g.description += "; named ports " + variant;
    }
    return g;
  }

  void translatePolicy(const NetworkPolicy& p) {
    PolicyResult& result = out_.policies[p.key()];
    result.problems = p.problems;
    bool named_ingress = false;
    for (const auto& rule : p.ingress) {
      for (const auto& port : rule.ports) named_ingress = named_ingress || !port.named.empty();
    }
    // The selected pods, by how they resolve the named ingress ports ("" without any).
    std::map<std::string, std::vector<const PodInfo*>> variants;
    for (const auto& [uid, pod] : world_.pods) {
      if (!selects(p, pod)) continue;
      variants[named_ingress ? ingressResolution(p, pod) : ""].push_back(&pod);
      ++result.selected_pods;
    }
    if (variants.empty()) variants[""];  // the policy is visible even when it selects nobody
    for (auto& [variant, pods] : variants) {
      SecurityGroup& g = policyGroup(p, variant);
      if (variants.size() > 1) g.name += " [" + variant + "]";
      if (p.isolates_ingress) ingressRules(g, p, pods.empty() ? nullptr : pods.front());
      if (p.isolates_egress) egressRules(g, p, result);
      result.groups.push_back(g.id.str());
      for (const PodInfo* pod : pods) {
        PodPolicy& pp = out_.pods[pod->uid];
        pp.policy_groups.push_back(g.id.str());
        pp.isolated_ingress = pp.isolated_ingress || p.isolates_ingress;
        pp.isolated_egress = pp.isolated_egress || p.isolates_egress;
      }
    }
    // Problems found once per variant are reported once.
    std::sort(result.problems.begin(), result.problems.end());
    result.problems.erase(std::unique(result.problems.begin(), result.problems.end()),
                          result.problems.end());
  }

  void addAllowAll(const std::string& id, Direction direction) {
    const std::string name = enumName(direction);
    SecurityGroup g;
    g.id = idOf(id);
    g.project_id = project_;
    g.name = "netpol: allow all " + name;
    g.description =
        "Pods NetworkPolicies isolate for the other direction only: " + name + " stays open";
    addRule(g, direction, Ports{}, Remote{}, "allow all " + name);
    out_.groups[id] = std::move(g);
  }

  const World& world_;
  const std::string project_;
  Translation out_;
};

}  // namespace

std::vector<std::string> filterGroupsOf(const PodPolicy& pod, bool port_has_own_groups) {
  std::vector<std::string> out = pod.policy_groups;
  if (out.empty()) return out;
  if (!port_has_own_groups) {
    if (!pod.isolated_ingress) out.push_back(kAllowAllIngressId);
    if (!pod.isolated_egress) out.push_back(kAllowAllEgressId);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Translation translate(const World& world, const std::string& project) {
  return Translator(world, project).run();
}

std::vector<Ipv4Prefix> subtractPrefixes(const Ipv4Prefix& cidr,
                                         const std::vector<Ipv4Prefix>& except) {
  const Ipv4Prefix block(cidr.network(), cidr.length());
  bool overlapped = false;
  for (const auto& e : except) {
    const Ipv4Prefix x(e.network(), e.length());
    if (x.length() <= block.length() && x.contains(block.network())) return {};  // all removed
    overlapped = overlapped || block.overlaps(x);
  }
  if (!overlapped) return {block};
  // Some exception lies strictly inside: split in halves and subtract from each.
  const int len = block.length() + 1;
  const Ipv4Prefix low(block.network(), len);
  const Ipv4Prefix high(Ipv4Address(block.network().value() | (1u << (32 - len))), len);
  std::vector<Ipv4Prefix> out = subtractPrefixes(low, except);
  for (const auto& p : subtractPrefixes(high, except)) out.push_back(p);
  return out;
}

}  // namespace alcor::controller::netpol
