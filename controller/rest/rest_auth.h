#pragma once

// Authentication and coarse authorization of REST requests (docs/security.md, "REST"), run
// before routing: GET /healthz and GET /metrics are open; every other request needs a bearer
// token (401 without a valid one, 503 when the token cannot be checked), and a caller that is
// not an admin reaches only the routes a node uses (403 elsewhere). Handlers then check each
// resource against rest::caller() (a node acts only on itself and on ports bound to it).

#include <httplib.h>

#include <memory>
#include <string>

#include "controller/auth/access.h"
#include "lib/security/tokens.h"

namespace alcor::controller {

class CertificateIssuer;

struct RestSecurity {
  std::string cert_file;  // HTTPS with these (re-read when they change); empty: plain HTTP
  std::string key_file;
  // Null: no authentication at all, every caller is an admin (--insecure without tokens).
  std::shared_ptr<security::Authenticator> authenticator;
  AccessConfig access;
  const CertificateIssuer* issuer = nullptr;  // null: POST /certificates answers 501
};

namespace rest {

// The caller of the request this thread is serving.
const Caller& caller();

// Sets caller() for this request; false when the request was answered (401/403/503).
bool authenticateRequest(const RestSecurity& security, const httplib::Request& req,
                         httplib::Response& res);

}  // namespace rest
}  // namespace alcor::controller
