// REST: certificates for agents. POST /certificates {"node_name": N, "csr": PEM} by a caller
// allowed to act for node N returns {"certificate": PEM, "ca": PEM}: a certificate naming
// exactly N for the request's key (docs/security.md, "Certificates").

#include "controller/auth/certificate_issuer.h"
#include "controller/rest/http_util.h"

namespace alcor::controller::rest {

void registerCertificateHandlers(httplib::Server& server, const CertificateIssuer* issuer) {
  server.Post(
      route("/certificates"), [issuer](const httplib::Request& req, httplib::Response& res) {
        auto doc = parseJson(req.body, "request body");
        if (!doc.ok()) return replyError(res, doc.status());
        if (!doc->is_object() || !(*doc)["node_name"].is_string() || !(*doc)["csr"].is_string()) {
          return replyError(
              res, invalidArgumentError("request body needs \"node_name\" and \"csr\" strings"));
        }
        const std::string node = (*doc)["node_name"];
        if (Status st = caller().requireNode(node, "certificates"); !st.ok()) {
          return replyError(res, st);
        }
        if (issuer == nullptr) {
          return replyError(res, unimplementedError("this controller has no CA key to issue with"));
        }
        auto cert = issuer->issueNodeCertificate(node, (*doc)["csr"].get<std::string>());
        if (!cert.ok()) return replyError(res, cert.status());
        replyJson(res, 201, json{{"certificate", *cert}, {"ca", issuer->caPem()}});
      });
}

}  // namespace alcor::controller::rest
