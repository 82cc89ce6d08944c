#include "tests/e2e/podman/podman_runtime.h"

#include <filesystem>
#include <fstream>

#include "lib/base/strings.h"

namespace alcor::testing {
namespace fs = std::filesystem;

Status buildBusyboxRootfs(const std::string& dir) {
  std::error_code ec;
  for (const char* sub : {"bin", "etc", "proc", "sys", "dev", "tmp"}) {
    fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) return internalError("mkdir " + dir + "/" + sub + ": " + ec.message());
  }
  const fs::path busybox = fs::path(dir) / "bin/busybox";
  fs::copy_file("/bin/busybox", busybox, fs::copy_options::overwrite_existing, ec);
  if (ec) return internalError("copy /bin/busybox (busybox-static installed?): " + ec.message());
  auto list = run({busybox.string(), "--list"});
  if (!list.ok()) return internalError("busybox --list: " + list.describe());
  for (auto applet : splitString(list.out, '\n')) {
    // Linking `busybox` to itself would make a symlink loop.
    if (applet.empty() || applet == "busybox") continue;
    fs::create_symlink("busybox", fs::path(dir) / "bin" / std::string(applet), ec);
    if (ec) return internalError("symlink " + std::string(applet) + ": " + ec.message());
  }
  return okStatus();
}

StatusOr<std::unique_ptr<PodmanRuntime>> PodmanRuntime::create(PodmanOptions options) {
  if (options.netns.empty()) return invalidArgumentError("PodmanRuntime needs a netns");
  if (!options.conflist.contains("name")) return invalidArgumentError("conflist has no name");
  std::unique_ptr<PodmanRuntime> p(new PodmanRuntime(std::move(options)));
  RETURN_IF_ERROR(p->writeFiles());
  return p;
}

Status PodmanRuntime::writeFiles() {
  const std::string root = dir_.path();
  std::error_code ec;
  for (const char* sub : {"net.d", "cnibin", "storage", "run", "tmp"}) {
    fs::create_directories(root + "/" + sub, ec);
    if (ec) return internalError("mkdir " + root + "/" + sub + ": " + ec.message());
  }
  for (const auto& plugin : options_.cni_plugins) {
    fs::create_symlink(plugin, fs::path(root) / "cnibin" / fs::path(plugin).filename(), ec);
    if (ec) return internalError("link CNI plugin " + plugin + ": " + ec.message());
  }
  // ulimits: the sandbox's hard nofile limit is below podman's default; runc: crun refuses
  // hybrid cgroups. Only our CNI bin dir is searched, so no stray plugin is picked up.
  std::ofstream conf(root + "/containers.conf");
  conf << "[containers]\n"
       << "default_ulimits = [\"nofile=20000:20000\", \"nproc=32768:32768\"]\n"
       << "[engine]\n"
       << "runtime = \"runc\"\n"
       << "events_logger = \"none\"\n"
       << "[network]\n"
       << "network_backend = \"cni\"\n"
       << "cni_plugin_dirs = [\"" << root << "/cnibin\"]\n"
       << "network_config_dir = \"" << root << "/net.d\"\n";
  std::ofstream(root + "/net.d/" + networkName() + ".conflist") << options_.conflist.dump(2);
  // Our own storage and registries files, so the host's /etc/containers ones are not read.
  std::ofstream(root + "/storage.conf") << "[storage]\ndriver = \"vfs\"\n"
                                        << "graphroot = \"" << root << "/storage\"\n"
                                        << "runroot = \"" << root << "/run\"\n";
  std::ofstream(root + "/registries.conf") << "";
  if (!conf) return internalError("cannot write " + root + "/containers.conf");
  rootfs_ = root + "/rootfs";
  return buildBusyboxRootfs(rootfs_);
}

PodmanRuntime::~PodmanRuntime() {
  auto r = podman({"rm", "-a", "-f", "-t", "0"});
  (void)r;  // best effort: the test has already asserted what it needed
}

CommandResult PodmanRuntime::podman(const std::vector<std::string>& args,
                                    std::chrono::milliseconds timeout) const {
  const std::string root = dir_.path();
  std::vector<std::string> argv = {"podman",
                                   "--root=" + root + "/storage",
                                   "--runroot=" + root + "/run",
                                   "--tmpdir=" + root + "/tmp",
                                   "--network-config-dir=" + root + "/net.d",
                                   "--storage-driver=vfs",
                                   "--cgroup-manager=cgroupfs",
                                   "--events-backend=none"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunOptions o;
  o.netns = options_.netns;
  o.env = {{"CONTAINERS_CONF", root + "/containers.conf"},
           // Keep podman away from the host's registries/storage/policy files.
           {"CONTAINERS_REGISTRIES_CONF", root + "/registries.conf"},
           {"CONTAINERS_STORAGE_CONF", root + "/storage.conf"}};
  o.timeout = timeout;
  return run(argv, o);
}

CommandResult PodmanRuntime::runSleeper(const std::string& name,
                                        const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"run",       "-d",          "--name",    name,
                                   "--network", networkName(), "--cap-add", "NET_RAW"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"--rootfs", rootfs_, "/bin/sleep", "3600"});
  return podman(args, std::chrono::seconds(120));
}

std::string PodmanRuntime::ipOf(const std::string& name) const {
  auto r = podman({"exec", name, "/bin/ip", "-4", "-o", "addr", "show", "dev", "eth0"});
  // "2: eth0    inet 10.0.1.3/24 brd ... scope global eth0"
  auto pos = r.out.find("inet ");
  if (!r.ok() || pos == std::string::npos) return "";
  auto start = pos + 5;
  return r.out.substr(start, r.out.find('/', start) - start);
}

}  // namespace alcor::testing
