#include "controller/auth/controller_security.h"

#include "lib/base/logging.h"
#include "lib/base/strings.h"
#include "lib/kubernetes/token_review.h"

namespace alcor::controller {
namespace {

std::vector<std::string> commaList(const std::string& text) {
  std::vector<std::string> out;
  for (auto item : splitString(text, ',')) {
    if (auto t = trimSpace(item); !t.empty()) out.emplace_back(t);
  }
  return out;
}

// Tries each source in turn: the first identity wins; "unknown token" only when every source
// says so, "unavailable" when one could not be asked.
class ChainAuthenticator : public security::Authenticator {
 public:
  explicit ChainAuthenticator(std::vector<std::unique_ptr<security::Authenticator>> sources)
      : sources_(std::move(sources)) {}
  StatusOr<security::Identity> authenticate(const std::string& token) override {
    Status last = unauthenticatedError("unknown token");
    for (auto& s : sources_) {
      auto id = s->authenticate(token);
      if (id.ok()) return id;
      if (id.status().code() != StatusCode::kUnauthenticated) last = id.status();
    }
    return last;
  }

 private:
  std::vector<std::unique_ptr<security::Authenticator>> sources_;
};

void warnInsecure(const ControllerSecurityConfig& c) {
  const char* line = "************************************************************************";
  ALOG(Warn, Security) << line;
  ALOG(Warn, Security) << "--insecure: REST and gRPC run in PLAINTEXT; agents accept pushes from "
                          "anyone who reaches them";
  if (c.token_file.empty() && !c.token_review) {
    ALOG(Warn, Security) << "--insecure without --token-file/--token-review: the REST API has NO "
                            "AUTHENTICATION; anyone who reaches it may change every network";
  }
  ALOG(Warn, Security) << "use this for local demos only (docs/security.md)";
  ALOG(Warn, Security) << line;
}

}  // namespace

void addControllerSecurityFlags(FlagSet& f, ControllerSecurityConfig* c) {
  f.addBool("insecure", &c->insecure,
            "PLAINTEXT REST and gRPC, and no REST authentication unless a token source is set "
            "(local demos only)");
  f.addString("tls-cert", &c->tls_cert,
              "PEM certificate of the controller (REST, gRPC server, client cert to agents); "
              "empty: issued by its CA into --pki-dir and renewed");
  f.addString("tls-key", &c->tls_key, "PEM private key for --tls-cert");
  f.addString("tls-ca", &c->tls_ca,
              "PEM CA bundle agents' certificates must chain to; empty: the issuing CA");
  f.addString("tls-name", &c->tls_name,
              "the controller's identity: DNS name in its certificate that agents expect");
  f.addString("tls-san", &c->tls_san,
              "comma-separated extra DNS names or IPs of the controller's issued certificate");
  f.addString("pki-dir", &c->pki_dir,
              "directory of the generated CA and of the controller's own key and certificate");
  f.addString("ca-cert", &c->ca_cert,
              "PEM CA certificate that issues node certificates; empty: <pki-dir>/ca.crt, "
              "created on first start unless --tls-cert is given");
  f.addString("ca-key", &c->ca_key, "PEM private key of --ca-cert");
  f.addInt("cert-validity", &c->cert_validity_s,
           "seconds the certificates the controller issues are valid (renewed at 2/3)");
  f.addString("token-file", &c->token_file,
              "static REST bearer tokens, lines token,user,uid[,\"groups\"] (re-read on change)");
  f.addBool("token-review", &c->token_review,
            "check REST bearer tokens with the Kubernetes TokenReview API");
  f.addString("token-audience", &c->token_audience,
              "audience TokenReview requires of tokens (empty: the API server's)");
  f.addString(
      "kube-api-server", &c->kube_api_server,
      "Kubernetes API URL for TokenReview, --publish-ca and --network-policy; empty: in-cluster");
  f.addString("kube-token-file", &c->kube_token_file,
              "bearer token file for --kube-api-server; empty: the service account's");
  f.addString("kube-ca-file", &c->kube_ca_file, "CA bundle of --kube-api-server");
  f.addString("admin-users", &c->admin_users, "comma-separated users with full REST access");
  f.addString("admin-groups", &c->admin_groups, "comma-separated groups with full REST access");
  f.addString(
      "agent-service-account", &c->agent_service_account,
      "user of the agents' Kubernetes tokens; each acts for the node its token is bound to");
  f.addString("publish-ca", &c->publish_ca,
              "NAMESPACE/NAME of a ConfigMap to write the CA certificate into (key ca.crt)");
}

StatusOr<std::unique_ptr<ControllerSecurity>> ControllerSecurity::start(
    const ControllerSecurityConfig& c) {
  std::unique_ptr<ControllerSecurity> s(new ControllerSecurity(c));
  if (c.insecure) {
    warnInsecure(c);
  } else {
    RETURN_IF_ERROR(s->startTls());
  }
  RETURN_IF_ERROR(s->startAuthentication());
  if (!c.publish_ca.empty()) {
    if (!s->issuer_) return invalidArgumentError("--publish-ca needs a CA (not with --insecure)");
    if (c.publish_ca.find('/') == std::string::npos) {
      return invalidArgumentError("--publish-ca must be NAMESPACE/NAME");
    }
    s->publisher_ = std::thread([p = s.get()] { p->publishCa(); });
  }
  return s;
}

ControllerSecurity::~ControllerSecurity() { stop(); }

void ControllerSecurity::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (publisher_.joinable()) publisher_.join();
  if (renewer_) renewer_->stop();
}

Status ControllerSecurity::startTls() {
  const ControllerSecurityConfig& c = config_;
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return invalidArgumentError("--tls-cert and --tls-key go together");
  }
  // A CA to issue with: given, or generated in --pki-dir when the controller's own certificate
  // is not given either (an operator-managed PKI then provides every certificate).
  if (!c.ca_cert.empty() || c.tls_cert.empty()) {
    PkiOptions pki;
    pki.dir = c.pki_dir;
    pki.ca_cert = c.ca_cert;
    pki.ca_key = c.ca_key;
    pki.name = c.tls_name;
    pki.extra_names = commaList(c.tls_san);
    pki.validity = std::chrono::seconds(c.cert_validity_s);
    ASSIGN_OR_RETURN(issuer_, CertificateIssuer::open(pki));
  }
  files_.ca = !c.tls_ca.empty() ? c.tls_ca : issuer_ ? issuer_->caPath() : "";
  if (files_.ca.empty()) return invalidArgumentError("TLS needs --tls-ca (or --ca-cert)");
  if (!c.tls_cert.empty()) {
    files_.cert = c.tls_cert;
    files_.key = c.tls_key;
    return okStatus();
  }
  security::CertificateSlot own = issuer_->ownSlot();
  files_.cert = own.cert_path;
  files_.key = own.key_path;
  const CertificateIssuer* issuer = issuer_.get();
  renewer_ = std::make_unique<security::CertificateRenewer>(
      own, [issuer](const std::string& csr) { return issuer->issueOwnCertificate(csr); },
      [issuer] { return issuer->caPem(); });
  return renewer_->start();
}

Status ControllerSecurity::startAuthentication() {
  const ControllerSecurityConfig& c = config_;
  access_.admin_users = commaList(c.admin_users);
  access_.admin_groups = commaList(c.admin_groups);
  access_.agent_service_account = c.agent_service_account;
  access_.controller_name = c.tls_name;
  std::vector<std::unique_ptr<security::Authenticator>> sources;
  if (!c.token_file.empty()) {
    ASSIGN_OR_RETURN(auto tokens, security::StaticTokenAuthenticator::open(c.token_file));
    sources.push_back(std::move(tokens));
  }
  if (c.token_review) {
    kubernetes::ApiOptions api = kubernetes::inClusterApiOptions();
    if (!c.kube_api_server.empty()) api = {c.kube_api_server, c.kube_token_file, c.kube_ca_file};
    if (api.server.empty()) {
      return invalidArgumentError("--token-review needs --kube-api-server outside a cluster");
    }
    kubernetes::TokenReviewOptions review;
    if (!c.token_audience.empty()) review.audiences = {c.token_audience};
    sources.push_back(
        std::make_unique<kubernetes::TokenReviewAuthenticator>(kubernetes::ApiClient(api), review));
  }
  if (sources.empty()) {
    if (!c.insecure) {
      return invalidArgumentError(
          "the REST API needs --token-file or --token-review (or --insecure for a demo)");
    }
    return okStatus();
  }
  authenticator_ = std::make_shared<ChainAuthenticator>(std::move(sources));
  return okStatus();
}

RestSecurity ControllerSecurity::restSecurity() const {
  RestSecurity r;
  r.cert_file = files_.cert;
  r.key_file = files_.key;
  r.authenticator = authenticator_;
  r.access = access_;
  r.issuer = issuer_.get();
  return r;
}

std::shared_ptr<grpc::ServerCredentials> ControllerSecurity::serverCredentials() const {
  return tls() ? security::mutualTlsServerCredentials(files_) : grpc::InsecureServerCredentials();
}

std::shared_ptr<grpc::ChannelCredentials> ControllerSecurity::channelCredentials() const {
  return tls() ? security::mutualTlsChannelCredentials(files_) : grpc::InsecureChannelCredentials();
}

// Agents read the CA from this ConfigMap (through the API server, whose identity they check),
// so the CA certificate needs no manual distribution. Retried until it works.
void ControllerSecurity::publishCa() {
  const auto slash = config_.publish_ca.find('/');
  const std::string ns = config_.publish_ca.substr(0, slash);
  const std::string name = config_.publish_ca.substr(slash + 1);
  kubernetes::ApiOptions api = kubernetes::inClusterApiOptions();
  if (!config_.kube_api_server.empty()) {
    api = {config_.kube_api_server, config_.kube_token_file, config_.kube_ca_file};
  }
  kubernetes::ApiClient client(api);
  std::chrono::seconds backoff(1);
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    Status st = kubernetes::writeConfigMap(client, ns, name, {{"ca.crt", issuer_->caPem()}});
    lock.lock();
    if (st.ok()) {
      ALOG(Info, Security) << "published the CA certificate in ConfigMap " << config_.publish_ca;
      return;
    }
    ALOG(Warn, Security) << "publishing the CA in " << config_.publish_ca
                         << " (retrying): " << st.message();
    cv_.wait_for(lock, backoff, [&] { return stopping_; });
    backoff = std::min(backoff * 2, std::chrono::seconds(30));
  }
}

}  // namespace alcor::controller
