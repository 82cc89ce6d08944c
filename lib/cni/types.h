#pragma once

// CNI spec 1.1 types shared by alcor-cni and the agent: versions, the environment, CNI_ARGS,
// the network configuration, results in every version we serve (0.3.0 to 1.1.0) and errors.
// Everything here parses untrusted input and returns a CniError instead of throwing.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/base/status.h"
#include "nlohmann/json.hpp"

namespace alcor::cni {

// Spec error codes (and ours >= 100); numerically equal to alcor.cni.v1.ErrorCode.
enum class ErrorCode : int {
  kOk = 0,
  kIncompatibleVersion = 1,
  kUnsupportedField = 2,
  kUnknownContainer = 3,
  kInvalidEnvironment = 4,
  kIoFailure = 5,
  kDecodingFailure = 6,
  kInvalidNetworkConfig = 7,
  kTryAgainLater = 11,
  kPluginNotAvailable = 50,
  kPluginNotAvailableLimited = 51,
  kIpamFailure = 101,
  kConfigInterfaceFailure = 102,
  kCheckInterfaceFailure = 103,
  kControllerFailure = 104,
  kDataplaneFailure = 105,
  kUnknownRpcError = 201,
  kIncompatibleApiVersion = 202,
};

struct CniError {
  ErrorCode code = ErrorCode::kOk;
  std::string message;
  std::string details;
};

// A value or a CNI error with its spec code.
template <typename T>
struct CniResultOr {
  std::optional<T> value;
  CniError error;
  bool ok() const { return value.has_value(); }
  static CniResultOr fail(ErrorCode code, std::string message, std::string details = "") {
    CniResultOr r;
    r.error = {code, std::move(message), std::move(details)};
    return r;
  }
  static CniResultOr of(T v) {
    CniResultOr r;
    r.value = std::move(v);
    return r;
  }
};

inline constexpr std::string_view kLatestVersion = "1.1.0";
const std::vector<std::string>& supportedVersions();
bool isSupportedVersion(std::string_view version);
// -1, 0, 1 like strcmp; unparsable versions compare as 0.0.0.
int compareVersions(std::string_view a, std::string_view b);

enum class Command { kAdd, kDel, kCheck, kGc, kStatus, kVersion };
std::optional<Command> parseCommand(std::string_view text);
std::string_view commandName(Command c);

// CNI_* variables. Which are required depends on the command (checked by validateFor).
struct Environment {
  std::string command;
  std::string container_id;
  std::string netns;
  std::string ifname;
  std::string args;
  std::string path;
};
// ADD/CHECK need container id, netns and ifname; DEL needs container id and ifname (netns may
// be empty: the runtime may have torn it down already); GC, STATUS, VERSION need none.
CniError validateEnvironment(Command command, const Environment& env);

// CNI_ARGS: "IgnoreUnknown=1;K8S_POD_NAMESPACE=ns;K8S_POD_NAME=p;K8S_POD_UID=u".
struct PodArgs {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;
  std::string infra_container_id;
  std::map<std::string, std::string> all;
};
CniResultOr<PodArgs> parseCniArgs(std::string_view args);

struct Attachment {
  std::string container_id;
  std::string ifname;
  auto operator<=>(const Attachment&) const = default;
};

// The runtimeConfig key (and conflist capability) under which containerd passes a pod's
// annotations to the plugin.
inline constexpr const char* kPodAnnotationsCapability = "io.kubernetes.cri.pod-annotations";

// One plugin's configuration as the runtime hands it over on stdin (name and cniVersion
// injected, runtimeConfig, prevResult). Alcor-specific keys are documented in
// docs/configuration.md.
struct NetworkConfig {
  std::string cni_version;
  std::string name;
  std::string type;
  // alcor-cni keys
  std::string agent_socket = "/var/run/alcor/cni.sock";
  int64_t timeout_seconds = 100;  // under kubelet's 2-minute runtime timeout
  std::string project;            // Alcor project id
  std::string vpc;                // VPC id (network_id)
  std::string subnet;             // subnet id
  std::vector<std::string> security_groups;
  int64_t mtu = 0;  // 0: the subnet's MTU
  // runtimeConfig capabilities
  std::vector<std::string> runtime_ips;  // "ips" capability, CIDR or plain address
  std::string runtime_mac;               // "mac" capability
  // "io.kubernetes.cri.pod-annotations" capability: the pod's annotations, from the runtime.
  std::optional<std::map<std::string, std::string>> runtime_pod_annotations;
  nlohmann::json prev_result;                 // null unless chained / DEL / CHECK
  std::vector<Attachment> valid_attachments;  // GC: cni.dev/valid-attachments
  nlohmann::json raw;                         // the whole document
};
CniResultOr<NetworkConfig> parseNetworkConfig(std::string_view stdin_bytes);

// The result of ADD. Addresses are IPv4 for now; the JSON layer carries strings.
struct Result {
  struct Interface {
    std::string name;
    std::string mac;
    int64_t mtu = 0;  // emitted from 1.1.0 on
    std::string sandbox;
    auto operator<=>(const Interface&) const = default;
  };
  struct IpConfig {
    std::string address;  // CIDR, e.g. 10.0.1.5/24
    std::string gateway;
    std::optional<int> interface;
    auto operator<=>(const IpConfig&) const = default;
  };
  struct Route {
    std::string dst;
    std::string gw;
    int64_t mtu = 0;  // emitted from 1.1.0 on
    auto operator<=>(const Route&) const = default;
  };
  struct Dns {
    std::vector<std::string> nameservers;
    std::string domain;
    std::vector<std::string> search;
    std::vector<std::string> options;
    auto operator<=>(const Dns&) const = default;
  };
  std::string cni_version;
  std::vector<Interface> interfaces;
  std::vector<IpConfig> ips;
  std::vector<Route> routes;
  Dns dns;
};

// Encodes in the shape of `version` (0.3.0 ... 1.1.0).
nlohmann::json encodeResult(const Result& result, std::string_view version);
// Decodes any supported version's shape (e.g. a prevResult).
CniResultOr<Result> decodeResult(const nlohmann::json& json);

std::string errorJson(std::string_view version, const CniError& error);
std::string versionJson(std::string_view version);

}  // namespace alcor::cni
