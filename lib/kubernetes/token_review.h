#pragma once

// Bearer tokens checked by the Kubernetes API (authentication.k8s.io/v1 TokenReview), for the
// controller's REST API. The review names the audience the tokens must be bound to (the agents'
// projected tokens carry "alcor-controller"), so a token stolen from the controller is useless
// against the API server and vice versa. Answers are cached briefly by token digest.

#include <chrono>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "lib/kubernetes/api_client.h"
#include "lib/security/tokens.h"

namespace alcor::kubernetes {

// The status of a TokenReview reply: the identity when authenticated, kUnauthenticated with the
// API server's reason otherwise, kInvalidArgument when the reply is malformed.
StatusOr<security::Identity> identityFromTokenReview(const nlohmann::json& review,
                                                     const std::vector<std::string>& audiences);

struct TokenReviewOptions {
  std::vector<std::string> audiences;  // empty: the API server's own audience
  std::chrono::milliseconds cache_ttl{10000};
  size_t cache_entries = 4096;
};

class TokenReviewAuthenticator : public security::Authenticator {
 public:
  TokenReviewAuthenticator(ApiClient api, TokenReviewOptions options)
      : api_(std::move(api)), options_(std::move(options)) {}
  StatusOr<security::Identity> authenticate(const std::string& token) override;

 private:
  struct Entry {
    std::chrono::steady_clock::time_point expires;
    StatusOr<security::Identity> result;
  };
  ApiClient api_;
  TokenReviewOptions options_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // by SHA-256 of the token
};

}  // namespace alcor::kubernetes
