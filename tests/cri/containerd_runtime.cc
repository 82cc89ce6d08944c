#include "tests/cri/containerd_runtime.h"

#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/base/strings.h"

namespace alcor::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kCgroupRoot = "/sys/fs/cgroup";
constexpr const char* kCniCache = "/var/lib/cni";

// Mount points at or below `dir`, deepest first.
std::vector<std::string> mountsUnder(const std::string& dir) {
  std::vector<std::string> out;
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string id, parent, devs, root, mount_point;
    fields >> id >> parent >> devs >> root >> mount_point;
    if (startsWith(mount_point, dir + "/")) out.push_back(mount_point);
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.size() > b.size(); });
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<ContainerdRuntime>> ContainerdRuntime::start(ContainerdOptions options) {
  std::unique_ptr<ContainerdRuntime> rt(new ContainerdRuntime());
  if (rt->dir_.path().empty()) return internalError("cannot create a temp dir for containerd");
  rt->cgroup_parent_ = "/" + uniqueName("alcri");
  rt->network_ = options.conflist.value("name", "");
  rt->cni_cache_existed_ = fs::exists(kCniCache);
  RETURN_IF_ERROR(rt->writeConfig(options));

  RunOptions in_node;
  in_node.netns = options.netns;
  ASSIGN_OR_RETURN(rt->daemon_,
                   Daemon::start({"containerd", "--config", rt->dir_.path() + "/config.toml"},
                                 rt->log(), in_node));
  rt->cri_ = std::make_unique<CriClient>(rt->socket());
  bool up = waitFor([&] { return !rt->daemon_.running() || rt->cri_->version().ok(); },
                    std::chrono::seconds(30));
  if (!up || !rt->daemon_.running()) {
    return internalError("containerd did not start; log: " + rt->log());
  }
  for (const auto& archive : options.images) {
    auto r = run({"ctr", "--address", rt->socket(), "-n", "k8s.io", "images", "import", archive});
    if (!r.ok()) return internalError("ctr images import " + archive + ": " + r.describe());
  }
  // NetworkReady turns true once the CRI plugin has loaded the conflist (it watches net.d).
  bool network_ready = waitFor(
      [&] {
        auto s = rt->cri_->status();
        return s.ok() && conditionTrue(*s, "NetworkReady");
      },
      std::chrono::seconds(15));
  if (!network_ready) {
    return internalError("containerd never reported NetworkReady; log: " + rt->log());
  }
  return rt;
}

Status ContainerdRuntime::writeConfig(const ContainerdOptions& options) {
  const std::string& d = dir_.path();
  fs::create_directories(d + "/cni/bin");
  fs::create_directories(d + "/cni/net.d");
  fs::create_directories(d + "/pods");
  for (const auto& plugin : options.cni_plugins) {
    std::error_code ec;
    fs::create_symlink(plugin, d + "/cni/bin/" + fs::path(plugin).filename().string(), ec);
    if (ec) return internalError("link CNI plugin " + plugin + ": " + ec.message());
  }
  std::ofstream(d + "/cni/net.d/10-test.conflist") << options.conflist.dump(2);
  // restrict_oom_score_adj: this VM lacks CAP_SYS_RESOURCE, runc could not lower the score.
  // Pod network namespaces stay under /var/run/netns as with a stock containerd.
  std::ofstream config(d + "/config.toml");
  config << "version = 2\n"
         << "root = \"" << d << "/root\"\n"
         << "state = \"" << d << "/state\"\n"
         << "disabled_plugins = [\"io.containerd.snapshotter.v1.btrfs\", "
            "\"io.containerd.snapshotter.v1.zfs\", \"io.containerd.snapshotter.v1.devmapper\", "
            "\"io.containerd.snapshotter.v1.aufs\", \"io.containerd.internal.v1.tracing\"]\n"
         << "[grpc]\n  address = \"" << socket() << "\"\n"
         << "[ttrpc]\n  address = \"" << socket() << ".ttrpc\"\n"
         << "[plugins.\"io.containerd.internal.v1.opt\"]\n  path = \"" << d << "/opt\"\n"
         << "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
         << "  sandbox_image = \"" << options.sandbox_image << "\"\n"
         << "  restrict_oom_score_adj = true\n"
         << "  stream_server_address = \"127.0.0.1\"\n"
         << "  stream_server_port = \"0\"\n"
         << "  [plugins.\"io.containerd.grpc.v1.cri\".cni]\n"
         << "    bin_dir = \"" << d << "/cni/bin\"\n"
         << "    conf_dir = \"" << d << "/cni/net.d\"\n"
         << "  [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
         << "    runtime_type = \"io.containerd.runc.v2\"\n";
  if (!config) return internalError("cannot write " + d + "/config.toml");
  return okStatus();
}

std::string ContainerdRuntime::logDirectory(const std::string& pod_uid) const {
  std::string dir = dir_.path() + "/pods/" + pod_uid;
  fs::create_directories(dir);
  return dir;
}

Status ContainerdRuntime::removeAllSandboxes() {
  ASSIGN_OR_RETURN(auto sandboxes, cri_->listPodSandbox());
  Status first = okStatus();
  for (const auto& s : sandboxes) {
    Status st = cri_->stopPodSandbox(s.id());
    if (st.ok()) st = cri_->stopPodSandbox(s.id());
    if (st.ok()) st = cri_->removePodSandbox(s.id());
    if (!st.ok() && first.ok()) first = st;
  }
  return first;
}

std::vector<std::string> ContainerdRuntime::cachedResults() const {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(std::string(kCniCache) + "/results", ec)) {
    if (startsWith(e.path().filename().string(), network_ + "-")) out.push_back(e.path());
  }
  return out;
}

void ContainerdRuntime::unmountUnderDir() {
  for (const auto& m : mountsUnder(dir_.path())) umount2(m.c_str(), MNT_DETACH);
}

ContainerdRuntime::~ContainerdRuntime() {
  // Sandboxes first: their shims outlive containerd otherwise.
  if (cri_ && daemon_.running()) (void)removeAllSandboxes();
  daemon_.stop();
  unmountUnderDir();
  std::error_code ec;
  for (const auto& cached : cachedResults()) fs::remove(cached, ec);
  if (!cni_cache_existed_) {  // only when empty: another runtime may be using it
    fs::remove(std::string(kCniCache) + "/results", ec);
    fs::remove(kCniCache, ec);
  }
  for (const auto& hierarchy : fs::directory_iterator(kCgroupRoot, ec)) {
    fs::path dir = hierarchy.path().string() + cgroup_parent_;
    if (!fs::exists(dir)) continue;
    // Leaf cgroups of removed sandboxes are gone already; remove what runc left, deepest first.
    std::vector<fs::path> dirs;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
      if (e.is_directory()) dirs.push_back(e.path());
    }
    std::sort(dirs.begin(), dirs.end(),
              [](const auto& a, const auto& b) { return a.string().size() > b.string().size(); });
    for (const auto& sub : dirs) rmdir(sub.c_str());
    rmdir(dir.c_str());
  }
}

}  // namespace alcor::testing
