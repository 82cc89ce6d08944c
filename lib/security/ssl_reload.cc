#include "lib/security/ssl_reload.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include "lib/base/logging.h"

namespace alcor::security {
namespace {

std::string stampOf(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "-";
  return std::to_string(st.st_ino) + ":" + std::to_string(st.st_mtim.tv_sec) + "." +
         std::to_string(st.st_mtim.tv_nsec) + ":" + std::to_string(st.st_size);
}

}  // namespace

ReloadingCertificate::ReloadingCertificate(std::string cert_path, std::string key_path)
    : cert_path_(std::move(cert_path)), key_path_(std::move(key_path)) {}

ReloadingCertificate::~ReloadingCertificate() {
  X509_free(cert_);
  EVP_PKEY_free(key_);
  sk_X509_pop_free(chain_, X509_free);
}

bool ReloadingCertificate::install(SSL_CTX& ctx) {
  SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
  SSL_CTX_set_cert_cb(&ctx, &ReloadingCertificate::onCertificate, this);
  std::lock_guard lock(mu_);
  if (!reloadIfChanged()) {
    ALOG(Error, Security) << "REST TLS: cannot load " << cert_path_ << " and " << key_path_;
  }
  return true;
}

int ReloadingCertificate::onCertificate(SSL* ssl, void* self) {
  auto* me = static_cast<ReloadingCertificate*>(self);
  std::lock_guard lock(me->mu_);
  me->reloadIfChanged();
  if (me->cert_ == nullptr || me->key_ == nullptr) return 0;  // no certificate: fail the handshake
  return SSL_use_cert_and_key(ssl, me->cert_, me->key_, me->chain_, 1) == 1 ? 1 : 0;
}

bool ReloadingCertificate::reloadIfChanged() {
  std::string stamp = stampOf(cert_path_) + "|" + stampOf(key_path_);
  if (stamp == stamp_) return cert_ != nullptr;
  stamp_ = stamp;
  BIO* cb = BIO_new_file(cert_path_.c_str(), "r");
  BIO* kb = BIO_new_file(key_path_.c_str(), "r");
  X509* cert = cb ? PEM_read_bio_X509(cb, nullptr, nullptr, nullptr) : nullptr;
  STACK_OF(X509)* chain = sk_X509_new_null();
  while (cert && cb) {
    X509* extra = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
    if (!extra) break;
    sk_X509_push(chain, extra);
  }
  EVP_PKEY* key = kb ? PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(cb);
  BIO_free(kb);
  ERR_clear_error();
  if (!cert || !key || X509_check_private_key(cert, key) != 1) {
    ERR_clear_error();
    X509_free(cert);
    EVP_PKEY_free(key);
    sk_X509_pop_free(chain, X509_free);
    ALOG(Warn, Security) << "REST TLS: " << cert_path_ << " / " << key_path_
                         << " do not load as a matching certificate and key; kept the previous";
    return cert_ != nullptr;
  }
  X509_free(cert_);
  EVP_PKEY_free(key_);
  sk_X509_pop_free(chain_, X509_free);
  cert_ = cert;
  key_ = key;
  chain_ = chain;
  ALOG(Info, Security) << "REST TLS: serving " << cert_path_;
  return true;
}

}  // namespace alcor::security
