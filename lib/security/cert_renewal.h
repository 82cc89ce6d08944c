#pragma once

// Keeps a certificate file current (docs/security.md, "Rotation"): the private key is made once
// and kept (0600), and a new certificate for it is asked for whenever the file is missing, is
// not for the key, does not name the identity, was not issued by the expected CA, or is past
// two thirds of its lifetime. The new file replaces the old one atomically, so gRPC's file
// watchers and the REST server pick it up without a restart.

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "lib/security/x509.h"

namespace alcor::security {

struct CertificateSlot {
  std::string key_path;
  std::string cert_path;
  std::string name;  // the DNS name the certificate must carry
};

// Signs a PEM certificate request; returns the PEM certificate.
using CsrSigner = std::function<StatusOr<std::string>(const std::string& csr_pem)>;

// Makes the slot current (see above). `ca_pem`: the CA the certificate must come from (empty:
// not checked). Returns when the certificate should next be renewed.
StatusOr<Clock::time_point> refreshCertificate(const CertificateSlot& slot, const CsrSigner& sign,
                                               const std::string& ca_pem);

// A thread that calls refreshCertificate at each renewal time (at least once a minute, to notice
// a removed file, and with backoff after a failure).
class CertificateRenewer {
 public:
  using CaSource = std::function<std::string()>;
  CertificateRenewer(CertificateSlot slot, CsrSigner sign, CaSource ca);
  ~CertificateRenewer();
  // Refreshes once now (the result) and starts the thread whatever it was.
  Status start();
  void stop();

 private:
  void loop();
  const CertificateSlot slot_;
  const CsrSigner sign_;
  const CaSource ca_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  Clock::time_point next_;
  std::thread thread_;
};

}  // namespace alcor::security
