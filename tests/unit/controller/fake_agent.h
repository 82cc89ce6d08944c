#pragma once

// A fake alcor-agent for controller tests and benchmarks: a real gRPC GoalStateProvisioner
// server on ip:port that records every GoalState it receives and answers SUCCESS (or a chosen
// status) for each resource, as the agent does.

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "controller/dpm/goalstate_builder.h"

namespace alcor::controller::testing {

class FakeAgent final : public schema::GoalStateProvisioner::Service {
 public:
  // Called for every message (benchmarks timestamp ports here).
  using Observer = std::function<void(const schema::GoalStateV2&)>;

  ~FakeAgent() override { stop(); }

  // port 0: any free port.
  bool start(const std::string& ip, int port = 0) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort(ip + ":" + std::to_string(port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.SetMaxReceiveMessageSize(-1);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
    ip_ = ip;
    return server_ && port_ > 0;
  }
  void stop() {
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
    server_.reset();
  }
  int port() const { return port_; }
  const std::string& ip() const { return ip_; }
  void setObserver(Observer o) { observer_ = std::move(o); }
  void setPortStatus(schema::OperationStatus s) { port_status_ = s; }

  std::vector<schema::GoalStateV2> messages() const {
    std::lock_guard lock(mu_);
    return messages_;
  }
  size_t messageCount() const {
    std::lock_guard lock(mu_);
    return messages_.size();
  }
  void clear() {
    std::lock_guard lock(mu_);
    messages_.clear();
  }
  // All messages merged, later states replacing earlier ones (what the agent would hold).
  schema::GoalStateV2 merged() const {
    std::lock_guard lock(mu_);
    schema::GoalStateV2 all;
    for (const auto& m : messages_) all.MergeFrom(m);
    return all;
  }

  // The alcor-epoch metadata of the v2 streams so far (--southbound=auto).
  std::set<std::string> epochs() const {
    std::lock_guard lock(mu_);
    return epochs_;
  }

  grpc::Status PushGoalStatesStream(
      grpc::ServerContext* context,
      grpc::ServerReaderWriter<schema::GoalStateOperationReply, schema::GoalStateV2>* stream)
      override {
    auto epoch = context->client_metadata().find("alcor-epoch");
    if (epoch != context->client_metadata().end()) {
      std::lock_guard lock(mu_);
      epochs_.emplace(epoch->second.data(), epoch->second.size());
    }
    schema::GoalStateV2 gs;
    while (stream->Read(&gs)) {
      if (!stream->Write(handle(gs))) break;
    }
    return grpc::Status::OK;
  }
  grpc::Status PushNetworkResourceStates(grpc::ServerContext*, const schema::GoalState* v1,
                                         schema::GoalStateOperationReply* reply) override {
    // Recorded as v2 maps keyed by id, so tests read both versions alike.
    schema::GoalStateV2 gs;
    gs.set_format_version(v1->format_version());
    for (const auto& s : v1->port_states()) (*gs.mutable_port_states())[s.configuration().id()] = s;
    for (const auto& s : v1->neighbor_states()) {
      (*gs.mutable_neighbor_states())[neighborKey(
          s.configuration().fixed_ips_size() ? s.configuration().fixed_ips(0).neighbor_type()
                                             : schema::L2,
          ResourceId::parse(s.configuration().id()).value())] = s;
    }
    for (const auto& s : v1->subnet_states())
      (*gs.mutable_subnet_states())[s.configuration().id()] = s;
    for (const auto& s : v1->vpc_states()) (*gs.mutable_vpc_states())[s.configuration().id()] = s;
    for (const auto& s : v1->dhcp_states()) (*gs.mutable_dhcp_states())[s.configuration().id()] = s;
    *reply = handle(gs);
    return grpc::Status::OK;
  }

 private:
  schema::GoalStateOperationReply handle(const schema::GoalStateV2& gs) {
    schema::GoalStateOperationReply reply;
    reply.set_format_version(gs.format_version());
    auto add = [&](schema::ResourceType type, const auto& map) {
      for (const auto& [key, st] : map) {
        auto* s = reply.add_operation_statuses();
        s->set_resource_id(key);
        s->set_resource_type(type);
        s->set_operation_type(st.operation_type());
        s->set_operation_status(type == schema::PORT ? port_status_ : schema::SUCCESS);
      }
    };
    add(schema::VPC, gs.vpc_states());
    add(schema::SUBNET, gs.subnet_states());
    add(schema::PORT, gs.port_states());
    add(schema::NEIGHBOR, gs.neighbor_states());
    add(schema::DHCP, gs.dhcp_states());
    add(schema::SECURITYGROUP, gs.security_group_states());
    add(schema::ROUTER, gs.router_states());
    add(schema::GATEWAY, gs.gateway_states());
    if (observer_) observer_(gs);
    std::lock_guard lock(mu_);
    messages_.push_back(gs);
    return reply;
  }

  std::unique_ptr<grpc::Server> server_;
  std::string ip_;
  int port_ = 0;
  Observer observer_;
  schema::OperationStatus port_status_ = schema::SUCCESS;
  mutable std::mutex mu_;
  std::vector<schema::GoalStateV2> messages_;
  std::set<std::string> epochs_;
};

}  // namespace alcor::controller::testing
