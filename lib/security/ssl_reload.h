#pragma once

// The REST server's certificate, re-read when its files change: every new TLS connection gets
// the current certificate and key (OpenSSL's certificate callback), so a renewed certificate is
// served without a restart. A new version that does not load (or whose key does not match) is
// logged and the previous one kept.

#include <openssl/ssl.h>

#include <mutex>
#include <string>

namespace alcor::security {

class ReloadingCertificate {
 public:
  ReloadingCertificate(std::string cert_path, std::string key_path);
  ~ReloadingCertificate();
  ReloadingCertificate(const ReloadingCertificate&) = delete;
  ReloadingCertificate& operator=(const ReloadingCertificate&) = delete;

  // Sets TLS 1.2 as the minimum and installs the callback; this object must outlive `ctx`.
  bool install(SSL_CTX& ctx);

 private:
  static int onCertificate(SSL* ssl, void* self);
  bool reloadIfChanged();

  const std::string cert_path_;
  const std::string key_path_;
  std::mutex mu_;
  std::string stamp_;
  X509* cert_ = nullptr;
  EVP_PKEY* key_ = nullptr;
  STACK_OF(X509) * chain_ = nullptr;
};

}  // namespace alcor::security
