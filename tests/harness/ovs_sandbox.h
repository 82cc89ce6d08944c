#pragma once

// An isolated Open vSwitch (ovsdb-server + ovs-vswitchd, userspace datapath) inside one network
// namespace, with its own run directory. Daemons are the test's children, stopped by PID. After a
// test the logs are checked: WARN/ERR/EMER lines that no allowlist pattern matches fail the test
// (the habit of OVS's own system tests).

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "tests/harness/process.h"

namespace alcor::testing {

class OvsSandbox {
 public:
  // Starts OVS in `netns` (empty: the test's namespace, only for tests that own it).
  static StatusOr<std::unique_ptr<OvsSandbox>> start(const std::string& netns);
  ~OvsSandbox();
  OvsSandbox(const OvsSandbox&) = delete;
  OvsSandbox& operator=(const OvsSandbox&) = delete;

  const std::string& runDir() const { return run_dir_; }
  const std::string& netns() const { return netns_; }
  std::string dbSocketPath() const { return run_dir_ + "/db.sock"; }
  std::string dbTarget() const { return "unix:" + dbSocketPath(); }
  std::string mgmtSocketPath(const std::string& bridge) const {
    return run_dir_ + "/" + bridge + ".mgmt";
  }
  std::string mgmtTarget(const std::string& bridge) const {
    return "unix:" + mgmtSocketPath(bridge);
  }
  pid_t ovsdbPid() const { return ovsdb_.pid(); }
  pid_t vswitchdPid() const { return vswitchd_.pid(); }

  // The OVS tools, pointed at this instance (used as independent oracles by tests).
  CommandResult vsctl(const std::vector<std::string>& args) const;
  CommandResult ofctl(const std::vector<std::string>& args) const;   // adds -O OpenFlow15
  CommandResult appctl(const std::vector<std::string>& args) const;  // to ovs-vswitchd

  // A netdev bridge (fail_mode secure unless told otherwise).
  Status addBridge(const std::string& bridge, bool secure = true);
  // Flows of `bridge` as ovs-ofctl prints them, minus the statistics, one per line, sorted.
  std::vector<std::string> dumpFlows(const std::string& bridge,
                                     const std::string& filter = "") const;

  // Restart ovs-vswitchd only (the database and its contents stay).
  Status restartVswitchd();
  Status killVswitchd();  // SIGKILL, for crash tests; restartVswitchd() brings it back
  // ovs-vswitchd alone stopped (`exit`, as on its container's stop), then started again.
  Status stopVswitchd();
  Status startVswitchd();

  void allowLogPattern(const std::string& regex);
  std::vector<std::string> unexpectedLogLines() const;

  // Stops both daemons (vswitchd with `exit --cleanup`, removing its datapath devices).
  Status stop();

 private:
  OvsSandbox() = default;
  RunOptions toolOptions() const;

  std::string netns_;
  std::string run_dir_;
  Daemon ovsdb_;
  Daemon vswitchd_;
  std::vector<std::regex> allowed_;
  bool stopped_ = false;
};

}  // namespace alcor::testing
