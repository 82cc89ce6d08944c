#include "node-agent/goalstate/nats_subscriber.h"

#include "lib/base/logging.h"
#include "lib/southbound/subjects.h"

namespace alcor::agent {

namespace sb = southbound;

namespace {
bool isL2(const std::string& key) { return key.rfind("L2/", 0) == 0; }
uint64_t seqOf(const nats::Message& m) {
  try {
    return std::stoull(m.header(sb::kSeqHeader));
  } catch (...) {
    return 0;
  }
}
}  // namespace

NatsGoalStateSubscriber::NatsGoalStateSubscriber(nats::MessageBus& bus, std::string node_ip,
                                                 Apply apply, RequestResync resync)
    : bus_(bus),
      node_ip_(std::move(node_ip)),
      apply_(std::move(apply)),
      resync_(std::move(resync)) {}

NatsGoalStateSubscriber::~NatsGoalStateSubscriber() { stop(); }

Status NatsGoalStateSubscriber::start() {
  std::lock_guard lock(mu_);
  ASSIGN_OR_RETURN(host_sub_, bus_.subscribe(sb::hostSubject(node_ip_),
                                             [this](const nats::Message& m) { onHostMessage(m); }));
  RETURN_IF_ERROR(bus_.flush(std::chrono::seconds(5)));
  bus_.setReconnectHandler([this] { onReconnected(); });
  ALOG(Info, GoalState) << "GoalStates over NATS on " << sb::hostSubject(node_ip_);
  return okStatus();
}

void NatsGoalStateSubscriber::stop() {
  bus_.setReconnectHandler(nullptr);
  // Unsubscribing waits for a handler in progress, which may be waiting for mu_: not under it.
  nats::SubscriptionPtr host;
  std::map<std::string, nats::SubscriptionPtr> subnets;
  {
    std::lock_guard lock(mu_);
    host = std::move(host_sub_);
    subnets.swap(subnet_subs_);
  }
  if (host) host->unsubscribe();
  for (auto& [subject, sub] : subnets) sub->unsubscribe();
  closeLeftSubscriptions();
}

std::set<std::string> NatsGoalStateSubscriber::subjects() const {
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& [subject, sub] : subnet_subs_) out.insert(subject);
  return out;
}

NatsSubscriberStats NatsGoalStateSubscriber::stats() const {
  std::lock_guard lock(mu_);
  NatsSubscriberStats s = stats_;
  s.subjects = subnet_subs_.size();
  return s;
}

void NatsGoalStateSubscriber::notice(const char* verb, const std::string& subject) {
  Status st = bus_.publish(sb::agentSubject(node_ip_), std::string(verb) + " " + subject);
  if (!st.ok()) ALOG(Warn, GoalState) << "notice \"" << verb << " " << subject << "\": " << st;
}

void NatsGoalStateSubscriber::newEpochLocked(const std::string& epoch) {
  if (!epoch_.empty()) {
    ALOG(Info, GoalState) << "the controller restarted (epoch " << epoch_ << " -> " << epoch << ")";
  }
  epoch_ = epoch;
  // Its revisions and sequence numbers start again; it knows none of our subscriptions.
  revisions_.clear();
  deleted_.clear();
  tracker_.reset();
  for (const auto& [subject, sub] : subnet_subs_) notice(sb::kSubscribedNotice, subject);
}

void NatsGoalStateSubscriber::gapLocked(const std::string& subject) {
  ++stats_.gaps;
  ALOG(Warn, GoalState) << "messages lost on " << subject << "; asking for the full state";
  resyncLocked();
}

void NatsGoalStateSubscriber::onReconnected() {
  std::lock_guard lock(mu_);
  ++stats_.reconnects;
  // A subnet message published while we were away is lost, and when it was the last of a burst
  // no later sequence number shows the gap.
  if (subnet_subs_.empty()) return;
  ALOG(Warn, GoalState) << "NATS connection back; subnet messages may have been lost meanwhile, "
                           "asking for the full state";
  resyncLocked();
}

void NatsGoalStateSubscriber::resyncLocked() {
  if (!resync_) return;
  ++stats_.resync_requests;
  if (Status st = resync_(); !st.ok()) {
    ALOG(Error, GoalState) << "full state request failed: " << st;
    return;
  }
  // The controller forgot our subscriptions with the request: tell them again, so that it
  // counts us (with new baselines) once the full state is on its way.
  for (const auto& [s, sub] : subnet_subs_) notice(sb::kSubscribedNotice, s);
}

void NatsGoalStateSubscriber::onHostMessage(const nats::Message& m) {
  {
    std::lock_guard lock(mu_);
    onHostMessageLocked(m);
  }
  closeLeftSubscriptions();
}

void NatsGoalStateSubscriber::onHostMessageLocked(const nats::Message& m) {
  const std::string epoch = m.header(sb::kEpochHeader);
  if (!epoch.empty() && epoch != epoch_) newEpochLocked(epoch);
  if (m.header(sb::kKindHeader) == sb::kBaselineKind) {
    ++stats_.baselines;
    tracker_.baseline(m.header(sb::kSubjectHeader), epoch, seqOf(m));
    return;
  }
  schema::GoalStateV2 gs;
  schema::GoalStateOperationReply reply;
  if (!gs.ParseFromString(m.data)) {
    ALOG(Warn, GoalState) << "a message on " << m.subject << " is no GoalStateV2; ignored";
  } else {
    reply = applyUnicastLocked(gs);
  }
  if (!m.reply.empty()) {
    if (Status st = bus_.publish(m.reply, reply.SerializeAsString()); !st.ok()) {
      ALOG(Warn, GoalState) << "reply to the controller: " << st;
    }
  }
}

schema::GoalStateOperationReply NatsGoalStateSubscriber::applyUnicast(schema::GoalStateV2 gs,
                                                                      const std::string& epoch) {
  schema::GoalStateOperationReply reply;
  {
    std::lock_guard lock(mu_);
    if (!epoch.empty() && epoch != epoch_) newEpochLocked(epoch);
    reply = applyUnicastLocked(gs);
  }
  closeLeftSubscriptions();
  return reply;
}

schema::GoalStateOperationReply NatsGoalStateSubscriber::applyUnicastLocked(
    schema::GoalStateV2& gs) {
  ++stats_.unicast_messages;
  for (const auto& [id, st] : gs.subnet_states()) subnet_vpc_[id] = st.configuration().vpc_id();
  filterNeighborsLocked(gs, "");
  schema::GoalStateOperationReply reply = apply_(gs);
  followPortsLocked(gs, reply);
  return reply;
}

void NatsGoalStateSubscriber::onSubnetMessage(const nats::Message& m) {
  std::lock_guard lock(mu_);
  if (!subnet_subs_.count(m.subject)) return;  // left meanwhile
  auto verdict = tracker_.observe(m.subject, m.header(sb::kEpochHeader), seqOf(m));
  if (verdict == sb::SequenceTracker::Verdict::kStale) return;
  if (verdict == sb::SequenceTracker::Verdict::kGap) gapLocked(m.subject);
  schema::GoalStateV2 gs;
  if (!gs.ParseFromString(m.data)) {
    ALOG(Warn, GoalState) << "a message on " << m.subject << " is no GoalStateV2; ignored";
    return;
  }
  ++stats_.multicast_messages;
  for (const auto& [id, st] : gs.subnet_states()) subnet_vpc_[id] = st.configuration().vpc_id();
  filterNeighborsLocked(gs, m.subject);
  if (gs.neighbor_states().empty()) return;
  schema::GoalStateOperationReply reply = apply_(gs);
  for (const auto& st : reply.operation_statuses()) {
    if (st.operation_status() == schema::FAILURE || st.operation_status() == schema::INVALID_ARG) {
      ALOG(Warn, GoalState) << "from " << m.subject << ": " << st.resource_id() << " "
                            << schema::OperationStatus_Name(st.operation_status());
    }
  }
}

void NatsGoalStateSubscriber::filterNeighborsLocked(schema::GoalStateV2& gs,
                                                    const std::string& from_subject) {
  const bool multicast = !from_subject.empty();
  auto* neighbors = gs.mutable_neighbor_states();
  for (auto it = neighbors->begin(); it != neighbors->end();) {
    const std::string key = it->first;
    const auto& config = it->second.configuration();
    if (!isL2(key)) {
      ++it;
      continue;
    }
    if (multicast && config.host_ip_address() == node_ip_) {  // our own port
      it = neighbors->erase(it);
      continue;
    }
    // Unicast copies arrive in the controller's order among themselves: only a subnet
    // message can overtake one (it is published at once, the unicast copy may have waited in
    // the host's queue) or lag behind one (auto: another connection).
    const uint32_t revision = config.revision_number();
    auto seen = revisions_.find(key);
    if (revision != 0 && seen != revisions_.end() &&
        (multicast ? revision <= seen->second.revision
                   : seen->second.multicast && revision < seen->second.revision)) {
      ++stats_.stale_neighbors;
      it = neighbors->erase(it);
      continue;
    }
    const bool deleted = it->second.operation_type() == schema::DELETE;
    if (revision != 0) rememberRevisionLocked(key, revision, multicast, deleted);
    if (deleted) {
      neighbor_subjects_.erase(key);
    } else {
      std::set<std::string>& subjects = neighbor_subjects_[key];
      subjects.clear();
      for (const auto& ip : config.fixed_ips()) {
        auto vpc = subnet_vpc_.find(ip.subnet_id());
        const std::string& vpc_id =
            config.vpc_id().empty() && vpc != subnet_vpc_.end() ? vpc->second : config.vpc_id();
        std::string subject = sb::subnetSubject(vpc_id, ip.subnet_id());
        if (!subject.empty()) subjects.insert(subject);
      }
    }
    ++it;
  }
}

void NatsGoalStateSubscriber::rememberRevisionLocked(const std::string& key, uint32_t revision,
                                                     bool multicast, bool deleted) {
  revisions_[key] = {revision, multicast, deleted};
  if (!deleted) return;
  deleted_.push_back(key);
  if (deleted_.size() <= kMaxDeleted) return;
  auto oldest = revisions_.find(deleted_.front());
  if (oldest != revisions_.end() && oldest->second.deleted) revisions_.erase(oldest);
  deleted_.pop_front();
}

void NatsGoalStateSubscriber::followPortsLocked(const schema::GoalStateV2& gs,
                                                const schema::GoalStateOperationReply& reply) {
  if (gs.port_states().empty()) return;
  std::map<std::string, schema::OperationStatus> port_status;
  for (const auto& st : reply.operation_statuses()) {
    if (st.resource_type() == schema::PORT) port_status[st.resource_id()] = st.operation_status();
  }
  for (const auto& [id, st] : gs.port_states()) {
    if (st.operation_type() == schema::DELETE) {
      port_subjects_.erase(id);
      continue;
    }
    if (st.operation_type() != schema::CREATE && st.operation_type() != schema::UPDATE) continue;
    auto status = port_status.find(id);
    if (status == port_status.end() ||
        (status->second != schema::SUCCESS && status->second != schema::PENDING)) {
      continue;
    }
    std::set<std::string> subjects;
    for (const auto& ip : st.configuration().fixed_ips()) {
      auto vpc = subnet_vpc_.find(ip.subnet_id());
      std::string vpc_id = st.configuration().vpc_id();
      if (vpc_id.empty() && vpc != subnet_vpc_.end()) vpc_id = vpc->second;
      std::string subject = sb::subnetSubject(vpc_id, ip.subnet_id());
      if (!subject.empty()) subjects.insert(subject);
    }
    port_subjects_[id] = std::move(subjects);
  }
  std::set<std::string> wanted;
  for (const auto& [port, subjects] : port_subjects_)
    wanted.insert(subjects.begin(), subjects.end());
  for (const auto& subject : wanted) {
    if (subnet_subs_.count(subject)) continue;
    auto sub = bus_.subscribe(subject, [this](const nats::Message& m) { onSubnetMessage(m); });
    if (!sub.ok()) {
      // Without it the controller keeps sending this subnet's neighbors by unicast.
      ALOG(Warn, GoalState) << "subscribing to " << subject << ": " << sub.status();
      continue;
    }
    subnet_subs_[subject] = std::move(sub).value();
    notice(sb::kSubscribedNotice, subject);
    ALOG(Info, GoalState) << "subscribed to " << subject;
  }
  std::vector<std::string> gone;
  for (const auto& [subject, sub] : subnet_subs_) {
    if (!wanted.count(subject)) gone.push_back(subject);
  }
  for (const auto& subject : gone) leaveSubjectLocked(subject);
}

void NatsGoalStateSubscriber::leaveSubjectLocked(const std::string& subject) {
  // Its messages are ignored from now on (onSubnetMessage looks the subject up under mu_).
  left_.push_back(std::move(subnet_subs_[subject]));
  subnet_subs_.erase(subject);
  tracker_.forget(subject);
  notice(sb::kUnsubscribedNotice, subject);
  ALOG(Info, GoalState) << "unsubscribed from " << subject;
  // No port left in the subnet: none of its L2 neighbors either (the controller deleted those it
  // knew of; a subnet message may have added one after that).
  schema::GoalStateV2 deletes;
  deletes.set_format_version(2);
  for (auto it = neighbor_subjects_.begin(); it != neighbor_subjects_.end();) {
    bool still = false;
    for (const auto& s : it->second) still = still || subnet_subs_.count(s) > 0;
    if (!it->second.count(subject) || still) {
      ++it;
      continue;
    }
    schema::NeighborState& del = (*deletes.mutable_neighbor_states())[it->first];
    del.set_operation_type(schema::DELETE);
    del.mutable_configuration()->set_id(it->first.substr(3));
    revisions_.erase(it->first);
    it = neighbor_subjects_.erase(it);
  }
  if (subnet_subs_.empty()) {
    // No subnet message can come any more: nothing to order unicast copies against.
    revisions_.clear();
    deleted_.clear();
  }
  if (!deletes.neighbor_states().empty()) apply_(deletes);
}

void NatsGoalStateSubscriber::closeLeftSubscriptions() {
  std::vector<nats::SubscriptionPtr> left;
  {
    std::lock_guard lock(mu_);
    left.swap(left_);
  }
  for (auto& sub : left) sub->unsubscribe();
}

}  // namespace alcor::agent
