#include "lib/kubernetes/token_review.h"

#include <algorithm>

namespace alcor::kubernetes {

using nlohmann::json;
using security::Identity;

StatusOr<Identity> identityFromTokenReview(const json& review,
                                           const std::vector<std::string>& audiences) {
  if (!review.is_object() || !review.contains("status") || !review["status"].is_object()) {
    return invalidArgumentError("TokenReview reply without a status");
  }
  const json& st = review["status"];
  const bool authenticated = st.contains("authenticated") && st["authenticated"].is_boolean() &&
                             st["authenticated"].get<bool>();
  if (!authenticated) {
    std::string reason = st.contains("error") && st["error"].is_string()
                             ? st["error"].get<std::string>()
                             : std::string("token not authenticated");
    return unauthenticatedError(reason);
  }
  // The API server answers only for tokens bound to one of the audiences asked for; check it.
  if (!audiences.empty()) {
    bool bound = false;
    if (st.contains("audiences") && st["audiences"].is_array()) {
      for (const auto& a : st["audiences"]) {
        bound = bound || (a.is_string() && std::find(audiences.begin(), audiences.end(),
                                                     a.get<std::string>()) != audiences.end());
      }
    }
    if (!bound) return unauthenticatedError("token not bound to an accepted audience");
  }
  if (!st.contains("user") || !st["user"].is_object()) {
    return invalidArgumentError("TokenReview reply without a user");
  }
  const json& user = st["user"];
  Identity id;
  if (user.contains("username") && user["username"].is_string()) {
    id.user = user["username"].get<std::string>();
  }
  if (id.user.empty()) return invalidArgumentError("TokenReview reply without a user name");
  if (user.contains("groups") && user["groups"].is_array()) {
    for (const auto& g : user["groups"]) {
      if (g.is_string()) id.groups.push_back(g.get<std::string>());
    }
  }
  if (user.contains("extra") && user["extra"].is_object()) {
    for (const auto& [key, values] : user["extra"].items()) {
      if (!values.is_array()) continue;
      auto& out = id.extra[key];
      for (const auto& v : values) {
        if (v.is_string()) out.push_back(v.get<std::string>());
      }
    }
  }
  return id;
}

StatusOr<Identity> TokenReviewAuthenticator::authenticate(const std::string& token) {
  const std::string key = security::sha256Hex(token);
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it != cache_.end() && it->second.expires > now) return it->second.result;
  }
  json review = {{"apiVersion", "authentication.k8s.io/v1"},
                 {"kind", "TokenReview"},
                 {"spec", {{"token", token}}}};
  if (!options_.audiences.empty()) review["spec"]["audiences"] = options_.audiences;
  auto reply = api_.post("/apis/authentication.k8s.io/v1/tokenreviews", review);
  if (!reply.ok()) {
    // Not the caller's fault: the API server could not be asked (503), nothing is cached.
    return unavailableError("cannot review the token: " + reply.status().message());
  }
  StatusOr<Identity> result = identityFromTokenReview(*reply, options_.audiences);
  if (!result.ok() && result.status().code() == StatusCode::kInvalidArgument) {
    return unavailableError("cannot review the token: " + result.status().message());
  }
  std::lock_guard lock(mu_);
  if (cache_.size() >= options_.cache_entries) {
    std::erase_if(cache_, [&](const auto& e) { return e.second.expires <= now; });
    if (cache_.size() >= options_.cache_entries) cache_.clear();
  }
  cache_.insert_or_assign(key, Entry{now + options_.cache_ttl, result});
  return result;
}

}  // namespace alcor::kubernetes
