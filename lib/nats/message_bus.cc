#include "lib/nats/message_bus.h"

namespace alcor::nats {

namespace {
std::vector<std::string_view> tokens(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    size_t dot = s.find('.', start);
    out.push_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
    if (dot == std::string_view::npos) return out;
    start = dot + 1;
  }
}
}  // namespace

std::string Message::header(std::string_view key) const {
  for (const auto& [k, v] : headers) {
    if (k == key) return v;
  }
  return "";
}

bool validSubject(std::string_view subject) {
  if (subject.empty()) return false;
  for (auto t : tokens(subject)) {
    if (t.empty()) return false;
    for (char c : t) {
      if (c == '*' || c == '>' || c <= ' ' || c == 0x7f) return false;
    }
  }
  return true;
}

bool subjectMatches(std::string_view pattern, std::string_view subject) {
  auto p = tokens(pattern);
  auto s = tokens(subject);
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == ">") return i == p.size() - 1 && s.size() > i;
    if (i >= s.size()) return false;
    if (p[i] != "*" && p[i] != s[i]) return false;
  }
  return p.size() == s.size();
}

}  // namespace alcor::nats
