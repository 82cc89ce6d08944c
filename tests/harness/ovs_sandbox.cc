#include "tests/harness/ovs_sandbox.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "lib/base/strings.h"

namespace alcor::testing {
namespace {

constexpr const char* kSchema = "/usr/share/openvswitch/vswitch.ovsschema";

bool canConnect(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path.c_str());
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  close(fd);
  return ok;
}

// Lines the userspace datapath prints in every healthy sandbox.
const char* kAlwaysAllowed[] = {
    // No kernel module here: the system datapath probe fails once.
    "Generic Netlink family 'ovs_datapath' does not exist",
    "Failed to enable flow tables dump",
    // Datapath capability probes of the netdev datapath.
    "dpif_netdev.*probe",
    // `exit --cleanup` races with port deletion.
    "ioctl\\(SIOCGIFINDEX\\) on .* device failed: No such device",
};

}  // namespace

StatusOr<std::unique_ptr<OvsSandbox>> OvsSandbox::start(const std::string& netns) {
  std::unique_ptr<OvsSandbox> s(new OvsSandbox());
  s->netns_ = netns;
  char tmpl[] = "/tmp/alcor-ovs-XXXXXX";
  if (!mkdtemp(tmpl)) return internalError("mkdtemp failed");
  s->run_dir_ = tmpl;
  for (const char* p : kAlwaysAllowed) s->allowed_.emplace_back(p);
  const std::string& d = s->run_dir_;

  auto r = run({"ovsdb-tool", "create", d + "/conf.db", kSchema});
  if (!r.ok()) return internalError("ovsdb-tool create: " + r.err);

  RunOptions o = s->toolOptions();
  auto db =
      Daemon::start({"ovsdb-server", d + "/conf.db", "--remote=punix:" + d + "/db.sock",
                     "--pidfile=" + d + "/ovsdb-server.pid", "--unixctl=" + d + "/ovsdb-server.ctl",
                     "--log-file=" + d + "/ovsdb-server.log", "-vconsole:off"},
                    d + "/ovsdb-server.out", o);
  if (!db.ok()) return db.status();
  s->ovsdb_ = std::move(db).value();
  if (!waitFor([&] { return canConnect(d + "/db.sock"); }, std::chrono::seconds(10))) {
    return internalError("ovsdb-server did not open " + d + "/db.sock");
  }
  r = s->vsctl({"--no-wait", "init"});
  if (!r.ok()) return internalError("ovs-vsctl init: " + r.err);
  RETURN_IF_ERROR(s->startVswitchd());
  return s;
}

Status OvsSandbox::startVswitchd() {
  const std::string& d = run_dir_;
  auto vs =
      Daemon::start({"ovs-vswitchd", dbTarget(), "--pidfile=" + d + "/ovs-vswitchd.pid",
                     "--unixctl=" + d + "/ovs-vswitchd.ctl",
                     "--log-file=" + d + "/ovs-vswitchd.log", "-vconsole:off", "--disable-system"},
                    d + "/ovs-vswitchd.out", toolOptions());
  if (!vs.ok()) return vs.status();
  vswitchd_ = std::move(vs).value();
  if (!waitFor([&] { return canConnect(d + "/ovs-vswitchd.ctl"); }, std::chrono::seconds(10))) {
    return internalError("ovs-vswitchd did not open its control socket in " + d);
  }
  return okStatus();
}

OvsSandbox::~OvsSandbox() {
  if (!stopped_) (void)stop();
  std::error_code ec;
  std::filesystem::remove_all(run_dir_, ec);
}

RunOptions OvsSandbox::toolOptions() const {
  RunOptions o;
  o.netns = netns_;
  o.env["OVS_RUNDIR"] = run_dir_;
  o.env["OVS_DBDIR"] = run_dir_;
  o.env["OVS_LOGDIR"] = run_dir_;
  o.timeout = std::chrono::seconds(30);
  return o;
}

CommandResult OvsSandbox::vsctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ovs-vsctl", "--db=" + dbTarget(), "--timeout=20"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, toolOptions());
}

CommandResult OvsSandbox::ofctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ovs-ofctl", "-O", "OpenFlow15"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, toolOptions());
}

CommandResult OvsSandbox::appctl(const std::vector<std::string>& args) const {
  std::vector<std::string> argv = {"ovs-appctl", "-t", run_dir_ + "/ovs-vswitchd.ctl"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run(argv, toolOptions());
}

Status OvsSandbox::addBridge(const std::string& bridge, bool secure) {
  std::vector<std::string> args = {
      "add-br", bridge, "--", "set", "bridge", bridge, "datapath_type=netdev"};
  if (secure) args.push_back("fail_mode=secure");
  auto r = vsctl(args);
  // ovs-vsctl exits 0 even when vswitchd fails to create the bridge; check stderr too.
  if (!r.ok() || r.err.find("Error") != std::string::npos) {
    return internalError("add-br " + bridge + ": " + r.err);
  }
  return okStatus();
}

std::vector<std::string> OvsSandbox::dumpFlows(const std::string& bridge,
                                               const std::string& filter) const {
  std::vector<std::string> args = {"--no-stats", "dump-flows", bridge};
  if (!filter.empty()) args.push_back(filter);
  auto r = ofctl(args);
  std::vector<std::string> flows;
  for (auto line : splitString(r.out, '\n')) {
    auto t = trimSpace(line);
    if (t.empty() || startsWith(t, "OFPST_FLOW") || startsWith(t, "NXST_FLOW")) continue;
    flows.emplace_back(t);
  }
  std::sort(flows.begin(), flows.end());
  return flows;
}

Status OvsSandbox::restartVswitchd() {
  RETURN_IF_ERROR(stopVswitchd());
  return startVswitchd();
}

Status OvsSandbox::stopVswitchd() {
  if (vswitchd_.running()) {
    appctl({"exit"});
    if (vswitchd_.wait(std::chrono::seconds(10)) == -1000) vswitchd_.kill();
  }
  return okStatus();
}

Status OvsSandbox::killVswitchd() {
  vswitchd_.kill();
  return okStatus();
}

void OvsSandbox::allowLogPattern(const std::string& regex) { allowed_.emplace_back(regex); }

std::vector<std::string> OvsSandbox::unexpectedLogLines() const {
  std::vector<std::string> bad;
  for (const char* log : {"/ovs-vswitchd.log", "/ovsdb-server.log"}) {
    std::ifstream in(run_dir_ + log);
    std::string line;
    while (std::getline(in, line)) {
      bool serious = line.find("|WARN|") != std::string::npos ||
                     line.find("|ERR|") != std::string::npos ||
                     line.find("|EMER|") != std::string::npos;
      if (!serious) continue;
      bool allowed = std::any_of(allowed_.begin(), allowed_.end(),
                                 [&](const std::regex& re) { return std::regex_search(line, re); });
      if (!allowed) bad.push_back(line);
    }
  }
  return bad;
}

Status OvsSandbox::stop() {
  if (stopped_) return okStatus();
  stopped_ = true;
  if (vswitchd_.running()) {
    appctl({"exit", "--cleanup"});
    if (vswitchd_.wait(std::chrono::seconds(10)) == -1000) vswitchd_.kill();
  }
  if (ovsdb_.running()) {
    run({"ovs-appctl", "-t", run_dir_ + "/ovsdb-server.ctl", "exit"}, toolOptions());
    if (ovsdb_.wait(std::chrono::seconds(10)) == -1000) ovsdb_.kill();
  }
  return okStatus();
}

}  // namespace alcor::testing
