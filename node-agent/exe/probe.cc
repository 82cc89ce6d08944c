// Kubernetes exec probes: they talk to the running agent over its CNI socket.

#include <grpcpp/grpcpp.h>

#include <iostream>

#include "cni/v1/cni.grpc.pb.h"
#include "node-agent/exe/agent.h"

namespace alcor::agent {

int runProbe(const std::string& which, const std::string& cni_socket) {
  if (which != "live" && which != "ready") {
    std::cerr << "--probe must be live or ready\n";
    return 2;
  }
  auto channel = grpc::CreateChannel("unix://" + cni_socket, grpc::InsecureChannelCredentials());
  if (which == "live") {
    bool up = channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(3));
    if (!up) std::cerr << "alcor-agent does not answer on " << cni_socket << "\n";
    return up ? 0 : 1;
  }
  auto stub = cni::v1::Cni::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  cni::v1::CniCmdRequest request;
  request.mutable_cni_args()->set_network_configuration(
      R"({"cniVersion":"1.1.0","name":"alcor","type":"alcor-cni"})");
  cni::v1::CniCmdResponse response;
  grpc::Status st = stub->CmdStatus(&ctx, request, &response);
  if (!st.ok()) {
    std::cerr << "alcor-agent unreachable: " << st.error_message() << "\n";
    return 1;
  }
  if (response.has_error() && response.error().code() != 0) {
    std::cerr << "not ready: " << response.error().message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace alcor::agent
