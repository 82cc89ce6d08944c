// goalstate_push: an attacker's (or a test's) GoalState push to an agent, for the security
// tests. Pushes one GoalStateV2 deleting --delete-port (or an empty one) to --target, in
// plaintext or with whatever TLS material it is given, and says whether the agent took it.
//
//   goalstate_push --target=10.200.0.11:50001 --plaintext --delete-port=ID
//   goalstate_push --target=... --ca=ca.crt [--cert=c.crt --key=c.key] --server-name=node-1 ...
//
// Exit 0: the agent answered the push; 1: refused or unreachable (the reason on stderr).

#include <grpcpp/grpcpp.h>

#include <iostream>

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "lib/base/flags.h"
#include "lib/security/files.h"

int main(int argc, char** argv) {
  using namespace alcor;
  std::string target, ca, cert, key, server_name, delete_port;
  bool plaintext = false;
  int64_t timeout_ms = 5000;
  FlagSet flags("goalstate_push", "push a GoalState to an agent (security tests)");
  flags.addString("target", &target, "agent address HOST:PORT");
  flags.addBool("plaintext", &plaintext, "no TLS");
  flags.addString("ca", &ca, "CA bundle to verify the agent with");
  flags.addString("cert", &cert, "client certificate (PEM)");
  flags.addString("key", &key, "its private key");
  flags.addString("server-name", &server_name, "name the agent's certificate must carry");
  flags.addString("delete-port", &delete_port, "port id to delete");
  flags.addInt("timeout-ms", &timeout_ms, "deadline of the push");
  if (Status st = flags.parse(argc, argv); !st.ok() || target.empty()) {
    std::cerr << "goalstate_push: " << (st.ok() ? "--target is required" : st.message()) << "\n";
    return 2;
  }
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  if (!plaintext) {
    grpc::SslCredentialsOptions ssl;
    auto read = [](const std::string& path) {
      return path.empty() ? std::string() : security::readTextFile(path).valueOr("");
    };
    ssl.pem_root_certs = read(ca);
    ssl.pem_cert_chain = read(cert);
    ssl.pem_private_key = read(key);
    creds = grpc::SslCredentials(ssl);
  }
  grpc::ChannelArguments args;
  if (!server_name.empty()) args.SetSslTargetNameOverride(server_name);
  auto stub = schema::GoalStateProvisioner::NewStub(grpc::CreateCustomChannel(target, creds, args));

  schema::GoalStateV2 gs;
  gs.set_format_version(2);
  if (!delete_port.empty()) {
    schema::PortState st;
    st.set_operation_type(schema::DELETE);
    st.mutable_configuration()->set_id(delete_port);
    (*gs.mutable_port_states())[delete_port] = st;
  }
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(timeout_ms));
  auto stream = stub->PushGoalStatesStream(&ctx);
  schema::GoalStateOperationReply reply;
  bool written = stream->Write(gs);
  if (written) stream->WritesDone();
  bool got = written && stream->Read(&reply);
  grpc::Status status = stream->Finish();
  if (!status.ok() || !got) {
    std::cerr << "refused: " << status.error_code() << " " << status.error_message() << "\n";
    return 1;
  }
  std::cout << "accepted: " << reply.operation_statuses_size() << " statuses\n";
  return 0;
}
