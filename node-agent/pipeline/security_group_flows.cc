#include "node-agent/pipeline/security_group_flows.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

#include "lib/base/fnv_hash.h"
#include "lib/openflow/packed_flow.h"
#include "node-agent/pipeline/build_context.h"
#include "node-agent/pipeline/cookie.h"

namespace alcor::agent::pipeline {

using openflow::Action;
using openflow::Field;
using openflow::Flow;
using openflow::Masked;
using openflow::Match;

std::vector<Masked<uint16_t>> portRangeMasks(uint16_t min, uint16_t max) {
  std::vector<Masked<uint16_t>> out;
  if (min > max) return out;
  uint32_t lo = min;
  const uint32_t hi = max;
  while (lo <= hi) {
    // The largest aligned block starting at lo that does not pass hi.
    uint32_t size = lo == 0 ? 0x10000 : (lo & (~lo + 1));
    while (lo + size - 1 > hi) size >>= 1;
    const auto mask = static_cast<uint16_t>(~(size - 1));
    if (size == 1) {
      out.emplace_back(static_cast<uint16_t>(lo));
    } else {
      out.emplace_back(static_cast<uint16_t>(lo), mask);
    }
    lo += size;
  }
  return out;
}

bool portHasSecurityGroups(const Port& port) {
  return port.port_security_enabled && !port.security_group_ids.empty();
}

std::string allowSetKey(const std::string& group_id, Direction direction,
                        const std::string& remote_group_id) {
  return group_id + (direction == Direction::kIngress ? "/in/" : "/out/") + remote_group_id;
}

namespace {

// How one direction of the firewall is laid out: which tables, which register names the
// protected port (and is its conntrack zone), where an allowed packet goes next.
struct Side {
  Direction direction;
  const Table& conntrack;
  const Table& rules;
  const Table& next;
  RegField port_field;
  Field zone;
};

const Side kEgress{Direction::kEgress, kEgressConntrack, kEgressRules,
                   kHostConntrack,     kInPortField,     Field::kReg4};
const Side kIngress{Direction::kIngress, kIngressConntrack, kIngressRules, kOutput,
                    kOutPortField,       Field::kReg1};

std::string ruleSignature(const SecurityGroupRule& r) {
  return r.id + ":" + std::to_string(static_cast<int>(r.protocol)) + ":" +
         std::to_string(r.port_min) + "-" + std::to_string(r.port_max) + ":" +
         (r.remote_prefix ? r.remote_prefix->toString() : "") + ";";
}

Masked<Ipv4Address> prefixMatch(const Ipv4Prefix& p) {
  if (p.length() == 32) return p.address();
  return {p.network(), Ipv4Address(p.mask())};
}

void setRemote(Match& m, Direction d, const Ipv4Prefix& p) {
  if (p.length() == 0) return;
  (d == Direction::kIngress ? m.ipv4_src : m.ipv4_dst) = prefixMatch(p);
}

// The packets one rule allows, as one or more matches (a port range may need several).
std::vector<Match> ruleMatches(const SecurityGroupRule& r, Direction d) {
  Match base;
  switch (r.protocol) {
    case IpProtocol::kTcp:
      base = openflow::tcpMatch();
      break;
    case IpProtocol::kUdp:
      base = openflow::udpMatch();
      break;
    case IpProtocol::kIcmp:
      base = openflow::icmpMatch();
      break;
    case IpProtocol::kAny:
      base = openflow::ipv4Match();
      break;
  }
  if (r.remote_prefix) setRemote(base, d, *r.remote_prefix);
  const bool ported = r.protocol == IpProtocol::kTcp || r.protocol == IpProtocol::kUdp;
  const bool all_ports =
      (r.port_min == 0 && r.port_max == 0) || (r.port_min <= 1 && r.port_max == 65535);
  if (!ported || all_ports) return {base};
  std::vector<Match> out;
  for (const auto& masked : portRangeMasks(r.port_min, r.port_max)) {
    Match m = base;
    (r.protocol == IpProtocol::kTcp ? m.tcp_dst : m.udp_dst) = masked;
    out.push_back(std::move(m));
  }
  return out;
}

// Member addresses of a remote group: what the controller expanded, plus local member ports.
std::vector<Ipv4Prefix> membersOf(const NetworkState& state, const std::string& group_id) {
  std::set<std::pair<uint32_t, int>> seen;
  std::vector<Ipv4Prefix> out;
  auto addPrefix = [&](const Ipv4Prefix& p) {
    if (seen.insert({p.network().value(), p.length()}).second) out.push_back(p);
  };
  if (auto it = state.security_groups.find(group_id); it != state.security_groups.end()) {
    for (const auto& p : it->second.member_ips) addPrefix(p);
  }
  for (const auto& [id, port] : state.ports) {
    const auto& ids = port.security_group_ids;
    if (std::find(ids.begin(), ids.end(), group_id) == ids.end()) continue;
    for (const auto& f : port.fixed_ips) addPrefix(Ipv4Prefix(f.ip, 32));
    for (const auto& pair : port.allowed_address_pairs) addPrefix(pair.ip);
  }
  return out;
}

// The conj id hashes the set's key only: a rule change leaves the port and member clauses
// (which name the id) alone. The mark also hashes the rules' contents, so any change to the
// set's rules gives its connections a new mark to earn: they are re-checked. Collisions probe
// (sets are walked in key order, so the outcome is stable).
void assignIds(std::map<std::string, AllowSet>& sets) {
  std::set<uint32_t> used_ids, used_marks;
  auto unique = [](uint32_t h, std::set<uint32_t>& used) {
    h &= 0x7fffffffu;
    while (h == 0 || used.count(h)) h = (h + 1) & 0x7fffffffu;
    used.insert(h);
    return h;
  };
  for (auto& [key, set] : sets) {
    std::vector<std::string> sigs;
    for (const auto* r : set.rules) sigs.push_back(ruleSignature(*r));
    std::sort(sigs.begin(), sigs.end());
    std::string version = key + "|";
    for (const auto& s : sigs) version += s;
    set.id = unique(fnv1a32(key), used_ids);
    set.mark = unique(fnv1a32(version), used_marks);
  }
}

uint8_t clauses(const AllowSet& set) { return set.remote_group_id.empty() ? 2 : 3; }

// The sets of a port's groups in one direction, in the order its port clause lists them.
std::vector<const AllowSet*> setsOfPort(const SecurityGroupPlan& plan, const Port& port,
                                        Direction direction) {
  std::vector<const AllowSet*> out;
  for (const auto& gid : port.security_group_ids) {
    auto it = plan.sets_by_group.find(gid);
    if (it == plan.sets_by_group.end()) continue;
    for (const AllowSet* set : it->second) {
      if (set->direction == direction) out.push_back(set);
    }
  }
  return out;
}

// Emits one owner's flows from the plan. Flows with the same match in a rules table are one
// clause flow carrying several conjunctions.
class SecurityGroupEmitter {
 public:
  SecurityGroupEmitter(BuildContext& ctx, const SecurityGroupPlan& plan) : ctx_(ctx), plan_(plan) {}

  void portFlows(const Port& port) {
    for (const Side* side : {&kEgress, &kIngress}) portFlows(*side, port);
  }

  void ruleFlows() {
    if (plan_.ports.empty()) return;
    for (const Side* side : {&kEgress, &kIngress}) sideStatics(*side);
    for (const auto& [key, set] : plan_.sets) setFlows(set);
  }

 private:
  // A conjunctive clause flow (its index in ctx_.out.flows).
  size_t clauseFlow(const Table& table, uint64_t cookie, const Match& match) {
    auto key = openflow::packedKey(table.id, kSgRulePriority, match);
    auto [it, fresh] = clause_index_.try_emplace(key, ctx_.out.flows.size());
    if (fresh) ctx_.add(table, kSgRulePriority, cookie, match);
    return it->second;
  }

  void addConjunction(size_t flow, uint32_t id, uint8_t clause, uint8_t n_clauses) {
    ctx_.out.flows[flow].actions.push_back(openflow::Conjunction{id, clause, n_clauses});
  }

  void addClause(const Table& table, uint64_t cookie, const Match& match, uint32_t id,
                 uint8_t clause, uint8_t n_clauses) {
    addConjunction(clauseFlow(table, cookie, match), id, clause, n_clauses);
  }

  // The member clause flows of a remote group on one side, shared by every set naming it.
  const std::vector<size_t>& memberFlows(const Side& side, const std::string& remote_group_id) {
    auto [it, fresh] = member_flows_.try_emplace({side.direction, remote_group_id});
    if (!fresh) return it->second;
    const uint64_t c = makeCookie(CookieCategory::kSecurityGroup, "sg-members:" + remote_group_id);
    for (const auto& member : plan_.members.at(remote_group_id)) {
      Match m = openflow::ipv4Match();
      setRemote(m, side.direction, member);
      it->second.push_back(clauseFlow(side.rules, c, m));
    }
    return it->second;
  }

  openflow::Ct ct(const Side& side) const {
    openflow::Ct ct;
    ct.zone_field = side.zone;
    return ct;
  }

  void sideStatics(const Side& side) {
    const uint64_t c = makeCookie(CookieCategory::kSecurityGroup, "sg-static");
    Match invalid;
    invalid.ct_state = Masked<uint32_t>(openflow::kCtInvalid | openflow::kCtTracked,
                                        openflow::kCtInvalid | openflow::kCtTracked);
    ctx_.add(side.rules, kSgInvalidPriority, c, invalid);
    // A reply whose allowing rule set is gone: dropped, not re-checked against this side.
    Match stale_reply;
    stale_reply.ct_state =
        Masked<uint32_t>(openflow::kCtReply | openflow::kCtTracked,
                         openflow::kCtNew | openflow::kCtReply | openflow::kCtTracked);
    ctx_.add(side.rules, kSgStaleReplyPriority, c, stale_reply);
    serviceStatics(side, c);
  }

  // Kubernetes Services: a pod's new connection to a Service address passes its egress rules
  // here, committed with the deferred mark, and is checked when the node's DNAT sends it back
  // in through the host gateway with the backend's address (afterDnat). Rules name pods and
  // addresses, never Service addresses, as NetworkPolicy does.
  void serviceStatics(const Side& side, uint64_t c) {
    if (ctx_.config.service_cidrs.empty()) return;
    Match est;
    est.ct_state = Masked<uint32_t>(openflow::kCtTracked, openflow::kCtNew | openflow::kCtTracked);
    est.ct_mark = Masked<uint32_t>(kCtMarkServiceDeferred);
    ctx_.add(side.rules, kSgEstablishedPriority, c, est).goto_table = side.next.id;
    if (side.direction != Direction::kEgress) return;
    for (const auto& cidr : ctx_.config.service_cidrs) {
      Match m = openflow::ipv4Match();
      matchReg(m, kPktSourceField, kFromPod);
      m.ipv4_dst = prefixMatch(cidr);
      m.ct_state = Masked<uint32_t>(openflow::kCtNew | openflow::kCtTracked,
                                    openflow::kCtNew | openflow::kCtTracked);
      openflow::Ct commit = ct(side);
      commit.commit = true;
      commit.actions = {openflow::SetField{Field::kCtMark, kCtMarkServiceDeferred, std::nullopt}};
      Flow& f = ctx_.add(side.rules, kSgServicePriority, c, m);
      f.actions = {commit};
      f.goto_table = side.next.id;
    }
  }

  // The same pod's connection after the node's DNAT: it enters from the host gateway with the
  // pod's address as source. The port's egress rules see it as if the pod had sent it to the
  // backend, in the pod's zone.
  void afterDnat(const Port& port, uint32_t ofport, uint64_t c) {
    if (ctx_.config.service_cidrs.empty()) return;
    auto segment = ctx_.segments.segmentOf(ctx_.state.vniOfPort(port));
    if (!segment) return;
    for (const auto& f : port.fixed_ips) {
      Match m = openflow::ipv4Match();
      matchReg(m, kPktSourceField, kFromHost);
      matchReg(m, kSegmentField, *segment);
      m.ipv4_src = f.ip;
      openflow::Ct track = ct(kEgress);
      track.table = kEgress.rules.id;
      ctx_.add(kEgress.conntrack, kSgAfterDnatPriority, c, m).actions = {
          loadField(kInPortField, ofport), track};
    }
  }

  void portFlows(const Side& side, const Port& port) {
    const uint32_t ofport = ctx_.state.interfaces.at(port.id).ofport;
    const uint64_t c = makeCookie(CookieCategory::kSecurityGroup, "sg-port:" + port.id);
    const std::vector<const AllowSet*> sets = setsOfPort(plan_, port, side.direction);
    Match tracked = openflow::ipv4Match();
    matchReg(tracked, side.port_field, ofport);
    openflow::Ct track = ct(side);
    track.table = side.rules.id;
    ctx_.add(side.conntrack, kSgTrackPriority, c, tracked).actions = {track};
    if (side.direction == Direction::kEgress) afterDnat(port, ofport, c);
    if (sets.empty()) return;
    Match port_clause;
    matchReg(port_clause, side.port_field, ofport);
    const size_t flow = clauseFlow(side.rules, c, port_clause);
    for (const AllowSet* set : sets) addConjunction(flow, set->id, 0, clauses(*set));
  }

  void setFlows(const AllowSet& set) {
    const Side& side = set.direction == Direction::kIngress ? kIngress : kEgress;
    const uint64_t c = makeCookie(CookieCategory::kSecurityGroup, "sg:" + set.group_id);
    Match conj = openflow::ipv4Match();  // ct() needs an IP match
    conj.conj_id = set.id;
    Flow& allow = ctx_.add(side.rules, kSgRulePriority, c, conj);
    openflow::Ct commit = ct(side);
    commit.commit = true;
    commit.actions = {openflow::SetField{Field::kCtMark, set.mark, std::nullopt}};
    allow.actions = {commit};
    allow.goto_table = side.next.id;
    // Established and related packets of connections this set allowed, in either table (the
    // reply of an ingress connection leaves by the egress tables and vice versa).
    for (const Side* any : {&kEgress, &kIngress}) {
      Match est;
      est.ct_state =
          Masked<uint32_t>(openflow::kCtTracked, openflow::kCtNew | openflow::kCtTracked);
      est.ct_mark = Masked<uint32_t>(set.mark);
      ctx_.add(any->rules, kSgEstablishedPriority, c, est).goto_table = any->next.id;
    }
    for (const auto* rule : set.rules) {
      for (const auto& m : ruleMatches(*rule, set.direction)) {
        addClause(side.rules, c, m, set.id, 1, clauses(set));
      }
    }
    if (set.remote_group_id.empty()) return;
    for (size_t flow : memberFlows(side, set.remote_group_id)) addConjunction(flow, set.id, 2, 3);
  }

  BuildContext& ctx_;
  const SecurityGroupPlan& plan_;
  std::unordered_map<std::string, size_t> clause_index_;
  std::map<std::pair<Direction, std::string>, std::vector<size_t>> member_flows_;
};

}  // namespace

SecurityGroupPlan planSecurityGroups(const NetworkState& state,
                                     const std::function<bool(const Port&)>& programmed) {
  SecurityGroupPlan plan;
  std::set<std::string> used_groups;
  for (const auto& [id, port] : state.ports) {
    if (!portHasSecurityGroups(port) || !programmed(port)) continue;
    plan.ports.push_back(&port);
    used_groups.insert(port.security_group_ids.begin(), port.security_group_ids.end());
  }
  if (plan.ports.empty()) return plan;
  // Allow sets of every group a protected port uses, in key order (stable ids).
  for (const auto& gid : used_groups) {
    auto it = state.security_groups.find(gid);
    if (it == state.security_groups.end()) continue;  // not known yet: allows nothing
    for (const auto& rule : it->second.rules) {
      if (rule.ipv6) continue;  // the pipeline is IPv4 only
      const std::string key = allowSetKey(gid, rule.direction, rule.remote_group_id);
      auto [set, fresh] = plan.sets.try_emplace(key);
      if (fresh) set->second = AllowSet{gid, rule.direction, rule.remote_group_id, {}, 0, 0};
      set->second.rules.push_back(&rule);
    }
  }
  for (const auto& [key, set] : plan.sets) {
    if (!set.remote_group_id.empty() && !plan.members.count(set.remote_group_id)) {
      plan.members[set.remote_group_id] = membersOf(state, set.remote_group_id);
    }
  }
  // A remote group without members allows nothing: drop its set.
  std::erase_if(plan.sets, [&](const auto& kv) {
    return !kv.second.remote_group_id.empty() && plan.members[kv.second.remote_group_id].empty();
  });
  std::erase_if(plan.members, [](const auto& kv) { return kv.second.empty(); });
  assignIds(plan.sets);
  for (const auto& [key, set] : plan.sets) plan.sets_by_group[set.group_id].push_back(&set);
  return plan;
}

SecurityGroupInputs securityGroupInputs(const NetworkState& state, const SecurityGroupPlan& plan) {
  SecurityGroupInputs in;
  in.any_port = !plan.ports.empty();
  for (const auto& [key, set] : plan.sets) {
    SecurityGroupInputs::Set s{key, set.id, set.mark, {}};
    for (const auto* r : set.rules) s.rules.push_back(*r);
    in.sets.push_back(std::move(s));
  }
  in.members = plan.members;
  for (const Port* port : plan.ports) {
    SecurityGroupInputs::PortSets& p = in.ports[port->id];
    p.ofport = state.interfaces.at(port->id).ofport;
    for (const AllowSet* set : setsOfPort(plan, *port, Direction::kEgress)) {
      p.egress.emplace_back(set->id, clauses(*set));
    }
    for (const AllowSet* set : setsOfPort(plan, *port, Direction::kIngress)) {
      p.ingress.emplace_back(set->id, clauses(*set));
    }
  }
  return in;
}

void addSecurityGroupPortFlows(BuildContext& ctx, const std::string& port_id) {
  const SecurityGroupPlan& plan = ctx.securityGroupPlan();
  auto it = std::find_if(plan.ports.begin(), plan.ports.end(),
                         [&](const Port* p) { return p->id == port_id; });
  if (it != plan.ports.end()) SecurityGroupEmitter(ctx, plan).portFlows(**it);
}

void addSecurityGroupRuleFlows(BuildContext& ctx) {
  SecurityGroupEmitter(ctx, ctx.securityGroupPlan()).ruleFlows();
}

}  // namespace alcor::agent::pipeline
