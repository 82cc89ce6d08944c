#pragma once

// The controller's GoalStateProvisioner server: RequestGoalStates (on-demand, agent ->
// controller). With mutual TLS the host is the registered node its client certificate names
// (anything else: PERMISSION_DENIED); in plaintext (--insecure) it is the gRPC peer IP, as
// Alcor's NCM does. A host learns only about VPCs it has ports in. The neighbor states a request
// needs go through the GoalStateSink like every other push (the host's order, one push in
// flight, acknowledgement), served before other hosts; the reply waits for their delivery and
// says SUCCESS (routable and delivered) or FAILURE (not routable, or not delivered in time). The
// DPM remembers what the host learned, so the port's later updates and delete reach it. Pushes
// towards the controller answer UNIMPLEMENTED.

#include <chrono>

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "controller/dpm/goalstate_sink.h"
#include "controller/service/controller_services.h"

namespace alcor::controller {

class OnDemandService final : public schema::GoalStateProvisioner::Service {
 public:
  // `controller_name` non-empty: peers are identified by certificate, and no node may use it.
  // `delivery_timeout`: how long a reply waits for its states to be delivered.
  OnDemandService(ControllerServices& services, GoalStateSink& sink,
                  std::chrono::milliseconds delivery_timeout, std::string controller_name = "")
      : services_(services),
        sink_(sink),
        delivery_timeout_(delivery_timeout),
        controller_name_(std::move(controller_name)) {}

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

  ControllerServices& services_;
  GoalStateSink& sink_;
  const std::chrono::milliseconds delivery_timeout_;
  const std::string controller_name_;
};

// "ipv4:10.0.0.2:5000" -> "10.0.0.2" (also ipv6-mapped IPv4); empty when not IPv4.
std::string peerIpv4(const std::string& peer);

}  // namespace alcor::controller
