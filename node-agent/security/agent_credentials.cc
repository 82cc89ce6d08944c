#include "node-agent/security/agent_credentials.h"

#include "lib/base/logging.h"
#include "lib/kubernetes/api_client.h"
#include "lib/security/files.h"

namespace alcor::agent {
namespace {
constexpr std::chrono::minutes kCaRefresh{5};
}  // namespace

AgentCredentials::AgentCredentials(const AgentConfig& config) : config_(config) {
  files_.ca = config.tls_ca.empty() ? config.pkiDir() + "/ca.crt" : config.tls_ca;
  files_.cert = config.tls_cert.empty() ? config.pkiDir() + "/node.crt" : config.tls_cert;
  files_.key = config.tls_key.empty() ? config.pkiDir() + "/node.key" : config.tls_key;
}

AgentCredentials::~AgentCredentials() { stop(); }

void AgentCredentials::stop() {
  if (renewer_) renewer_->stop();
}

Status AgentCredentials::ensureCa() {
  if (!config_.tls_ca.empty()) {
    ASSIGN_OR_RETURN(std::string pem, security::readTextFile(files_.ca));
    return security::parseCertificate(pem).status();
  }
  kubernetes::ApiOptions api = kubernetes::inClusterApiOptions();
  if (!config_.kube_api_server.empty()) {
    api = {config_.kube_api_server, config_.kube_token_file, config_.kube_ca_file};
  }
  const std::string& where = config_.controller_ca_configmap;
  auto slash = where.find('/');
  if (api.server.empty() || slash == std::string::npos) {
    return failedPreconditionError(
        "no CA to trust: give --tls-ca, or run in a cluster with --controller-ca-configmap");
  }
  auto pem = kubernetes::readConfigMapKey(kubernetes::ApiClient(api), where.substr(0, slash),
                                          where.substr(slash + 1), "ca.crt");
  if (!pem.ok()) {
    return unavailableError("CA from ConfigMap " + where + ": " + pem.status().message());
  }
  RETURN_IF_ERROR(security::parseCertificate(*pem).status());
  auto current = security::readTextFile(files_.ca);
  if (!current.ok() || *current != *pem) {
    RETURN_IF_ERROR(security::writeFileAtomically(files_.ca, *pem, 0644));
    ALOG(Info, Security) << "CA certificate from ConfigMap " << where << " written to "
                         << files_.ca;
  }
  ca_fetched_ = std::chrono::steady_clock::now();
  return okStatus();
}

std::string AgentCredentials::caPem() {
  std::lock_guard lock(mu_);
  if (std::chrono::steady_clock::now() - ca_fetched_ > kCaRefresh) {
    if (Status st = ensureCa(); !st.ok()) {
      ALOG(Warn, Security) << "refreshing the CA (kept the current one): " << st.message();
    }
  }
  return security::readTextFile(files_.ca).valueOr("");
}

Status AgentCredentials::ensure(ControllerClient& controller) {
  {
    std::lock_guard lock(mu_);
    if (ca_fetched_ == std::chrono::steady_clock::time_point()) RETURN_IF_ERROR(ensureCa());
  }
  if (!config_.tls_cert.empty()) {
    // Operator-managed certificate: check it is usable, nothing to renew here.
    ASSIGN_OR_RETURN(std::string cert, security::readTextFile(files_.cert));
    ASSIGN_OR_RETURN(std::string key, security::readTextFile(files_.key));
    return security::checkKeyMatchesCertificate(key, cert);
  }
  if (renewer_) {
    // The renewal thread retries by itself; report whether a certificate is in place.
    auto cert = security::readTextFile(files_.cert);
    StatusOr<security::CertificateInfo> info =
        cert.ok() ? security::parseCertificate(*cert)
                  : StatusOr<security::CertificateInfo>(cert.status());
    if (info.ok() && info->hasDnsName(config_.node_name) &&
        info->not_after > security::Clock::now()) {
      return okStatus();
    }
    return unavailableError("waiting for the node certificate from the controller");
  }
  security::CertificateSlot slot{files_.key, files_.cert, config_.node_name};
  renewer_ = std::make_unique<security::CertificateRenewer>(
      slot,
      [this, &controller](const std::string& csr) {
        return controller.requestCertificate(config_.node_name, csr);
      },
      [this] { return caPem(); });
  return renewer_->start();
}

}  // namespace alcor::agent
