#pragma once

// The controller's GoalStateProvisioner server: RequestGoalStates (on-demand, agent ->
// controller). The host is identified by the gRPC peer IP, as Alcor's NCM does. For each
// request the needed neighbor state is pushed to that host first, then the reply says SUCCESS
// (routable) or FAILURE (not routable). Pushes towards the controller answer UNIMPLEMENTED.

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "controller/dpm/goalstate_pusher.h"
#include "controller/service/network_service.h"

namespace alcor::controller {

class OnDemandService final : public schema::GoalStateProvisioner::Service {
 public:
  OnDemandService(NetworkService& service, GoalStatePusher& pusher)
      : service_(service), pusher_(pusher) {}

  grpc::Status RequestGoalStates(grpc::ServerContext* context, const schema::HostRequest* request,
                                 schema::HostRequestReply* reply) override;
  grpc::Status PushNetworkResourceStates(grpc::ServerContext*, const schema::GoalState*,
                                         schema::GoalStateOperationReply*) override;
  grpc::Status PushGoalStatesStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<schema::GoalStateOperationReply, schema::GoalStateV2>*) override;

 private:
  NetworkService& service_;
  GoalStatePusher& pusher_;
};

// "ipv4:10.0.0.2:5000" -> "10.0.0.2" (also ipv6-mapped IPv4); empty when not IPv4.
std::string peerIpv4(const std::string& peer);

}  // namespace alcor::controller
