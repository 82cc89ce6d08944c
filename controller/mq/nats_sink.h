#pragma once

// The GoalStateSink of the NATS southbound path (docs/controller.md, "Southbound over NATS").
// L2 neighbor states queued for several hosts of a subnet are published once on the subnet's
// subject (alcor.gs.subnet.<vpc>.<subnet>) for the hosts that are members of it; everything
// else, and the copies for the other hosts, goes to the PushScheduler, whose pusher is the
// NatsGoalStatePusher (request/reply on each host's subject).
//
// A host is a member of a subnet subject while the DPM has a port of the host in the subnet
// (MembershipCheck, asked during enqueue, which the DPM calls with its lock held) and its
// agent said it subscribed (the notices on alcor.gs.agent.<host>). Each subnet message has the
// controller's epoch and the subject's sequence number; before the first message that counts
// a host, the host gets a baseline on its own subject. Neighbor states carry the DPM's
// revision, so an agent receiving a neighbor by both paths keeps the newest.
//
// With `auto_path` (--southbound=auto) the unicast side is the scheduler's gRPC pusher and only
// the subnets of VPCs a VpcPathSelector put on NATS (by their port counts, which the DPM gives
// through vpcPortsChanged) are multicast; the states of the others stay on the hosts' queues.

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "controller/dpm/push_scheduler.h"
#include "controller/mq/path_selector.h"
#include "lib/nats/message_bus.h"

namespace alcor::controller {

struct NatsSinkOptions {
  std::string epoch;         // random per controller start
  size_t multicast_min = 2;  // member hosts a state needs to be multicast
  size_t max_neighbors_per_message = 1000;
  // --southbound=auto: per-VPC path by these thresholds, unicast over the scheduler's own
  // pusher (gRPC). None (--southbound=mq): every VPC multicast, unicast on the bus.
  std::optional<AutoThresholds> auto_path;
};

struct MulticastStats {
  uint64_t messages = 0;  // published on subnet subjects
  uint64_t bytes = 0;
  uint64_t states = 0;       // resource states in them (neighbors and their context)
  uint64_t host_copies = 0;  // (state, host) deliveries they stand for
  uint64_t baselines = 0;
  uint64_t publish_failures = 0;  // fell back to unicast
  uint64_t members = 0;           // (host, subject) memberships the agents confirmed
  bool auto_path = false;         // --southbound=auto: the two below mean something
  uint64_t vpcs_on_mq = 0;        // VPCs whose subnets are multicast now
  uint64_t path_switches = 0;     // VPCs moved either way
};

// Prometheus text of the multicast counters (alcor_mq_*), appended to /metrics.
std::string renderMulticastMetrics(const MulticastStats& stats);

class NatsGoalStateSink : public GoalStateSink {
 public:
  using MembershipCheck =
      std::function<bool(const std::string& host_ip, const std::string& subnet_id)>;

  NatsGoalStateSink(nats::MessageBus& bus, PushScheduler& unicast, NatsSinkOptions options);
  ~NatsGoalStateSink() override;
  NatsGoalStateSink(const NatsGoalStateSink&) = delete;
  NatsGoalStateSink& operator=(const NatsGoalStateSink&) = delete;

  // Set before start().
  void setMembershipCheck(MembershipCheck check) { member_ = std::move(check); }
  // Subscribes to the agents' notices.
  Status start();
  void stop();

  void setAddress(const std::string& host_ip, const std::string& address) override;
  void forget(const std::string& host_ip) override;
  void enqueue(HostStates states) override;
  void requestResync(const std::string& host_ip) override;
  std::future<Status> enqueueNow(const std::string& host_ip, std::vector<StatePtr> states) override;
  // auto: the VPC's path follows its port count (logged when it switches).
  void vpcPortsChanged(const std::string& vpc_id, size_t ports) override;
  // Whether the VPC's subnets are multicast now (always with --southbound=mq).
  bool multicastVpc(const std::string& vpc_id) const;

  // An agent's notice ("subscribed <subject>" / "unsubscribed <subject>"); the host comes
  // from the notice subject, which only that agent may publish on.
  void onAgentNotice(const nats::Message& message);
  MulticastStats stats() const;
  const std::string& epoch() const { return options_.epoch; }

 private:
  // The subnet subjects a state may go to (L2 neighbors only; deletes: where it went before).
  std::vector<std::string> subjectsOf(const EncodedState& s) const;
  bool memberLocked(const std::string& host_ip, const std::string& subject);
  bool multicastVpcLocked(const std::string& vpc_id) const;
  void forgetMemberships(const std::string& host_ip);
  // Publishes `states` on `subject` (baselines first for hosts counted for the first time).
  // False when publishing failed: the caller delivers them by unicast.
  bool publishLocked(const std::string& subject, const std::vector<StatePtr>& states,
                     const std::set<std::string>& hosts);

  nats::MessageBus& bus_;
  PushScheduler& unicast_;
  NatsSinkOptions options_;
  MembershipCheck member_;
  nats::SubscriptionPtr notices_;

  mutable std::mutex mu_;
  std::map<std::string, std::set<std::string>> confirmed_;  // host -> subjects subscribed
  std::set<std::pair<std::string, std::string>> counted_;   // (host, subject) baselined
  std::map<std::string, uint64_t> seq_;                     // subject -> last number
  std::map<std::string, std::string> subject_of_key_;       // "L2/<port>" -> its subject
  MulticastStats stats_;
  std::optional<VpcPathSelector> selector_;  // auto
};

}  // namespace alcor::controller
