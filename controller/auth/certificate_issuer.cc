#include "controller/auth/certificate_issuer.h"

#include <arpa/inet.h>

#include "lib/base/logging.h"
#include "lib/security/files.h"

namespace alcor::controller {

namespace {
constexpr std::chrono::seconds kCaValidity{10LL * 365 * 86400};

bool isIpAddress(const std::string& text) {
  unsigned char buf[16];
  return inet_pton(AF_INET, text.c_str(), buf) == 1 || inet_pton(AF_INET6, text.c_str(), buf) == 1;
}
}  // namespace

StatusOr<std::unique_ptr<CertificateIssuer>> CertificateIssuer::open(PkiOptions o) {
  if (!security::isValidDnsName(o.name)) {
    return invalidArgumentError("--tls-name " + o.name + " is not a DNS name");
  }
  for (const auto& n : o.extra_names) {
    if (!security::isValidDnsName(n) && !isIpAddress(n)) {
      return invalidArgumentError("--tls-san " + n + " is neither a DNS name nor an IP address");
    }
  }
  if (o.validity < std::chrono::seconds(10)) {
    return invalidArgumentError("--cert-validity must be at least 10 seconds");
  }
  if (o.ca_cert.empty() != o.ca_key.empty()) {
    return invalidArgumentError("--ca-cert and --ca-key go together");
  }
  const bool generated = o.ca_cert.empty();
  std::string cert_path = generated ? o.dir + "/ca.crt" : o.ca_cert;
  std::string key_path = generated ? o.dir + "/ca.key" : o.ca_key;
  auto cert = security::readTextFile(cert_path);
  auto key = security::readTextFile(key_path);
  if (generated && !cert.ok() && !key.ok()) {
    ASSIGN_OR_RETURN(auto ca, security::CertificateAuthority::create("alcor-ca", kCaValidity));
    // The key first: a certificate without its key would be unusable after a crash.
    RETURN_IF_ERROR(security::writeFileAtomically(key_path, ca.keyPem(), 0600));
    RETURN_IF_ERROR(security::writeFileAtomically(cert_path, ca.certificatePem(), 0644));
    ALOG(Info, Security) << "created a new certificate authority in " << o.dir;
    cert = ca.certificatePem();
    key = ca.keyPem();
  }
  if (!cert.ok()) return cert.status();
  if (!key.ok()) return key.status();
  auto ca = security::CertificateAuthority::load(*cert, *key);
  if (!ca.ok()) return invalidArgumentError("CA " + cert_path + ": " + ca.status().message());
  return std::unique_ptr<CertificateIssuer>(
      new CertificateIssuer(std::move(o), std::move(ca).value(), cert_path));
}

security::CertificateSlot CertificateIssuer::ownSlot() const {
  return {options_.dir + "/controller.key", options_.dir + "/controller.crt", options_.name};
}

StatusOr<std::string> CertificateIssuer::issueNodeCertificate(const std::string& node_name,
                                                              std::string_view csr_pem) const {
  if (!security::isValidDnsName(node_name)) {
    return invalidArgumentError("node name \"" + node_name + "\" is not a DNS name");
  }
  if (node_name == options_.name) {
    return permissionDeniedError("a node may not take the controller's name " + node_name);
  }
  security::IssueOptions issue;
  issue.common_name = node_name;
  issue.dns_names = {node_name};
  issue.validity = options_.validity;
  ASSIGN_OR_RETURN(std::string pem, ca_.issue(csr_pem, issue));
  ALOG(Info, Security) << "issued a certificate for node " << node_name;
  return pem;
}

StatusOr<std::string> CertificateIssuer::issueOwnCertificate(std::string_view csr_pem) const {
  security::IssueOptions issue;
  issue.common_name = options_.name;
  issue.dns_names = {options_.name};
  for (const auto& n : options_.extra_names) {
    (isIpAddress(n) ? issue.ip_addresses : issue.dns_names).push_back(n);
  }
  issue.validity = options_.validity;
  return ca_.issue(csr_pem, issue);
}

}  // namespace alcor::controller
