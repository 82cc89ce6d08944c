// Fuzz target: the certificate paths that read untrusted bytes: a certificate request posted
// to POST /certificates (parsed, self-signature checked, then signed for a fixed name), a peer
// certificate as gRPC hands it over, and the DNS-name check. Nothing may crash; whatever gets
// issued names exactly the node it was issued for.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "lib/security/x509.h"

namespace {

const alcor::security::CertificateAuthority& authority() {
  static const auto* ca = new alcor::security::CertificateAuthority(
      *alcor::security::CertificateAuthority::create("fuzz-ca", std::chrono::hours(1)));
  return *ca;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace alcor::security;
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)parseCertificate(text);
  (void)isValidDnsName(text);
  if (parseCsr(text).ok()) {
    IssueOptions o;
    o.common_name = "node-1";
    o.dns_names = {"node-1"};
    auto cert = authority().issue(text, o);
    if (cert.ok()) {
      auto info = parseCertificate(*cert);
      if (!info.ok() || info->dns_names != std::vector<std::string>{"node-1"}) std::abort();
    }
  }
  return 0;
}
