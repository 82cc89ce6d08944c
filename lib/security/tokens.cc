#include "lib/security/tokens.h"

#include <openssl/evp.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "lib/base/logging.h"
#include "lib/base/strings.h"

namespace alcor::security {
namespace {

bool hasSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

// One CSV line: fields split at commas outside double quotes; "" inside quotes is a quote.
StatusOr<std::vector<std::string>> csvFields(std::string_view line) {
  std::vector<std::string> fields(1);
  bool quoted = false, was_quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted) {
      if (c != '"') {
        fields.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == ',') {
      fields.emplace_back();
      was_quoted = false;
    } else if (c == '"' && fields.back().empty() && !was_quoted) {
      quoted = was_quoted = true;
    } else if (was_quoted) {
      return invalidArgumentError("text after a closing quote");
    } else {
      fields.back() += c;
    }
  }
  if (quoted) return invalidArgumentError("unterminated quote");
  return fields;
}

std::string fileStamp(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return "";
  return std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ":" +
         std::to_string(st.st_size) + ":" + std::to_string(st.st_ino);
}

}  // namespace

bool Identity::inGroup(std::string_view group) const {
  return std::find(groups.begin(), groups.end(), group) != groups.end();
}

std::string Identity::extraValue(const std::string& key) const {
  auto it = extra.find(key);
  return it != extra.end() && it->second.size() == 1 ? it->second.front() : std::string();
}

std::optional<std::string> bearerToken(std::string_view authorization) {
  authorization = trimSpace(authorization);
  constexpr std::string_view kScheme = "bearer ";
  if (authorization.size() <= kScheme.size()) return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i) {
    char c = authorization[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return std::nullopt;
  }
  std::string_view token = trimSpace(authorization.substr(kScheme.size()));
  if (token.empty() || hasSpace(token)) return std::nullopt;
  return std::string(token);
}

StatusOr<std::map<std::string, Identity>> parseTokenFile(std::string_view text) {
  std::map<std::string, Identity> out;
  int line_no = 0;
  for (std::string_view raw : splitString(text, '\n')) {
    ++line_no;
    std::string_view line = trimSpace(raw);
    if (line.empty() || line.front() == '#') continue;
    const std::string where = "token file line " + std::to_string(line_no);
    auto fields = csvFields(line);
    if (!fields.ok()) return invalidArgumentError(where + ": " + fields.status().message());
    if (fields->size() < 3 || fields->size() > 4) {
      return invalidArgumentError(where + ": want token,user,uid[,\"groups\"]");
    }
    const std::string token((*fields)[0]);
    Identity id;
    id.user = std::string(trimSpace((*fields)[1]));
    if (token.empty() || hasSpace(token)) {
      return invalidArgumentError(where + ": empty token or a token with spaces");
    }
    if (id.user.empty()) return invalidArgumentError(where + ": empty user");
    if (fields->size() == 4) {
      for (std::string_view g : splitString((*fields)[3], ',')) {
        if (g = trimSpace(g); !g.empty()) id.groups.emplace_back(g);
      }
    }
    if (!out.emplace(sha256Hex(token), std::move(id)).second) {
      return invalidArgumentError(where + ": the token is already listed");
    }
  }
  return out;
}

std::string sha256Hex(std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

StatusOr<std::unique_ptr<StaticTokenAuthenticator>> StaticTokenAuthenticator::open(
    const std::string& path) {
  std::unique_ptr<StaticTokenAuthenticator> a(new StaticTokenAuthenticator(path));
  RETURN_IF_ERROR(a->reloadIfChanged());
  return a;
}

Status StaticTokenAuthenticator::reloadIfChanged() {
  std::string stamp = fileStamp(path_);
  if (!stamp.empty() && stamp == file_stamp_) return okStatus();
  std::ifstream in(path_);
  if (!in) return notFoundError("cannot read the token file " + path_);
  std::stringstream s;
  s << in.rdbuf();
  auto table = parseTokenFile(s.str());
  // A bad version is reported once; the next change of the file is tried again.
  file_stamp_ = stamp;
  if (!table.ok()) return table.status();
  by_digest_ = std::move(table).value();
  return okStatus();
}

StatusOr<Identity> StaticTokenAuthenticator::authenticate(const std::string& token) {
  std::lock_guard lock(mu_);
  if (Status st = reloadIfChanged(); !st.ok()) {
    ALOG(Warn, Security) << "token file " << path_
                         << " kept at its previous version: " << st.message();
  }
  auto it = by_digest_.find(sha256Hex(token));
  if (it == by_digest_.end()) return unauthenticatedError("unknown token");
  return it->second;
}

}  // namespace alcor::security
