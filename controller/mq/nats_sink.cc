#include "controller/mq/nats_sink.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <unordered_map>

#include "controller/dpm/goalstate_messages.h"
#include "lib/base/logging.h"
#include "lib/southbound/subjects.h"

namespace alcor::controller {

namespace sb = southbound;

namespace {
bool isL2Neighbor(const EncodedState& s) {
  return s.type == schema::NEIGHBOR && s.key.rfind("L2/", 0) == 0;
}
}  // namespace

NatsGoalStateSink::NatsGoalStateSink(nats::MessageBus& bus, PushScheduler& unicast,
                                     NatsSinkOptions options)
    : bus_(bus), unicast_(unicast), options_(std::move(options)) {
  options_.multicast_min = std::max<size_t>(1, options_.multicast_min);
  if (options_.auto_path) selector_.emplace(*options_.auto_path);
}

NatsGoalStateSink::~NatsGoalStateSink() { stop(); }

Status NatsGoalStateSink::start() {
  ASSIGN_OR_RETURN(notices_, bus_.subscribe(sb::kAllAgentSubjects,
                                            [this](const nats::Message& m) { onAgentNotice(m); }));
  return bus_.flush(std::chrono::seconds(5));
}

void NatsGoalStateSink::stop() {
  if (notices_) notices_->unsubscribe();
}

void NatsGoalStateSink::onAgentNotice(const nats::Message& m) {
  const std::string host = sb::hostOfAgentSubject(m.subject);
  const auto space = m.data.find(' ');
  if (host.empty() || space == std::string::npos) {
    ALOG(Warn, Dpm) << "ignoring a malformed agent notice on " << m.subject;
    return;
  }
  const std::string verb = m.data.substr(0, space);
  const std::string subject = m.data.substr(space + 1);
  if (!sb::parseSubnetSubject(subject)) {
    ALOG(Warn, Dpm) << "host " << host << " names no subnet subject: " << subject;
    return;
  }
  std::lock_guard lock(mu_);
  if (verb == sb::kSubscribedNotice) {
    confirmed_[host].insert(subject);
  } else if (verb == sb::kUnsubscribedNotice) {
    confirmed_[host].erase(subject);
    counted_.erase({host, subject});
  } else {
    ALOG(Warn, Dpm) << "host " << host << " sent an unknown notice: " << verb;
    return;
  }
  ALOG(Debug, Dpm) << "host " << host << " " << verb << " " << subject;
}

void NatsGoalStateSink::setAddress(const std::string& host_ip, const std::string& address) {
  // mq: the NatsGoalStatePusher reaches a host by its IP (its subject), not by a gRPC address.
  unicast_.setAddress(host_ip, selector_ ? address : host_ip);
}

void NatsGoalStateSink::vpcPortsChanged(const std::string& vpc_id, size_t ports) {
  if (!selector_) return;
  std::lock_guard lock(mu_);
  switch (selector_->observe(vpc_id, ports)) {
    case PathSwitch::kToMq:
      ALOG(Info, Dpm) << "vpc " << vpc_id << ": " << ports << " ports > "
                      << selector_->thresholds().up << ", neighbors of its subnets now over NATS";
      break;
    case PathSwitch::kToGrpc:
      // Nothing to move: what is not multicast stays on the hosts' queues, and the agents keep
      // their subscriptions and sequence positions for a later move back.
      ALOG(Info, Dpm) << "vpc " << vpc_id << ": " << ports << " ports < "
                      << selector_->thresholds().down << ", neighbors of its subnets back on gRPC";
      break;
    case PathSwitch::kNone:
      break;
  }
}

bool NatsGoalStateSink::multicastVpc(const std::string& vpc_id) const {
  std::lock_guard lock(mu_);
  return multicastVpcLocked(vpc_id);
}

bool NatsGoalStateSink::multicastVpcLocked(const std::string& vpc_id) const {
  return !selector_ || selector_->onMq(vpc_id);
}

void NatsGoalStateSink::forgetMemberships(const std::string& host_ip) {
  std::lock_guard lock(mu_);
  confirmed_.erase(host_ip);
  std::erase_if(counted_, [&](const auto& hs) { return hs.first == host_ip; });
}

void NatsGoalStateSink::forget(const std::string& host_ip) {
  forgetMemberships(host_ip);
  unicast_.forget(host_ip);
}

void NatsGoalStateSink::requestResync(const std::string& host_ip) {
  // A restarted agent has subscribed to nothing yet; one that lost messages says again what it
  // subscribed to after asking. Until then its states go by unicast.
  forgetMemberships(host_ip);
  unicast_.requestResync(host_ip);
}

std::future<Status> NatsGoalStateSink::enqueueNow(const std::string& host_ip,
                                                  std::vector<StatePtr> states) {
  return unicast_.enqueueNow(host_ip, std::move(states));
}

std::vector<std::string> NatsGoalStateSink::subjectsOf(const EncodedState& s) const {
  std::vector<std::string> out;
  if (!isL2Neighbor(s)) return out;
  if (s.operation == schema::DELETE) {
    auto it = subject_of_key_.find(s.key);
    if (it != subject_of_key_.end() &&
        multicastVpcLocked(sb::parseSubnetSubject(it->second)->vpc)) {
      out.push_back(it->second);
    }
    return out;
  }
  for (const auto& c : s.context) {
    if (c->type != schema::SUBNET) continue;
    for (const auto& v : c->context) {
      if (v->type != schema::VPC || !multicastVpcLocked(v->key)) continue;
      std::string subject = sb::subnetSubject(v->key, c->key);
      if (!subject.empty()) out.push_back(std::move(subject));
    }
  }
  return out;
}

bool NatsGoalStateSink::memberLocked(const std::string& host_ip, const std::string& subject) {
  auto it = confirmed_.find(host_ip);
  if (it == confirmed_.end() || !it->second.count(subject)) return false;
  return member_ && member_(host_ip, sb::parseSubnetSubject(subject)->subnet);
}

void NatsGoalStateSink::enqueue(HostStates states) {
  std::lock_guard lock(mu_);
  // Hosts by index; per state, its subjects (computed once) and for the chosen subject the
  // member hosts that may take it from there. A bulk request queues 10,000 states for each of
  // 100 hosts: nothing here is per (state, host) but an index.
  std::vector<const std::string*> hosts;
  for (const auto& [host, list] : states) hosts.push_back(&host);
  struct Plan {
    std::vector<std::string> subjects;
    size_t chosen = SIZE_MAX;  // index in subjects
    std::vector<uint32_t> members;
    bool multicast = false;
  };
  std::unordered_map<const EncodedState*, Plan> plan;
  std::map<std::string, std::vector<int8_t>> membership;  // subject -> per host: -1 unknown
  auto member = [&](const std::string& subject, uint32_t h) {
    auto& m = membership.try_emplace(subject, hosts.size(), int8_t{-1}).first->second;
    if (m[h] < 0) m[h] = memberLocked(*hosts[h], subject) ? 1 : 0;
    return m[h] == 1;
  };
  std::map<std::string, std::vector<StatePtr>> by_subject;  // in first-seen order per subject
  uint32_t h = 0;
  for (const auto& [host, list] : states) {
    for (const auto& s : list) {
      if (!isL2Neighbor(*s)) continue;
      auto [it, fresh] = plan.try_emplace(s.get());
      Plan& p = it->second;
      if (fresh) p.subjects = subjectsOf(*s);
      for (size_t k = 0; k < p.subjects.size(); ++k) {
        // One subject per state: the first a member host takes it from.
        if (p.chosen != SIZE_MAX && p.chosen != k) continue;
        if (!member(p.subjects[k], h)) continue;
        if (p.chosen == SIZE_MAX) by_subject[p.subjects[k]].push_back(s);
        p.chosen = k;
        p.members.push_back(h);
        break;
      }
    }
    ++h;
  }
  bool any = false;
  for (auto& [subject, list] : by_subject) {
    std::vector<StatePtr> chosen;
    std::set<std::string> counted;
    for (const auto& s : list) {
      const Plan& p = plan[s.get()];
      if (p.members.size() < options_.multicast_min) continue;
      chosen.push_back(s);
      for (uint32_t m : p.members) counted.insert(*hosts[m]);
    }
    if (chosen.empty() || !publishLocked(subject, chosen, counted)) continue;
    any = true;
    for (const auto& s : chosen) {
      Plan& p = plan[s.get()];
      p.multicast = true;
      std::sort(p.members.begin(), p.members.end());
      stats_.host_copies += p.members.size();
      if (s->operation == schema::DELETE) {
        subject_of_key_.erase(s->key);
      } else {
        subject_of_key_[s->key] = subject;
      }
    }
  }
  if (any) {
    h = 0;
    for (auto& [host, list] : states) {
      std::erase_if(list, [&](const StatePtr& s) {
        auto it = plan.find(s.get());
        return it != plan.end() && it->second.multicast &&
               std::binary_search(it->second.members.begin(), it->second.members.end(), h);
      });
      ++h;
    }
    std::erase_if(states, [](const auto& entry) { return entry.second.empty(); });
  }
  if (!states.empty()) unicast_.enqueue(std::move(states));
}

bool NatsGoalStateSink::publishLocked(const std::string& subject,
                                      const std::vector<StatePtr>& states,
                                      const std::set<std::string>& hosts) {
  uint64_t& seq = seq_[subject];
  for (const auto& h : hosts) {
    if (counted_.count({h, subject})) continue;
    Status st = bus_.publish(sb::hostSubject(h), "",
                             {{sb::kKindHeader, sb::kBaselineKind},
                              {sb::kSubjectHeader, subject},
                              {sb::kEpochHeader, options_.epoch},
                              {sb::kSeqHeader, std::to_string(seq)}});
    if (!st.ok()) {
      ++stats_.publish_failures;
      ALOG(Warn, Dpm) << "baseline for " << h << " on " << subject << ": " << st;
      return false;
    }
    counted_.insert({h, subject});
    ++stats_.baselines;
  }
  EncodedGoalState message;
  for (const auto& part : planMessages(states, options_.max_neighbors_per_message)) {
    encodeMessage(subject, part, 2, message);
    Status st = bus_.publish(
        subject, message.bytes,
        {{sb::kEpochHeader, options_.epoch}, {sb::kSeqHeader, std::to_string(seq + 1)}});
    if (!st.ok()) {
      // The parts already out are applied twice at worst (revisions keep the newest).
      ++stats_.publish_failures;
      ALOG(Warn, Dpm) << "publishing on " << subject << ": " << st << "; sending by unicast";
      return false;
    }
    ++seq;
    ++stats_.messages;
    stats_.bytes += message.bytes.size();
    stats_.states += message.resources;
  }
  return true;
}

std::string renderMulticastMetrics(const MulticastStats& s) {
  std::string out;
  auto add = [&](const char* name, const char* type, const char* help, uint64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
  };
  add("alcor_mq_multicast_messages_total", "counter", "messages published on subnet subjects",
      s.messages);
  add("alcor_mq_multicast_bytes_total", "counter", "bytes published on subnet subjects", s.bytes);
  add("alcor_mq_multicast_host_copies_total", "counter",
      "(state, host) deliveries the subnet messages stood for", s.host_copies);
  add("alcor_mq_baselines_total", "counter", "baselines published to hosts", s.baselines);
  add("alcor_mq_publish_failures_total", "counter", "publishes that fell back to unicast",
      s.publish_failures);
  add("alcor_mq_members", "gauge", "(host, subnet subject) memberships confirmed by agents",
      s.members);
  if (s.auto_path) {
    add("alcor_mq_auto_vpcs", "gauge", "VPCs whose subnets' neighbors go over NATS (auto)",
        s.vpcs_on_mq);
    add("alcor_mq_auto_switches_total", "counter", "VPCs moved between gRPC and NATS (auto)",
        s.path_switches);
  }
  return out;
}

MulticastStats NatsGoalStateSink::stats() const {
  std::lock_guard lock(mu_);
  MulticastStats s = stats_;
  s.members = 0;
  for (const auto& [h, subjects] : confirmed_) s.members += subjects.size();
  if (selector_) {
    s.auto_path = true;
    s.vpcs_on_mq = selector_->vpcsOnMq();
    s.path_switches = selector_->switches();
  }
  return s;
}

}  // namespace alcor::controller
