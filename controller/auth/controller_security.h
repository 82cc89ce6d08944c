#pragma once

// The controller's side of docs/security.md in one place: its certificate authority and own
// certificate (renewed in the background), the REST API's HTTPS and bearer tokens, the mutual
// TLS credentials of its gRPC server and of its pushes to agents, and the CA published for
// agents in a ConfigMap. --insecure turns transport security off, loudly.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <thread>

#include "controller/auth/certificate_issuer.h"
#include "controller/rest/rest_auth.h"
#include "lib/base/flags.h"
#include "lib/security/cert_renewal.h"
#include "lib/security/grpc_tls.h"

namespace alcor::controller {

struct ControllerSecurityConfig {
  bool insecure = false;  // plaintext REST and gRPC; REST open unless a token source is set
  std::string tls_cert;   // own certificate and key (else issued by the CA into --pki-dir)
  std::string tls_key;
  std::string tls_ca;  // CA bundle agents' certificates must chain to (default: the CA's)
  std::string tls_name = "alcor-controller";
  std::string tls_san;  // comma-separated extra DNS names / IPs of the issued own certificate
  std::string pki_dir = "/var/lib/alcor/pki";
  std::string ca_cert;  // issuing CA (else created in --pki-dir unless --tls-cert is given)
  std::string ca_key;
  int64_t cert_validity_s = 86400;
  std::string token_file;
  bool token_review = false;
  std::string token_audience = "alcor-controller";
  std::string kube_api_server;  // default: in-cluster
  std::string kube_token_file;
  std::string kube_ca_file;
  std::string admin_users;
  std::string admin_groups = "alcor:admins";
  std::string agent_service_account = "system:serviceaccount:alcor-system:alcor-agent";
  std::string publish_ca;  // "namespace/name" of a ConfigMap that gets the CA as ca.crt
};

void addControllerSecurityFlags(FlagSet& flags, ControllerSecurityConfig* config);

class ControllerSecurity {
 public:
  static StatusOr<std::unique_ptr<ControllerSecurity>> start(const ControllerSecurityConfig& c);
  ~ControllerSecurity();

  bool tls() const { return !files_.cert.empty(); }
  RestSecurity restSecurity() const;
  std::shared_ptr<grpc::ServerCredentials> serverCredentials() const;
  std::shared_ptr<grpc::ChannelCredentials> channelCredentials() const;
  // The controller's identity; empty without TLS.
  std::string name() const { return tls() ? config_.tls_name : ""; }
  void stop();

 private:
  explicit ControllerSecurity(ControllerSecurityConfig c) : config_(std::move(c)) {}
  Status startTls();
  Status startAuthentication();
  void publishCa();

  ControllerSecurityConfig config_;
  std::unique_ptr<CertificateIssuer> issuer_;
  std::unique_ptr<security::CertificateRenewer> renewer_;
  std::shared_ptr<security::Authenticator> authenticator_;
  AccessConfig access_;
  security::TlsFiles files_;
  std::thread publisher_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace alcor::controller
