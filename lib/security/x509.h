#pragma once

// X.509 for the control channels (docs/security.md), on OpenSSL's libcrypto: reading
// certificates and certificate requests, making keys and requests on the agent, and a small
// certificate authority on the controller that issues node certificates. Identities are DNS
// names in the subjectAltName; an issued certificate carries exactly the names the issuer
// chose, whatever the request asked for (a request only proves possession of its key).

#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

namespace alcor::security {

using Clock = std::chrono::system_clock;

struct CertificateInfo {
  std::string common_name;
  std::vector<std::string> dns_names;     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses;  // subjectAltName IP entries (IPv4/IPv6 text)
  std::string serial;                     // upper-case hex
  Clock::time_point not_before;
  Clock::time_point not_after;
  bool is_ca = false;

  bool hasDnsName(std::string_view name) const;
};

// The first certificate of a PEM text.
StatusOr<CertificateInfo> parseCertificate(std::string_view pem);

struct CsrInfo {
  std::string common_name;  // informational only
};
// A PEM certificate request whose self-signature verifies.
StatusOr<CsrInfo> parseCsr(std::string_view pem);

// A new EC P-256 private key, PKCS#8 PEM.
StatusOr<std::string> generatePrivateKey();
// A certificate request for `common_name` signed with `key_pem`.
StatusOr<std::string> makeCsr(std::string_view key_pem, const std::string& common_name);
// OK when the certificate's public key belongs to the private key.
Status checkKeyMatchesCertificate(std::string_view key_pem, std::string_view cert_pem);

// OK when `cert_pem` is signed by the key of `ca_pem` and names it as its issuer.
Status checkIssuedBy(std::string_view cert_pem, std::string_view ca_pem);

// A DNS name usable as an identity: 1..253 characters of [a-z0-9.-] (lower case), labels of
// 1..63 characters that neither start nor end with '-'. Kubernetes node names are such names.
bool isValidDnsName(std::string_view name);

struct IssueOptions {
  std::string common_name;
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::chrono::seconds validity{86400};
};

class CertificateAuthority {
 public:
  // From a PEM CA certificate and its private key (the pair must match and be a CA).
  static StatusOr<CertificateAuthority> load(std::string_view cert_pem, std::string_view key_pem);
  // A new self-signed CA with a new key.
  static StatusOr<CertificateAuthority> create(const std::string& common_name,
                                               std::chrono::seconds validity);

  // A leaf certificate (server and client authentication) for the public key of `csr_pem`,
  // whose signature must verify, naming exactly `options`' names. notBefore is back-dated a
  // little (a quarter of the validity, at most 5 minutes) for clock skew between nodes.
  StatusOr<std::string> issue(std::string_view csr_pem, const IssueOptions& options) const;

  const std::string& certificatePem() const { return cert_pem_; }
  const std::string& keyPem() const { return key_pem_; }

 private:
  CertificateAuthority(std::string cert_pem, std::string key_pem)
      : cert_pem_(std::move(cert_pem)), key_pem_(std::move(key_pem)) {}
  std::string cert_pem_;
  std::string key_pem_;
};

// When a certificate valid from `not_before` to `not_after` should be replaced: once two thirds
// of its lifetime have passed.
Clock::time_point renewalTime(Clock::time_point not_before, Clock::time_point not_after);

}  // namespace alcor::security
