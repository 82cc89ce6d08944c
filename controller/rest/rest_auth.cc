#include "controller/rest/rest_auth.h"

#include <regex>

#include "controller/rest/http_util.h"
#include "lib/base/logging.h"

namespace alcor::controller::rest {
namespace {

thread_local Caller current_caller;

bool isOpenPath(const httplib::Request& req) {
  return req.method == "GET" && (req.path == "/healthz" || req.path == "/metrics");
}

// What an agent calls: its node record, ports, its certificate. The handlers check ownership.
bool isNodeRoute(const std::string& path) {
  static const std::regex kNodeRoutes(
      R"(^(/v4)?(/nodes(/bulk|/[^/]+)?|/project/[^/]+/ports(/bulk|/[^/]+)?|/certificates)$)");
  return std::regex_match(path, kNodeRoutes);
}

void refuse(httplib::Response& res, const Status& status, const httplib::Request& req) {
  ALOG(Info, Rest) << req.method << " " << req.path << " from " << req.remote_addr
                   << " refused: " << status.message();
  replyError(res, status);
}

}  // namespace

const Caller& caller() { return current_caller; }

bool authenticateRequest(const RestSecurity& security, const httplib::Request& req,
                         httplib::Response& res) {
  current_caller = Caller();
  if (!security.authenticator) {
    current_caller = Caller::admin("anonymous (no authentication configured)");
    return true;
  }
  if (isOpenPath(req)) return true;
  auto token = security::bearerToken(req.get_header_value("Authorization"));
  if (!token) {
    res.set_header("WWW-Authenticate", "Bearer");
    refuse(res, unauthenticatedError("a bearer token is required"), req);
    return false;
  }
  auto identity = security.authenticator->authenticate(*token);
  if (!identity.ok()) {
    if (identity.status().code() == StatusCode::kUnauthenticated) {
      res.set_header("WWW-Authenticate", "Bearer error=\"invalid_token\"");
    }
    refuse(res, identity.status(), req);
    return false;
  }
  current_caller = callerOf(*identity, security.access);
  if (current_caller.isAdmin()) return true;
  if (current_caller.role == Caller::Role::kNode && isNodeRoute(req.path)) return true;
  refuse(
      res,
      permissionDeniedError(current_caller.describe() + " may not " + req.method + " " + req.path),
      req);
  return false;
}

}  // namespace alcor::controller::rest
