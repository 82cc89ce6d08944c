#pragma once

// podman as a real CNI runtime for end-to-end tests, configured hermetically (recipe:
// shared/docs/env.md §5): its own storage root, runroot, tmpdir, containers.conf and network
// config dir inside a temp dir, the CNI backend with runc, and a busybox rootfs built locally
// (no registry). Nothing is written to the host's podman configuration.
//
// podman runs in a given network namespace entered with setns() only. `ip netns exec` would not
// do: it remounts /sys for the namespace, which hides the cgroup mounts from runc ("runc create
// failed: no cgroup mount found in mountinfo").

#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "nlohmann/json.hpp"
#include "tests/harness/process.h"

namespace alcor::testing {

struct PodmanOptions {
  std::string netns;                     // where podman (and so the CNI plugins) run
  nlohmann::json conflist;               // written to <network config dir>/<name>.conflist
  std::vector<std::string> cni_plugins;  // absolute paths, linked into a private CNI bin dir
};

class PodmanRuntime {
 public:
  static StatusOr<std::unique_ptr<PodmanRuntime>> create(PodmanOptions options);
  ~PodmanRuntime();  // removes every container it started (podman rm -af), then its files
  PodmanRuntime(const PodmanRuntime&) = delete;
  PodmanRuntime& operator=(const PodmanRuntime&) = delete;

  // `podman <global hermetic flags> <args>` in the namespace.
  CommandResult podman(const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;
  // Starts a detached busybox container on the conflist's network running `sleep`.
  // `extra` goes before the rootfs (e.g. {"-p", "18080:8080"}).
  CommandResult runSleeper(const std::string& name, const std::vector<std::string>& extra = {});
  // The container's IPv4 address on eth0, empty when it has none.
  std::string ipOf(const std::string& name) const;

  const std::string& rootfs() const { return rootfs_; }
  std::string networkName() const { return options_.conflist.value("name", ""); }

 private:
  explicit PodmanRuntime(PodmanOptions options) : options_(std::move(options)) {}
  Status writeFiles();

  PodmanOptions options_;
  TempDir dir_{"alcor-podman"};
  std::string rootfs_;
};

// A minimal rootfs: busybox-static plus one symlink per applet, and the usual empty dirs.
Status buildBusyboxRootfs(const std::string& dir);

}  // namespace alcor::testing
