#pragma once

// The agent's side of the NATS southbound path (docs/controller.md, "Southbound over NATS").
// - Its host subject (alcor.gs.host.<node>): GoalStateV2 requests, applied by the same handler
//   as the gRPC server's and answered with the GoalStateOperationReply (ports turn ACTIVE,
//   failures are reported); and baselines of subnet subjects.
// - The subject of every subnet it has a port in (alcor.gs.subnet.<vpc>.<subnet>): subscribed
//   when it applies its first port there, unsubscribed when its last one goes; each change is
//   told to the controller on alcor.gs.agent.<node>. When it leaves a subnet it deletes the L2
//   neighbors of that subnet (those a late multicast may have added after the controller's
//   deletes).
// - Gap detection: a subnet message that is not the next of its subject (SequenceTracker)
//   makes the agent ask for its full state (RequestGoalStates, AGENT_RESTARTED).
// - A neighbor reaching the agent by both paths: a unicast copy older (revision_number) than
//   what a subnet message brought is dropped, and so is a subnet copy not newer than the last
//   copy applied from either path (with --southbound=auto the unicast path is another
//   connection, gRPC, and a late subnet message could otherwise undo a newer unicast copy).
// - With --southbound=auto the controller's unicast messages come over gRPC: the GoalState
//   server passes them through applyUnicast, so ports still drive the subscriptions.
// Every subscription is delivered on one thread, in arrival order: the bus must be a
// NatsConnection with ordered_delivery (the handlers of one subscription unsubscribe another).

#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "alcor/goalstate.pb.h"
#include "alcor/goalstateprovisioner.pb.h"
#include "lib/nats/message_bus.h"
#include "lib/southbound/sequence_tracker.h"

namespace alcor::agent {

struct NatsSubscriberStats {
  uint64_t unicast_messages = 0;
  uint64_t multicast_messages = 0;
  uint64_t baselines = 0;
  uint64_t gaps = 0;
  uint64_t reconnects = 0;  // bus reconnections (each asks for the full state when subscribed)
  uint64_t resync_requests = 0;
  uint64_t stale_neighbors = 0;  // older copies dropped
  uint64_t subjects = 0;         // subnet subjects subscribed now
};

class NatsGoalStateSubscriber {
 public:
  // Applies one message (GoalStateHandler::handle).
  using Apply = std::function<schema::GoalStateOperationReply(const schema::GoalStateV2&)>;
  // Asks the controller for the full state; false when it could not be asked.
  using RequestResync = std::function<Status()>;

  NatsGoalStateSubscriber(nats::MessageBus& bus, std::string node_ip, Apply apply,
                          RequestResync resync);
  ~NatsGoalStateSubscriber();
  NatsGoalStateSubscriber(const NatsGoalStateSubscriber&) = delete;
  NatsGoalStateSubscriber& operator=(const NatsGoalStateSubscriber&) = delete;

  // Subscribes to the host subject.
  Status start();
  void stop();

  // A unicast message that came another way (the gRPC server, --southbound=auto), with the
  // controller's epoch from its metadata (empty: unknown): handled like one on the host subject.
  schema::GoalStateOperationReply applyUnicast(schema::GoalStateV2 gs, const std::string& epoch);

  std::set<std::string> subjects() const;
  NatsSubscriberStats stats() const;

 private:
  void onHostMessage(const nats::Message& m);
  void onHostMessageLocked(const nats::Message& m);
  void onSubnetMessage(const nats::Message& m);
  schema::GoalStateOperationReply applyUnicastLocked(schema::GoalStateV2& gs);
  // Drops stale neighbor copies; remembers the revision of each copy applied.
  void filterNeighborsLocked(schema::GoalStateV2& gs, const std::string& from_subject);
  void rememberRevisionLocked(const std::string& key, uint32_t revision, bool multicast,
                              bool deleted);
  // Follows the ports applied (or deleted) by `gs`: subscribes and unsubscribes.
  void followPortsLocked(const schema::GoalStateV2& gs,
                         const schema::GoalStateOperationReply& reply);
  void leaveSubjectLocked(const std::string& subject);
  // Unsubscribes what leaveSubjectLocked set aside. Never under mu_: unsubscribing waits for a
  // subnet handler in progress on the delivery thread, which may be waiting for mu_.
  void closeLeftSubscriptions();
  void notice(const char* verb, const std::string& subject);
  void gapLocked(const std::string& subject);
  // After the bus reconnected: asks for the full state when subscribed to a subnet.
  void onReconnected();
  // Asks the controller for the full state and repeats the subscriptions.
  void resyncLocked();
  void newEpochLocked(const std::string& epoch);

  nats::MessageBus& bus_;
  const std::string node_ip_;
  Apply apply_;
  RequestResync resync_;

  mutable std::recursive_mutex mu_;
  nats::SubscriptionPtr host_sub_;
  std::map<std::string, nats::SubscriptionPtr> subnet_subs_;  // subject -> subscription
  std::vector<nats::SubscriptionPtr> left_;  // left subjects, to unsubscribe outside mu_
  // Own ports -> the subjects of their subnets.
  std::map<std::string, std::set<std::string>> port_subjects_;
  // L2 neighbor key -> the subjects of its subnets (to delete them when leaving).
  std::map<std::string, std::set<std::string>> neighbor_subjects_;
  // L2 neighbor key -> the revision of the last copy applied and whether a subnet message
  // brought it. Kept after a DELETE too (so a late older CREATE is dropped), for the last
  // kMaxDeleted deleted keys; all cleared when the last subject is left or the epoch changes.
  struct Revision {
    uint32_t revision = 0;
    bool multicast = false;
    bool deleted = false;
  };
  std::map<std::string, Revision> revisions_;
  std::deque<std::string> deleted_;  // keys whose last copy was a DELETE, oldest first
  static constexpr size_t kMaxDeleted = 65536;
  // Subnet id -> VPC id, from the SUBNET states seen.
  std::map<std::string, std::string> subnet_vpc_;
  southbound::SequenceTracker tracker_;
  std::string epoch_;
  NatsSubscriberStats stats_;
};

}  // namespace alcor::agent
