#include "lib/security/grpc_tls.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

namespace alcor::security {
namespace {

std::shared_ptr<grpc::experimental::CertificateProviderInterface> watcher(const TlsFiles& f) {
  return std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(f.key, f.cert, f.ca,
                                                                              kTlsRefreshSeconds);
}

}  // namespace

std::shared_ptr<grpc::ServerCredentials> mutualTlsServerCredentials(const TlsFiles& files) {
  grpc::experimental::TlsServerCredentialsOptions options(watcher(files));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  return grpc::experimental::TlsServerCredentials(options);
}

std::shared_ptr<grpc::ChannelCredentials> mutualTlsChannelCredentials(const TlsFiles& files) {
  grpc::experimental::TlsChannelCredentialsOptions options;
  options.set_certificate_provider(watcher(files));
  options.watch_root_certs();
  options.watch_identity_key_cert_pairs();
  options.set_verify_server_certs(true);
  options.set_certificate_verifier(
      std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  return grpc::experimental::TlsCredentials(options);
}

void limitConnectionAge(grpc::ServerBuilder& builder) {
  builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, kTlsMaxConnectionAgeMs);
}

void expectPeerName(grpc::ChannelArguments& args, const std::string& peer_name) {
  args.SetSslTargetNameOverride(peer_name);
}

std::string PeerIdentity::describe() const {
  if (!verified) return "unauthenticated peer " + address;
  std::string name =
      certificate.dns_names.empty() ? certificate.common_name : certificate.dns_names.front();
  return name + " (serial " + certificate.serial + ", " + address + ")";
}

PeerIdentity peerIdentity(const grpc::ServerContext& context) {
  PeerIdentity id;
  id.address = context.peer();
  auto auth = context.auth_context();
  if (!auth) return id;
  auto pem = auth->FindPropertyValues(GRPC_X509_PEM_CERT_PROPERTY_NAME);
  if (pem.empty()) return id;
  auto cert = parseCertificate(std::string_view(pem.front().data(), pem.front().size()));
  if (!cert.ok()) return id;
  // The server only completes handshakes with certificates it verified against its CA.
  id.verified = auth->IsPeerAuthenticated();
  id.certificate = std::move(cert).value();
  return id;
}

}  // namespace alcor::security
