#include "node-agent/goalstate/goalstate_server.h"

#include "lib/base/logging.h"
#include "lib/security/grpc_tls.h"
#include "lib/southbound/subjects.h"

namespace alcor::agent {

namespace {
size_t resourceCount(const schema::GoalState& g) {
  return static_cast<size_t>(g.vpc_states_size() + g.subnet_states_size() + g.port_states_size() +
                             g.neighbor_states_size() + g.security_group_states_size() +
                             g.dhcp_states_size() + g.router_states_size() +
                             g.gateway_states_size());
}
size_t resourceCount(const schema::GoalStateV2& g) {
  return g.vpc_states_size() + g.subnet_states_size() + g.port_states_size() +
         g.neighbor_states_size() + g.security_group_states_size() + g.dhcp_states_size() +
         g.router_states_size() + g.gateway_states_size();
}
}  // namespace

grpc::Status GoalStateService::admit(const grpc::ServerContext& context, std::string* who) {
  security::PeerIdentity peer = security::peerIdentity(context);
  *who = peer.describe();
  if (controller_name_.empty() || peer.hasName(controller_name_)) return grpc::Status::OK;
  ++refused_;
  ALOG(Warn, GoalState) << "GoalState push REFUSED from " << *who << ": only " << controller_name_
                        << " may push";
  return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                      "only " + controller_name_ + " may push GoalStates");
}

grpc::Status GoalStateService::PushNetworkResourceStates(grpc::ServerContext* context,
                                                         const schema::GoalState* request,
                                                         schema::GoalStateOperationReply* reply) {
  std::string who;
  if (grpc::Status st = admit(*context, &who); !st.ok()) return st;
  ALOG(Info, GoalState) << "GoalState v1 push from " << who << ": " << resourceCount(*request)
                        << " resources";
  *reply = handler_.handle(*request);
  ++messages_;
  return grpc::Status::OK;
}

grpc::Status GoalStateService::PushGoalStatesStream(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<schema::GoalStateOperationReply, schema::GoalStateV2>* stream) {
  std::string who;
  if (grpc::Status st = admit(*context, &who); !st.ok()) return st;
  ALOG(Debug, GoalState) << "v2 stream opened by " << who;
  std::string epoch;
  const auto& metadata = context->client_metadata();
  if (auto it = metadata.find(southbound::kEpochMetadata); it != metadata.end()) {
    epoch.assign(it->second.data(), it->second.size());
  }
  schema::GoalStateV2 message;
  uint64_t count = 0;
  while (stream->Read(&message)) {
    ALOG(Info, GoalState) << "GoalState push from " << who << ": " << resourceCount(message)
                          << " resources";
    schema::GoalStateOperationReply reply =
        v2_apply_ ? v2_apply_(std::move(message), epoch) : handler_.handle(message);
    ++messages_;
    ++count;
    if (!stream->Write(reply)) {
      ALOG(Warn, GoalState) << "v2 stream from " << context->peer()
                            << " closed before the reply to message " << count;
      break;
    }
  }
  ALOG(Debug, GoalState) << "v2 stream from " << context->peer() << " ended after " << count
                         << " messages" << (context->IsCancelled() ? " (cancelled)" : "");
  return grpc::Status::OK;
}

grpc::Status GoalStateService::RequestGoalStates(grpc::ServerContext*, const schema::HostRequest*,
                                                 schema::HostRequestReply*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      "RequestGoalStates is served by the controller, not the agent");
}

grpc::Status GoalStateService::PushGoalstates(grpc::ServerContext*,
                                              const schema::NeighborRulesRequest*,
                                              schema::GoalStateOperationReply*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "PushGoalstates is for Arion gateways");
}

}  // namespace alcor::agent
