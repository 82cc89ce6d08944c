#include "lib/security/cert_renewal.h"

#include <algorithm>

#include "lib/base/logging.h"
#include "lib/security/files.h"

namespace alcor::security {
namespace {

// Why the current certificate must be replaced, or empty when it is fine.
std::string replacementReason(const CertificateSlot& slot, const std::string& key_pem,
                              const std::string& ca_pem, Clock::time_point* renew_at) {
  auto cert_pem = readTextFile(slot.cert_path);
  if (!cert_pem.ok()) return "no certificate yet";
  auto info = parseCertificate(*cert_pem);
  if (!info.ok()) return "unreadable certificate: " + info.status().message();
  if (!checkKeyMatchesCertificate(key_pem, *cert_pem).ok()) return "certificate of another key";
  if (!info->hasDnsName(slot.name)) return "certificate does not name " + slot.name;
  if (!ca_pem.empty() && !checkIssuedBy(*cert_pem, ca_pem).ok()) return "issued by another CA";
  *renew_at = renewalTime(info->not_before, info->not_after);
  if (Clock::now() >= *renew_at) return "due for renewal";
  return "";
}

}  // namespace

StatusOr<Clock::time_point> refreshCertificate(const CertificateSlot& slot, const CsrSigner& sign,
                                               const std::string& ca_pem) {
  auto key_pem = readTextFile(slot.key_path);
  if (!key_pem.ok()) {
    ASSIGN_OR_RETURN(std::string fresh, generatePrivateKey());
    RETURN_IF_ERROR(writeFileAtomically(slot.key_path, fresh, 0600));
    key_pem = fresh;
    ALOG(Info, Security) << "new private key " << slot.key_path;
  }
  Clock::time_point renew_at;
  std::string reason = replacementReason(slot, *key_pem, ca_pem, &renew_at);
  if (reason.empty()) return renew_at;
  ASSIGN_OR_RETURN(std::string csr, makeCsr(*key_pem, slot.name));
  auto cert_pem = sign(csr);
  if (!cert_pem.ok()) {
    return Status(cert_pem.status().code(),
                  "certificate for " + slot.name + ": " + cert_pem.status().message());
  }
  RETURN_IF_ERROR(checkKeyMatchesCertificate(*key_pem, *cert_pem));
  ASSIGN_OR_RETURN(CertificateInfo info, parseCertificate(*cert_pem));
  if (!info.hasDnsName(slot.name)) {
    return internalError("the issued certificate does not name " + slot.name);
  }
  RETURN_IF_ERROR(writeFileAtomically(slot.cert_path, *cert_pem, 0644));
  ALOG(Info, Security) << "certificate " << slot.cert_path << " for " << slot.name << " (" << reason
                       << "): serial " << info.serial << ", valid until "
                       << Clock::to_time_t(info.not_after);
  return renewalTime(info.not_before, info.not_after);
}

CertificateRenewer::CertificateRenewer(CertificateSlot slot, CsrSigner sign, CaSource ca)
    : slot_(std::move(slot)), sign_(std::move(sign)), ca_(std::move(ca)) {}

CertificateRenewer::~CertificateRenewer() { stop(); }

Status CertificateRenewer::start() {
  auto next = refreshCertificate(slot_, sign_, ca_ ? ca_() : "");
  {
    std::lock_guard lock(mu_);
    next_ = next.ok() ? *next : Clock::now() + std::chrono::seconds(1);
  }
  thread_ = std::thread([this] { loop(); });
  return next.status();
}

void CertificateRenewer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void CertificateRenewer::loop() {
  std::chrono::seconds backoff(1);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    auto wake = std::min(next_, Clock::now() + std::chrono::seconds(60));
    cv_.wait_until(lock, wake, [&] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    auto next = refreshCertificate(slot_, sign_, ca_ ? ca_() : "");
    lock.lock();
    if (next.ok()) {
      next_ = *next;
      backoff = std::chrono::seconds(1);
    } else {
      ALOG(Warn, Security) << "certificate renewal failed (retrying in " << backoff.count()
                           << " s): " << next.status().message();
      next_ = Clock::now() + backoff;
      backoff = std::min(backoff * 2, std::chrono::seconds(30));
    }
  }
}

}  // namespace alcor::security
