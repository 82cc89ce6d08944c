#pragma once

// Mutual TLS for the agent <-> controller gRPC channels (docs/security.md), on gRPC's TLS
// credentials: certificates and keys are files re-read every few seconds, so a rotated
// certificate is used without a restart (write the new file and rename it over the old one;
// the key stays the same across renewals, so a reader never pairs a new certificate with an
// old key). Servers require a client certificate chained to the CA bundle; clients verify the
// server's certificate against the CA bundle and check it names the peer they expect.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "lib/security/x509.h"

namespace alcor::security {

struct TlsFiles {
  std::string ca;    // PEM CA bundle that peers' certificates must chain to
  std::string cert;  // PEM certificate (chain) of this side
  std::string key;   // its PEM private key
};

// How often the files are checked for a new version.
inline constexpr unsigned kTlsRefreshSeconds = 2;
// Servers close connections this old (in-flight calls finish), so clients handshake again with
// the certificates of the day: a renewed, expired or no longer trusted certificate takes effect
// within a minute, not whenever the connection happens to break.
inline constexpr int kTlsMaxConnectionAgeMs = 60000;
void limitConnectionAge(grpc::ServerBuilder& builder);

std::shared_ptr<grpc::ServerCredentials> mutualTlsServerCredentials(const TlsFiles& files);
std::shared_ptr<grpc::ChannelCredentials> mutualTlsChannelCredentials(const TlsFiles& files);
// Makes a channel accept only a server certificate naming `peer_name` (a DNS name of its
// subjectAltName), whatever address it dials.
void expectPeerName(grpc::ChannelArguments& args, const std::string& peer_name);

// Who is on the other end of a server call, from the verified client certificate.
struct PeerIdentity {
  std::string address;    // gRPC peer, e.g. "ipv4:10.0.0.1:40000"
  bool verified = false;  // a client certificate chained to the CA was presented
  CertificateInfo certificate;

  bool hasName(std::string_view name) const { return verified && certificate.hasDnsName(name); }
  // "alcor-controller (serial 1A2B..., ipv4:10.0.0.1:40000)" or "unauthenticated ipv4:...".
  std::string describe() const;
};
PeerIdentity peerIdentity(const grpc::ServerContext& context);

}  // namespace alcor::security
