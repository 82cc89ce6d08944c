#pragma once

// Alcor's GoalState subjects on NATS, shared by the controller and the agent (docs/controller.md,
// "Southbound over NATS"): per-host unicast subjects, per-subnet multicast subjects, the agents'
// notice subjects, the envelope headers, and the permissions each side needs.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace alcor::southbound {

// Headers of the messages.
inline constexpr const char* kEpochHeader = "Alcor-Epoch";      // random per controller start
inline constexpr const char* kSeqHeader = "Alcor-Seq";          // per subnet subject: 1, 2, 3...
inline constexpr const char* kKindHeader = "Alcor-Kind";        // absent: GoalStateV2 bytes
inline constexpr const char* kBaselineKind = "baseline";        // on a host subject, see below
inline constexpr const char* kSubjectHeader = "Alcor-Subject";  // the subject a baseline is for
// The epoch on the gRPC path (--southbound=auto): metadata of every PushGoalStatesStream.
inline constexpr const char* kEpochMetadata = "alcor-epoch";

// Agent -> controller notices (message data on the agent's subject): "subscribed <subject>",
// "unsubscribed <subject>".
inline constexpr const char* kSubscribedNotice = "subscribed";
inline constexpr const char* kUnsubscribedNotice = "unsubscribed";

// "10.0.0.1" -> "10-0-0-1" (a subject token: no dots).
std::string hostToken(std::string_view host_ip);
// "alcor.gs.host.10-0-0-1".
std::string hostSubject(std::string_view host_ip);
// "alcor.gs.agent.10-0-0-1".
std::string agentSubject(std::string_view host_ip);
// "alcor.gs.subnet.<vpc>.<subnet>"; empty when an id cannot be one subject token.
std::string subnetSubject(std::string_view vpc_id, std::string_view subnet_id);
// The VPC and subnet of a subnet subject (subnetSubject's inverse); nullopt if `subject` is none.
struct SubnetOfSubject {
  std::string vpc, subnet;
};
std::optional<SubnetOfSubject> parseSubnetSubject(std::string_view subject);
// The host IP of an agent subject ("" if `subject` is none).
std::string hostOfAgentSubject(std::string_view subject);
inline constexpr const char* kAllAgentSubjects = "alcor.gs.agent.*";
inline constexpr const char* kAllSubnetSubjects = "alcor.gs.subnet.>";

// Whether `id` can be a subject token: non-empty, letters, digits, '-' and '_' only.
bool subjectToken(std::string_view id);

struct Permissions {
  std::vector<std::string> publish;
  std::vector<std::string> subscribe;
  bool allow_responses = false;  // may answer the requests it receives (once each)
};
// An agent reads its own host subject and the subnet subjects, answers the requests it gets,
// and speaks only on its own notice subject.
Permissions agentPermissions(std::string_view host_ip);
// The controller publishes GoalStates and reads every agent's notices and replies.
Permissions controllerPermissions();

}  // namespace alcor::southbound
