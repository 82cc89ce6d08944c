#include "tests/cri/cri_client.h"

#include "lib/base/json_util.h"

namespace alcor::testing {
namespace {

using namespace runtime::v1;

Status fromGrpc(const grpc::Status& s, const std::string& call) {
  if (s.ok()) return okStatus();
  std::string m = call + ": " + s.error_message();
  switch (s.error_code()) {
    case grpc::StatusCode::NOT_FOUND:
      return notFoundError(m);
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return deadlineExceededError(m);
    case grpc::StatusCode::UNAVAILABLE:
      return unavailableError(m);
    default:
      return unknownError(m);
  }
}

std::unique_ptr<grpc::ClientContext> context(std::chrono::seconds timeout) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + timeout);
  return ctx;
}

constexpr std::chrono::seconds kShortCall{30};

}  // namespace

CriClient::CriClient(const std::string& socket_path)
    : stub_(RuntimeService::NewStub(
          grpc::CreateChannel("unix://" + socket_path, grpc::InsecureChannelCredentials()))) {}

StatusOr<VersionResponse> CriClient::version() {
  VersionRequest req;
  req.set_version("v1");
  VersionResponse resp;
  RETURN_IF_ERROR(fromGrpc(stub_->Version(context(kShortCall).get(), req, &resp), "Version"));
  return resp;
}

StatusOr<StatusResponse> CriClient::status() {
  StatusRequest req;
  StatusResponse resp;
  RETURN_IF_ERROR(fromGrpc(stub_->Status(context(kShortCall).get(), req, &resp), "Status"));
  return resp;
}

StatusOr<std::string> CriClient::runPodSandbox(const PodSandboxConfig& config,
                                               std::chrono::seconds timeout) {
  RunPodSandboxRequest req;
  *req.mutable_config() = config;
  RunPodSandboxResponse resp;
  RETURN_IF_ERROR(
      fromGrpc(stub_->RunPodSandbox(context(timeout).get(), req, &resp), "RunPodSandbox"));
  return resp.pod_sandbox_id();
}

Status CriClient::stopPodSandbox(const std::string& id) {
  StopPodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  StopPodSandboxResponse resp;
  return fromGrpc(stub_->StopPodSandbox(context(kShortCall).get(), req, &resp), "StopPodSandbox");
}

Status CriClient::removePodSandbox(const std::string& id) {
  RemovePodSandboxRequest req;
  req.set_pod_sandbox_id(id);
  RemovePodSandboxResponse resp;
  return fromGrpc(stub_->RemovePodSandbox(context(kShortCall).get(), req, &resp),
                  "RemovePodSandbox");
}

StatusOr<PodSandboxStatusResponse> CriClient::podSandboxStatus(const std::string& id,
                                                               bool verbose) {
  PodSandboxStatusRequest req;
  req.set_pod_sandbox_id(id);
  req.set_verbose(verbose);
  PodSandboxStatusResponse resp;
  RETURN_IF_ERROR(
      fromGrpc(stub_->PodSandboxStatus(context(kShortCall).get(), req, &resp), "PodSandboxStatus"));
  return resp;
}

StatusOr<std::vector<PodSandbox>> CriClient::listPodSandbox() {
  ListPodSandboxRequest req;
  ListPodSandboxResponse resp;
  RETURN_IF_ERROR(
      fromGrpc(stub_->ListPodSandbox(context(kShortCall).get(), req, &resp), "ListPodSandbox"));
  return std::vector<PodSandbox>(resp.items().begin(), resp.items().end());
}

PodSandboxConfig kubeletSandboxConfig(const std::string& ns, const std::string& name,
                                      const std::string& uid, uint32_t attempt,
                                      const std::string& log_dir,
                                      const std::string& cgroup_parent) {
  PodSandboxConfig c;
  auto* meta = c.mutable_metadata();
  meta->set_name(name);
  meta->set_namespace_(ns);
  meta->set_uid(uid);
  meta->set_attempt(attempt);
  c.set_hostname(name);
  c.set_log_directory(log_dir);
  auto& labels = *c.mutable_labels();
  labels["io.kubernetes.pod.name"] = name;
  labels["io.kubernetes.pod.namespace"] = ns;
  labels["io.kubernetes.pod.uid"] = uid;
  (*c.mutable_annotations())["kubernetes.io/config.source"] = "api";
  auto* linux = c.mutable_linux();
  linux->set_cgroup_parent(cgroup_parent);
  auto* nso = linux->mutable_security_context()->mutable_namespace_options();
  nso->set_network(POD);
  nso->set_pid(CONTAINER);
  nso->set_ipc(POD);
  return c;
}

bool conditionTrue(const StatusResponse& status, const std::string& type) {
  for (const auto& c : status.status().conditions()) {
    if (c.type() == type) return c.status();
  }
  return false;
}

StatusOr<std::string> sandboxNetnsPath(const PodSandboxStatusResponse& status) {
  auto it = status.info().find("info");
  if (it == status.info().end()) return notFoundError("no verbose info in PodSandboxStatus");
  ASSIGN_OR_RETURN(nlohmann::json info, parseJson(it->second, "sandbox info"));
  const auto& namespaces = info["runtimeSpec"]["linux"]["namespaces"];
  if (namespaces.is_array()) {
    for (const auto& n : namespaces) {
      if (n.value("type", "") == "network" && !n.value("path", "").empty()) {
        return n["path"].get<std::string>();
      }
    }
  }
  int pid = info.value("pid", 0);
  if (pid > 0) return "/proc/" + std::to_string(pid) + "/ns/net";
  return notFoundError("sandbox info names no network namespace");
}

}  // namespace alcor::testing
