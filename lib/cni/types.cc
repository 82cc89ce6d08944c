#include "lib/cni/types.h"

#include "lib/base/json_util.h"
#include "lib/base/strings.h"

namespace alcor::cni {
namespace {

using nlohmann::json;

template <typename T>
CniResultOr<T> invalidConfig(const std::string& message) {
  return CniResultOr<T>::fail(ErrorCode::kInvalidNetworkConfig, message);
}

// Reads an optional string key; false (with `error` set) when present with another type.
bool readString(const json& obj, const char* key, std::string* out, std::string* error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_string()) {
    *error = std::string("\"") + key + "\" must be a string";
    return false;
  }
  *out = it->get<std::string>();
  return true;
}

bool readInt(const json& obj, const char* key, int64_t* out, std::string* error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_number_integer()) {
    *error = std::string("\"") + key + "\" must be an integer";
    return false;
  }
  *out = it->get<int64_t>();
  return true;
}

bool readStringList(const json& obj, const char* key, std::vector<std::string>* out,
                    std::string* error) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return true;
  if (!it->is_array()) {
    *error = std::string("\"") + key + "\" must be an array of strings";
    return false;
  }
  for (const auto& v : *it) {
    if (!v.is_string()) {
      *error = std::string("\"") + key + "\" must be an array of strings";
      return false;
    }
    out->push_back(v.get<std::string>());
  }
  return true;
}

std::vector<int> versionParts(std::string_view v) {
  std::vector<int> parts;
  for (auto p : splitString(v, '.', false)) parts.push_back(parseInt<int>(p).value_or(0));
  parts.resize(3, 0);
  return parts;
}

}  // namespace

const std::vector<std::string>& supportedVersions() {
  static const std::vector<std::string> kVersions = {"0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0"};
  return kVersions;
}

bool isSupportedVersion(std::string_view version) {
  for (const auto& v : supportedVersions()) {
    if (v == version) return true;
  }
  return false;
}

int compareVersions(std::string_view a, std::string_view b) {
  auto pa = versionParts(a), pb = versionParts(b);
  for (int i = 0; i < 3; ++i) {
    if (pa[i] != pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return 0;
}

std::optional<Command> parseCommand(std::string_view text) {
  if (text == "ADD") return Command::kAdd;
  if (text == "DEL") return Command::kDel;
  if (text == "CHECK") return Command::kCheck;
  if (text == "GC") return Command::kGc;
  if (text == "STATUS") return Command::kStatus;
  if (text == "VERSION") return Command::kVersion;
  return std::nullopt;
}

std::string_view commandName(Command c) {
  switch (c) {
    case Command::kAdd:
      return "ADD";
    case Command::kDel:
      return "DEL";
    case Command::kCheck:
      return "CHECK";
    case Command::kGc:
      return "GC";
    case Command::kStatus:
      return "STATUS";
    case Command::kVersion:
      return "VERSION";
  }
  return "?";
}

CniError validateEnvironment(Command command, const Environment& env) {
  auto missing = [](const char* var) {
    return CniError{ErrorCode::kInvalidEnvironment, std::string(var) + " is not set", ""};
  };
  bool needs_container =
      command == Command::kAdd || command == Command::kDel || command == Command::kCheck;
  if (needs_container) {
    if (env.container_id.empty()) return missing("CNI_CONTAINERID");
    if (env.ifname.empty()) return missing("CNI_IFNAME");
    if (env.ifname.size() > 15 || env.ifname.find('/') != std::string::npos || env.ifname == "." ||
        env.ifname == "..") {
      return {ErrorCode::kInvalidEnvironment,
              "CNI_IFNAME \"" + env.ifname + "\" is not a valid interface name", ""};
    }
  }
  if ((command == Command::kAdd || command == Command::kCheck) && env.netns.empty()) {
    return missing("CNI_NETNS");
  }
  return {};
}

CniResultOr<PodArgs> parseCniArgs(std::string_view args) {
  PodArgs out;
  for (auto pair : splitString(args, ';')) {
    auto eq = pair.find('=');
    if (eq == std::string_view::npos || eq == 0) {
      return CniResultOr<PodArgs>::fail(ErrorCode::kInvalidEnvironment,
                                        "CNI_ARGS: \"" + std::string(pair) + "\" is not KEY=VALUE");
    }
    std::string key(pair.substr(0, eq)), value(pair.substr(eq + 1));
    if (key == "K8S_POD_NAMESPACE") out.pod_namespace = value;
    if (key == "K8S_POD_NAME") out.pod_name = value;
    if (key == "K8S_POD_UID") out.pod_uid = value;
    if (key == "K8S_POD_INFRA_CONTAINER_ID") out.infra_container_id = value;
    out.all[key] = value;
  }
  return CniResultOr<PodArgs>::of(std::move(out));
}

CniResultOr<NetworkConfig> parseNetworkConfig(std::string_view stdin_bytes) {
  auto doc = parseJson(stdin_bytes, "network configuration");
  if (!doc.ok()) {
    return CniResultOr<NetworkConfig>::fail(ErrorCode::kDecodingFailure,
                                            "network configuration on stdin is not valid JSON");
  }
  if (!doc->is_object()) {
    return CniResultOr<NetworkConfig>::fail(ErrorCode::kDecodingFailure,
                                            "network configuration must be a JSON object");
  }
  NetworkConfig c;
  c.raw = *doc;
  const json& j = *doc;
  std::string error;
  if (!readString(j, "cniVersion", &c.cni_version, &error) ||
      !readString(j, "name", &c.name, &error) || !readString(j, "type", &c.type, &error) ||
      !readString(j, "agentSocket", &c.agent_socket, &error) ||
      !readInt(j, "timeoutSeconds", &c.timeout_seconds, &error) ||
      !readString(j, "project", &c.project, &error) || !readString(j, "vpc", &c.vpc, &error) ||
      !readString(j, "subnet", &c.subnet, &error) ||
      !readStringList(j, "securityGroups", &c.security_groups, &error) ||
      !readInt(j, "mtu", &c.mtu, &error)) {
    return invalidConfig<NetworkConfig>("network configuration: " + error);
  }
  if (c.cni_version.empty()) {
    return invalidConfig<NetworkConfig>("network configuration: \"cniVersion\" is required");
  }
  if (!isSupportedVersion(c.cni_version)) {
    return CniResultOr<NetworkConfig>::fail(
        ErrorCode::kIncompatibleVersion,
        "cniVersion " + c.cni_version +
            " is not supported (supported: " + joinStrings(supportedVersions(), ", ") + ")");
  }
  if (c.agent_socket.empty() || c.agent_socket[0] != '/') {
    return invalidConfig<NetworkConfig>("\"agentSocket\" must be an absolute path");
  }
  if (c.timeout_seconds < 1 || c.timeout_seconds > 110) {
    return invalidConfig<NetworkConfig>(
        "\"timeoutSeconds\" must be between 1 and 110 (kubelet gives up after 120)");
  }
  if (c.mtu != 0 && (c.mtu < 576 || c.mtu > 65535)) {
    return invalidConfig<NetworkConfig>("\"mtu\" must be between 576 and 65535");
  }
  if (auto rc = j.find("runtimeConfig"); rc != j.end() && !rc->is_null()) {
    if (!rc->is_object())
      return invalidConfig<NetworkConfig>("\"runtimeConfig\" must be an object");
    if (!readStringList(*rc, "ips", &c.runtime_ips, &error) ||
        !readString(*rc, "mac", &c.runtime_mac, &error)) {
      return invalidConfig<NetworkConfig>("runtimeConfig: " + error);
    }
    if (auto pa = rc->find(kPodAnnotationsCapability); pa != rc->end() && !pa->is_null()) {
      if (!pa->is_object()) {
        return invalidConfig<NetworkConfig>(std::string("runtimeConfig: \"") +
                                            kPodAnnotationsCapability + "\" must be an object");
      }
      std::map<std::string, std::string> annotations;
      for (const auto& [key, value] : pa->items()) {
        if (value.is_string()) annotations[key] = value.get<std::string>();
      }
      c.runtime_pod_annotations = std::move(annotations);
    }
  }
  if (auto pr = j.find("prevResult"); pr != j.end() && !pr->is_null()) {
    if (!pr->is_object()) return invalidConfig<NetworkConfig>("\"prevResult\" must be an object");
    c.prev_result = *pr;
  }
  if (auto va = j.find("cni.dev/valid-attachments"); va != j.end() && !va->is_null()) {
    if (!va->is_array()) {
      return invalidConfig<NetworkConfig>("\"cni.dev/valid-attachments\" must be an array");
    }
    for (const auto& a : *va) {
      Attachment att;
      if (!a.is_object() || !readString(a, "containerID", &att.container_id, &error) ||
          !readString(a, "ifname", &att.ifname, &error) || att.container_id.empty()) {
        return invalidConfig<NetworkConfig>(
            "\"cni.dev/valid-attachments\" entries need \"containerID\" and \"ifname\"");
      }
      c.valid_attachments.push_back(std::move(att));
    }
  }
  return CniResultOr<NetworkConfig>::of(std::move(c));
}

nlohmann::json encodeResult(const Result& r, std::string_view version) {
  bool v1_1 = compareVersions(version, "1.1.0") >= 0;
  bool has_ip_version = compareVersions(version, "1.0.0") < 0;
  json out = json::object();
  out["cniVersion"] = std::string(version);
  if (!r.interfaces.empty()) {
    json ifs = json::array();
    for (const auto& i : r.interfaces) {
      json o = {{"name", i.name}};
      if (!i.mac.empty()) o["mac"] = i.mac;
      if (v1_1 && i.mtu > 0) o["mtu"] = i.mtu;
      if (!i.sandbox.empty()) o["sandbox"] = i.sandbox;
      ifs.push_back(std::move(o));
    }
    out["interfaces"] = std::move(ifs);
  }
  if (!r.ips.empty()) {
    json ips = json::array();
    for (const auto& ip : r.ips) {
      json o = json::object();
      if (has_ip_version) o["version"] = ip.address.find(':') == std::string::npos ? "4" : "6";
      o["address"] = ip.address;
      if (!ip.gateway.empty()) o["gateway"] = ip.gateway;
      if (ip.interface) o["interface"] = *ip.interface;
      ips.push_back(std::move(o));
    }
    out["ips"] = std::move(ips);
  }
  if (!r.routes.empty()) {
    json routes = json::array();
    for (const auto& rt : r.routes) {
      json o = {{"dst", rt.dst}};
      if (!rt.gw.empty()) o["gw"] = rt.gw;
      if (v1_1 && rt.mtu > 0) o["mtu"] = rt.mtu;
      routes.push_back(std::move(o));
    }
    out["routes"] = std::move(routes);
  }
  json dns = json::object();
  if (!r.dns.nameservers.empty()) dns["nameservers"] = r.dns.nameservers;
  if (!r.dns.domain.empty()) dns["domain"] = r.dns.domain;
  if (!r.dns.search.empty()) dns["search"] = r.dns.search;
  if (!r.dns.options.empty()) dns["options"] = r.dns.options;
  out["dns"] = std::move(dns);
  return out;
}

CniResultOr<Result> decodeResult(const nlohmann::json& j) {
  auto bad = [](const std::string& m) {
    return CniResultOr<Result>::fail(ErrorCode::kDecodingFailure, "prevResult: " + m);
  };
  if (!j.is_object()) return bad("not an object");
  Result r;
  std::string error;
  if (!readString(j, "cniVersion", &r.cni_version, &error)) return bad(error);
  if (auto it = j.find("interfaces"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return bad("\"interfaces\" must be an array");
    for (const auto& o : *it) {
      Result::Interface i;
      if (!o.is_object() || !readString(o, "name", &i.name, &error) ||
          !readString(o, "mac", &i.mac, &error) || !readString(o, "sandbox", &i.sandbox, &error) ||
          !readInt(o, "mtu", &i.mtu, &error)) {
        return bad(error.empty() ? "bad interface entry" : error);
      }
      r.interfaces.push_back(std::move(i));
    }
  }
  if (auto it = j.find("ips"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return bad("\"ips\" must be an array");
    for (const auto& o : *it) {
      Result::IpConfig ip;
      int64_t index = -1;
      if (!o.is_object() || !readString(o, "address", &ip.address, &error) ||
          !readString(o, "gateway", &ip.gateway, &error) ||
          !readInt(o, "interface", &index, &error) || ip.address.empty()) {
        return bad(error.empty() ? "ips entries need an \"address\"" : error);
      }
      if (index >= 0) ip.interface = static_cast<int>(index);
      r.ips.push_back(std::move(ip));
    }
  }
  if (auto it = j.find("routes"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return bad("\"routes\" must be an array");
    for (const auto& o : *it) {
      Result::Route rt;
      if (!o.is_object() || !readString(o, "dst", &rt.dst, &error) ||
          !readString(o, "gw", &rt.gw, &error) || !readInt(o, "mtu", &rt.mtu, &error) ||
          rt.dst.empty()) {
        return bad(error.empty() ? "routes entries need a \"dst\"" : error);
      }
      r.routes.push_back(std::move(rt));
    }
  }
  if (auto it = j.find("dns"); it != j.end() && !it->is_null()) {
    if (!it->is_object() || !readStringList(*it, "nameservers", &r.dns.nameservers, &error) ||
        !readString(*it, "domain", &r.dns.domain, &error) ||
        !readStringList(*it, "search", &r.dns.search, &error) ||
        !readStringList(*it, "options", &r.dns.options, &error)) {
      return bad(error.empty() ? "\"dns\" must be an object" : error);
    }
  }
  return CniResultOr<Result>::of(std::move(r));
}

std::string errorJson(std::string_view version, const CniError& error) {
  json out = {{"cniVersion", std::string(version.empty() ? kLatestVersion : version)},
              {"code", static_cast<int>(error.code)},
              {"msg", error.message}};
  if (!error.details.empty()) out["details"] = error.details;
  return out.dump(2) + "\n";
}

std::string versionJson(std::string_view version) {
  json out = {{"cniVersion", std::string(version.empty() ? kLatestVersion : version)},
              {"supportedVersions", supportedVersions()}};
  return out.dump() + "\n";
}

}  // namespace alcor::cni
