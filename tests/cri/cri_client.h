#pragma once

// A client of the Kubernetes Container Runtime Interface over a runtime's unix socket, on our own
// CRI proto subset (proto/cri/v1/api.proto). It speaks to the runtime as kubelet does.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cri/v1/api.grpc.pb.h"
#include "lib/base/status.h"

namespace alcor::testing {

class CriClient {
 public:
  explicit CriClient(const std::string& socket_path);

  StatusOr<runtime::v1::VersionResponse> version();
  StatusOr<runtime::v1::StatusResponse> status();
  // The sandbox id. kubelet allows a RunPodSandbox 4 minutes; so do we by default.
  StatusOr<std::string> runPodSandbox(const runtime::v1::PodSandboxConfig& config,
                                      std::chrono::seconds timeout = std::chrono::seconds(240));
  Status stopPodSandbox(const std::string& id);
  Status removePodSandbox(const std::string& id);
  StatusOr<runtime::v1::PodSandboxStatusResponse> podSandboxStatus(const std::string& id,
                                                                   bool verbose = false);
  StatusOr<std::vector<runtime::v1::PodSandbox>> listPodSandbox();

 private:
  std::unique_ptr<runtime::v1::RuntimeService::Stub> stub_;
};

// The sandbox configuration kubelet sends for a pod with pod networking: metadata, hostname,
// log directory, kubelet's labels, and network/ipc namespaces of the pod.
runtime::v1::PodSandboxConfig kubeletSandboxConfig(const std::string& ns, const std::string& name,
                                                   const std::string& uid, uint32_t attempt,
                                                   const std::string& log_dir,
                                                   const std::string& cgroup_parent);

// Whether the runtime reports a condition (RuntimeReady, NetworkReady) as true.
bool conditionTrue(const runtime::v1::StatusResponse& status, const std::string& type);

// The path of the sandbox's network namespace, from a verbose PodSandboxStatus (containerd's
// "info" document: the runtime spec's network namespace, or /proc/<pid>/ns/net).
StatusOr<std::string> sandboxNetnsPath(const runtime::v1::PodSandboxStatusResponse& status);

}  // namespace alcor::testing
