#pragma once

// The controller's GoalStateProvisioner server: RequestGoalStates (on-demand, agent ->
// controller). With mutual TLS the host is the registered node its client certificate names
// (anything else: PERMISSION_DENIED); in plaintext (--insecure) it is the gRPC peer IP, as
// Alcor's NCM does. A host learns only about VPCs it has ports in. For each request the needed
// neighbor state is pushed to that host first, then the reply says SUCCESS (routable) or
// FAILURE (not routable). Pushes towards the controller answer UNIMPLEMENTED.

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "controller/dpm/goalstate_pusher.h"
#include "controller/service/network_service.h"

namespace alcor::controller {

class OnDemandService final : public schema::GoalStateProvisioner::Service {
 public:
  // `controller_name` non-empty: peers are identified by certificate, and no node may use it.
  OnDemandService(NetworkService& service, GoalStatePusher& pusher,
                  std::string controller_name = "")
      : service_(service), pusher_(pusher), controller_name_(std::move(controller_name)) {}

  grpc::Status RequestGoalStates(grpc::ServerContext* context, const schema::HostRequest* request,
                                 schema::HostRequestReply* reply) override;
  grpc::Status PushNetworkResourceStates(grpc::ServerContext*, const schema::GoalState*,
                                         schema::GoalStateOperationReply*) override;
  grpc::Status PushGoalStatesStream(
      grpc::ServerContext*,
      grpc::ServerReaderWriter<schema::GoalStateOperationReply, schema::GoalStateV2>*) override;

 private:
  // The node IP of the caller, or empty.
  std::string hostOf(grpc::ServerContext& context) const;

  NetworkService& service_;
  GoalStatePusher& pusher_;
  const std::string controller_name_;
};

// "ipv4:10.0.0.2:5000" -> "10.0.0.2" (also ipv6-mapped IPv4); empty when not IPv4.
std::string peerIpv4(const std::string& peer);

}  // namespace alcor::controller
