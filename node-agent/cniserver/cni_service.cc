#include "node-agent/cniserver/cni_service.h"

namespace alcor::agent {

grpc::Status CniService::serve(cni::Command command, const cni::v1::CniCmdRequest& request,
                               cni::v1::CniCmdResponse* response) {
  const auto& a = request.cni_args();
  CniRequest r{command,
               {std::string(cni::commandName(command)), a.container_id(), a.netns(), a.ifname(),
                a.args(), a.path()},
               a.network_configuration()};
  CniResponse out = manager_.handle(r);
  if (!out.ok()) {
    auto* e = response->mutable_error();
    e->set_code(static_cast<cni::v1::ErrorCode>(out.error.code));
    e->set_message(out.error.message);
    e->set_details(out.error.details);
  } else {
    response->set_cni_result(out.result);
  }
  return grpc::Status::OK;
}

grpc::Status CniService::CmdAdd(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                                cni::v1::CniCmdResponse* response) {
  return serve(cni::Command::kAdd, *request, response);
}
grpc::Status CniService::CmdDel(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                                cni::v1::CniCmdResponse* response) {
  return serve(cni::Command::kDel, *request, response);
}
grpc::Status CniService::CmdCheck(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                                  cni::v1::CniCmdResponse* response) {
  return serve(cni::Command::kCheck, *request, response);
}
grpc::Status CniService::CmdGc(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                               cni::v1::CniCmdResponse* response) {
  return serve(cni::Command::kGc, *request, response);
}
grpc::Status CniService::CmdStatus(grpc::ServerContext*, const cni::v1::CniCmdRequest* request,
                                   cni::v1::CniCmdResponse* response) {
  return serve(cni::Command::kStatus, *request, response);
}

}  // namespace alcor::agent
