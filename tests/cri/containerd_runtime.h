#pragma once

// containerd (Debian's 1.6, its CRI plugin) as a test runtime: a private root, state, socket,
// config and CNI directories in a temp dir, running in a node's network namespace but the root
// mount namespace (so the pod namespaces it mounts are visible to alcor-agent), with our pause
// image imported. Torn down by PID after every sandbox it holds is stopped and removed.

#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "nlohmann/json.hpp"
#include "tests/cri/cri_client.h"
#include "tests/harness/process.h"

namespace alcor::testing {

struct ContainerdOptions {
  std::string netns;                     // node namespace (name under /var/run/netns)
  nlohmann::json conflist;               // the one network configuration (net.d/10-*.conflist)
  std::vector<std::string> cni_plugins;  // binaries linked into the CNI bin dir
  std::vector<std::string> images;       // OCI archives imported into the k8s.io namespace
  std::string sandbox_image;             // name of the imported pause image
};

class ContainerdRuntime {
 public:
  static StatusOr<std::unique_ptr<ContainerdRuntime>> start(ContainerdOptions options);
  ~ContainerdRuntime();
  ContainerdRuntime(const ContainerdRuntime&) = delete;
  ContainerdRuntime& operator=(const ContainerdRuntime&) = delete;

  CriClient& cri() { return *cri_; }
  std::string socket() const { return dir_.path() + "/containerd.sock"; }
  std::string log() const { return dir_.path() + "/containerd.log"; }
  // Cgroup parent of this runtime's sandboxes (cgroupfs driver), removed at teardown.
  const std::string& cgroupParent() const { return cgroup_parent_; }
  std::string logDirectory(const std::string& pod_uid) const;
  // libcni's cached ADD results of this runtime's network still on the host (a fixed path,
  // /var/lib/cni/results, that containerd 1.6 cannot move).
  std::vector<std::string> cachedResults() const;
  // What kubelet does to every sandbox it forgets: stop (twice, as it does on a pod's deletion)
  // and remove. Returns the first error.
  Status removeAllSandboxes();

 private:
  ContainerdRuntime() = default;
  Status writeConfig(const ContainerdOptions& options);
  void unmountUnderDir();

  TempDir dir_{"alcor-containerd"};
  Daemon daemon_;
  std::unique_ptr<CriClient> cri_;
  std::string cgroup_parent_;
  std::string network_;
  bool cni_cache_existed_ = false;
};

}  // namespace alcor::testing
