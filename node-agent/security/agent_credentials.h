#pragma once

// The agent's TLS material (docs/security.md, "Certificates"):
//   - the CA its peers must chain to: --tls-ca, or the ConfigMap --controller-ca-configmap read
//     through the Kubernetes API (itself verified with the service account CA) into
//     <state-dir>/pki/ca.crt, and read again every few minutes;
//   - its node certificate: --tls-cert/--tls-key, or a key made once in <state-dir>/pki/node.key
//     and a certificate naming the node issued by the controller (POST /certificates with the
//     node's token) into node.crt, renewed at two thirds of its lifetime.
// The gRPC credentials and the REST client read these files, so renewals need no restart.

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "lib/security/cert_renewal.h"
#include "lib/security/grpc_tls.h"
#include "node-agent/config/agent_config.h"
#include "node-agent/controller_client/controller_client.h"

namespace alcor::agent {

class AgentCredentials {
 public:
  explicit AgentCredentials(const AgentConfig& config);
  ~AgentCredentials();

  security::TlsFiles files() const { return files_; }
  // Gets the CA and a current certificate in place (one attempt); the first success starts
  // the renewal thread. kUnavailable while the controller or the API cannot be reached.
  Status ensure(ControllerClient& controller);
  void stop();

 private:
  Status ensureCa();
  std::string caPem();  // for the renewer: the CA, fetched again every few minutes

  const AgentConfig& config_;
  security::TlsFiles files_;
  std::mutex mu_;
  std::chrono::steady_clock::time_point ca_fetched_;
  std::unique_ptr<security::CertificateRenewer> renewer_;
};

}  // namespace alcor::agent
