#pragma once

// The controller's certificate authority (docs/security.md, "Certificates"). It holds the CA
// key, so it is the only component that can mint identities:
//   - node certificates, issued over REST to a caller allowed to act for that node, naming
//     exactly the node (whatever the request asked);
//   - its own certificate (REST and gRPC, server and client), naming the controller, renewed
//     before it expires.
// The CA comes from --ca-cert/--ca-key, or is created in --pki-dir on first start.

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lib/security/cert_renewal.h"
#include "lib/security/x509.h"

namespace alcor::controller {

struct PkiOptions {
  std::string dir = "/var/lib/alcor/pki";  // generated CA, the controller's own key and cert
  std::string ca_cert;                     // empty: <dir>/ca.crt (created with ca_key if absent)
  std::string ca_key;
  std::string name = "alcor-controller";  // the controller's identity (a DNS name)
  std::vector<std::string> extra_names;   // more DNS names or IP addresses of its certificate
  std::chrono::seconds validity{86400};   // of the certificates it issues
};

class CertificateIssuer {
 public:
  static StatusOr<std::unique_ptr<CertificateIssuer>> open(PkiOptions options);

  const std::string& caPem() const { return ca_.certificatePem(); }
  std::string caPath() const { return ca_path_; }
  security::CertificateSlot ownSlot() const;

  // A certificate for `node_name` for the key of `csr_pem`.
  StatusOr<std::string> issueNodeCertificate(const std::string& node_name,
                                             std::string_view csr_pem) const;
  // Signs a request for the controller's own certificate.
  StatusOr<std::string> issueOwnCertificate(std::string_view csr_pem) const;

 private:
  CertificateIssuer(PkiOptions options, security::CertificateAuthority ca, std::string ca_path)
      : options_(std::move(options)), ca_(std::move(ca)), ca_path_(std::move(ca_path)) {}
  PkiOptions options_;
  security::CertificateAuthority ca_;
  std::string ca_path_;
};

}  // namespace alcor::controller
