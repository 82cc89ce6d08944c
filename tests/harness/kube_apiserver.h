#pragma once

// A real kube-apiserver with its etcd, for tests of what talks to Kubernetes (the controller's
// NetworkPolicy component): the binaries of the real-Kubernetes work (tests/k8s, cached in
// /var/cache/alcor-k8s/<version>/bin, or $ALCOR_K8S_BIN), run in a network namespace with
// etcd on its loopback. No scheduler, controller-manager or kubelet: objects are what tests
// create. Tokens from a static file: an admin (system:masters) for the test, and the
// alcor-controller ServiceAccount's identity, whose rights are exactly manifests/rbac.yaml's
// (applied at start). The serving certificate is the API server's self-signed one.

#include <memory>
#include <string>
#include <vector>

#include "nlohmann/json.hpp"
#include "tests/harness/process.h"

namespace alcor::testing {

// $ALCOR_K8S_BIN, else the cache of the pinned version.
std::string kubernetesBinDir();

class KubeApiServer {
 public:
  // Serves https://<address>:6443 in `netns`; files under `dir`.
  static StatusOr<std::unique_ptr<KubeApiServer>> start(const std::string& netns,
                                                        const std::string& address,
                                                        const std::string& dir);
  ~KubeApiServer();
  KubeApiServer(const KubeApiServer&) = delete;
  KubeApiServer& operator=(const KubeApiServer&) = delete;

  std::string url() const { return "https://" + address_ + ":6443"; }
  std::string caFile() const { return dir_ + "/certs/apiserver.crt"; }
  // Bearer token files.
  std::string adminTokenFile() const { return dir_ + "/admin.token"; }
  std::string controllerTokenFile() const { return dir_ + "/controller.token"; }

  // kubectl as the admin, in the server's namespace.
  CommandResult kubectl(const std::vector<std::string>& args, const std::string& stdin_data = "");
  // kubectl apply / create of one object; the object as stored (uid, resourceVersion).
  StatusOr<nlohmann::json> apply(const nlohmann::json& object) { return write("apply", object); }
  StatusOr<nlohmann::json> create(const nlohmann::json& object) { return write("create", object); }

 private:
  StatusOr<nlohmann::json> write(const std::string& verb, const nlohmann::json& object);
  KubeApiServer(std::string netns, std::string address, std::string dir)
      : netns_(std::move(netns)), address_(std::move(address)), dir_(std::move(dir)) {}

  std::string netns_;
  std::string address_;
  std::string dir_;
  Daemon etcd_;
  Daemon apiserver_;
};

}  // namespace alcor::testing
