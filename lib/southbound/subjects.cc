#include "lib/southbound/subjects.h"

namespace alcor::southbound {

namespace {
constexpr std::string_view kAgentPrefix = "alcor.gs.agent.";
constexpr std::string_view kSubnetPrefix = "alcor.gs.subnet.";
}  // namespace

std::string hostToken(std::string_view host_ip) {
  std::string out(host_ip);
  for (char& c : out) {
    if (c == '.' || c == ':') c = '-';
  }
  return out;
}

std::string hostSubject(std::string_view host_ip) { return "alcor.gs.host." + hostToken(host_ip); }

std::string agentSubject(std::string_view host_ip) {
  return std::string(kAgentPrefix) + hostToken(host_ip);
}

std::string subnetSubject(std::string_view vpc_id, std::string_view subnet_id) {
  if (!subjectToken(vpc_id) || !subjectToken(subnet_id)) return "";
  return std::string(kSubnetPrefix) + std::string(vpc_id) + "." + std::string(subnet_id);
}

std::optional<SubnetOfSubject> parseSubnetSubject(std::string_view subject) {
  if (subject.substr(0, kSubnetPrefix.size()) != kSubnetPrefix) return std::nullopt;
  const std::string_view rest = subject.substr(kSubnetPrefix.size());
  const size_t dot = rest.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  SubnetOfSubject out{std::string(rest.substr(0, dot)), std::string(rest.substr(dot + 1))};
  if (!subjectToken(out.vpc) || !subjectToken(out.subnet)) return std::nullopt;
  return out;
}

std::string hostOfAgentSubject(std::string_view subject) {
  if (subject.substr(0, kAgentPrefix.size()) != kAgentPrefix) return "";
  std::string token(subject.substr(kAgentPrefix.size()));
  if (!subjectToken(token)) return "";
  for (char& c : token) {
    if (c == '-') c = '.';
  }
  return token;
}

bool subjectToken(std::string_view id) {
  if (id.empty()) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

Permissions agentPermissions(std::string_view host_ip) {
  return {{agentSubject(host_ip)}, {hostSubject(host_ip), kAllSubnetSubjects}, true};
}

Permissions controllerPermissions() {
  return {{"alcor.gs.host.*", "alcor.gs.subnet.>"}, {kAllAgentSubjects, "_INBOX.>"}};
}

}  // namespace alcor::southbound
