#pragma once

// Bearer tokens of the controller's REST API (docs/security.md): who a token belongs to.
// Two sources: a static token file (standalone set-ups) and Kubernetes TokenReview
// (lib/kubernetes/token_review.h). Both yield an Identity; the controller's authorizer turns
// that into what the caller may do.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/status.h"

namespace alcor::security {

struct Identity {
  std::string user;
  std::vector<std::string> groups;
  // Kubernetes user extras, e.g. "authentication.kubernetes.io/node-name" of a bound token.
  std::map<std::string, std::vector<std::string>> extra;

  bool inGroup(std::string_view group) const;
  // The single value of an extra key, or empty.
  std::string extraValue(const std::string& key) const;
};

// The token of an "Authorization: Bearer <token>" header value; nullopt when the header is not
// a bearer credential or the token is empty or holds whitespace.
std::optional<std::string> bearerToken(std::string_view authorization);

// Resolves tokens. kUnauthenticated: unknown or invalid token; kUnavailable: the backend could
// not be asked (the caller answers 503, not 401).
class Authenticator {
 public:
  virtual ~Authenticator() = default;
  virtual StatusOr<Identity> authenticate(const std::string& token) = 0;
};

// The static token file, in kube-apiserver's --token-auth-file format: one token a line,
//   token,user,uid[,"group1,group2,..."]
// blank lines and lines starting with '#' are ignored. Tokens are unique and hold no spaces.
StatusOr<std::map<std::string, Identity>> parseTokenFile(std::string_view text);

// Tokens from a file, re-read when it changes (so tokens rotate without a restart). A change
// that does not parse is logged and the previous table kept. Tokens are compared by SHA-256.
class StaticTokenAuthenticator : public Authenticator {
 public:
  // Reads `path` now; an unreadable or invalid file is an error.
  static StatusOr<std::unique_ptr<StaticTokenAuthenticator>> open(const std::string& path);
  StatusOr<Identity> authenticate(const std::string& token) override;

 private:
  explicit StaticTokenAuthenticator(std::string path) : path_(std::move(path)) {}
  Status reloadIfChanged();

  const std::string path_;
  std::mutex mu_;
  std::string file_stamp_;  // mtime and size of the loaded version
  std::map<std::string, Identity> by_digest_;
};

// SHA-256 of `text` as lower-case hex (token cache keys: tokens themselves are not kept).
std::string sha256Hex(std::string_view text);

}  // namespace alcor::security
