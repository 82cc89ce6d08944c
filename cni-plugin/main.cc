// alcor-cni: the binary kubelet (or any CNI runtime) executes. It answers VERSION itself and
// forwards every other verb, unparsed, to alcor-agent over gRPC on a unix socket; the agent owns
// all state. Errors are CNI error JSON on stdout with the spec's code, and a line on stderr.

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include "cni-plugin/agent_client.h"
#include "lib/cni/types.h"

namespace {

using alcor::cni::CniError;
using alcor::cni::Command;
using alcor::cni::ErrorCode;

constexpr size_t kMaxStdin = 1 << 20;  // a network configuration is a few KiB

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

int fail(const std::string& version, const CniError& error) {
  std::string out = alcor::cni::errorJson(version, error);
  std::fwrite(out.data(), 1, out.size(), stdout);
  std::fprintf(stderr, "alcor-cni: %s (code %d)%s%s\n", error.message.c_str(),
               static_cast<int>(error.code), error.details.empty() ? "" : ": ",
               error.details.c_str());
  return 1;
}

bool readStdin(std::string* out) {
  char buf[8192];
  while (true) {
    ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n == 0) return true;
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    out->append(buf, static_cast<size_t>(n));
    if (out->size() > kMaxStdin) return false;
  }
}

}  // namespace

int main() {
  alcor::cni::Environment e{env("CNI_COMMAND"), env("CNI_CONTAINERID"), env("CNI_NETNS"),
                            env("CNI_IFNAME"),  env("CNI_ARGS"),        env("CNI_PATH")};
  std::string version(alcor::cni::kLatestVersion);
  auto command = alcor::cni::parseCommand(e.command);
  if (!command) {
    return fail(version, {ErrorCode::kInvalidEnvironment,
                          "CNI_COMMAND \"" + e.command +
                              "\" is not one of ADD, DEL, CHECK, GC, STATUS, VERSION",
                          ""});
  }
  std::string input;
  if (!readStdin(&input)) {
    return fail(version, {ErrorCode::kIoFailure,
                          "cannot read the network configuration from stdin "
                          "(unreadable or over 1 MiB)",
                          ""});
  }

  if (*command == Command::kVersion) {
    // VERSION may come with a minimal config; answer with the version asked for if we know it.
    auto config = alcor::cni::parseNetworkConfig(input);
    std::string asked = config.ok() ? config.value->cni_version : std::string();
    std::string out = alcor::cni::versionJson(asked.empty() ? version : asked);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }

  auto config = alcor::cni::parseNetworkConfig(input);
  if (!config.ok()) return fail(version, config.error);
  version = config.value->cni_version;
  if (*command == Command::kCheck && alcor::cni::compareVersions(version, "0.4.0") < 0) {
    return fail(version,
                {ErrorCode::kIncompatibleVersion,
                 "CHECK needs cniVersion 0.4.0 or later, the configuration has " + version, ""});
  }
  if ((*command == Command::kGc || *command == Command::kStatus) &&
      alcor::cni::compareVersions(version, "1.1.0") < 0) {
    return fail(version, {ErrorCode::kIncompatibleVersion,
                          std::string(alcor::cni::commandName(*command)) +
                              " needs cniVersion 1.1.0 or later, the configuration has " + version,
                          ""});
  }
  if (auto err = alcor::cni::validateEnvironment(*command, e); err.code != ErrorCode::kOk) {
    return fail(version, err);
  }

  alcor::cni::AgentCall call{*command,
                             config.value->agent_socket,
                             std::chrono::seconds(config.value->timeout_seconds),
                             {}};
  auto* args = call.request.mutable_cni_args();
  args->set_container_id(e.container_id);
  args->set_netns(e.netns);
  args->set_ifname(e.ifname);
  args->set_args(e.args);
  args->set_path(e.path);
  args->set_network_configuration(input);

  auto reply = alcor::cni::callAgent(call);
  if (reply.error.code != ErrorCode::kOk) return fail(version, reply.error);
  std::fwrite(reply.result.data(), 1, reply.result.size(), stdout);
  return 0;
}
