// Fuzz target: the bearer-token paths of the controller's REST API (untrusted bytes from any
// client or from the Kubernetes API): the Authorization header, the static token file, and a
// TokenReview reply, plus the access decision made from what they yield. Nothing may crash,
// and a token the header parser returns is never empty nor holds whitespace.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "controller/auth/access.h"
#include "lib/kubernetes/token_review.h"
#include "lib/security/tokens.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace alcor;
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto token = security::bearerToken(text)) {
    if (token->empty()) std::abort();
    for (unsigned char c : *token) {
      if (c <= ' ' || c == 0x7f) std::abort();
    }
  }
  controller::AccessConfig access;
  if (auto table = security::parseTokenFile(text); table.ok()) {
    for (const auto& [digest, id] : *table) {
      if (digest.size() != 64 || id.user.empty()) std::abort();
      controller::Caller c = controller::callerOf(id, access);
      // A node never gets the controller's name, whatever the file says.
      if (c.role == controller::Caller::Role::kNode && c.node == access.controller_name) {
        std::abort();
      }
    }
  }
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_discarded()) {
    for (const auto& audiences :
         {std::vector<std::string>{}, std::vector<std::string>{"alcor-controller"}}) {
      auto id = kubernetes::identityFromTokenReview(doc, audiences);
      if (id.ok()) (void)controller::callerOf(*id, access);
    }
  }
  return 0;
}
