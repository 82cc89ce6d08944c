#pragma once

// The gRPC face of the PodManager: alcor.cni.v1.Cni on the agent's unix socket.

#include "cni/v1/cni.grpc.pb.h"
#include "node-agent/cniserver/pod_manager.h"

namespace alcor::agent {

class CniService final : public cni::v1::Cni::Service {
 public:
  explicit CniService(PodManager& manager) : manager_(manager) {}

  grpc::Status CmdAdd(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                      cni::v1::CniCmdResponse* response) override;
  grpc::Status CmdDel(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                      cni::v1::CniCmdResponse* response) override;
  grpc::Status CmdCheck(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                        cni::v1::CniCmdResponse* response) override;
  grpc::Status CmdGc(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                     cni::v1::CniCmdResponse* response) override;
  grpc::Status CmdStatus(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                         cni::v1::CniCmdResponse* response) override;

 private:
  grpc::Status serve(cni::Command command, const cni::v1::CniCmdRequest& request,
                     cni::v1::CniCmdResponse* response);
  PodManager& manager_;
};

}  // namespace alcor::agent
