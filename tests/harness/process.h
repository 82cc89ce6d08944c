#pragma once

// Running commands and daemons from tests. Everything a test starts is its own child process,
// entered into the right network namespace with setns() before exec (no `ip netns exec` shell),
// marked to die with the test (PR_SET_PDEATHSIG), and stopped by its PID.

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "lib/base/status.h"

namespace alcor::testing {

struct CommandResult {
  int exit_code = -1;  // -1: did not run or was killed
  std::string out;
  std::string err;
  bool ok() const { return exit_code == 0; }
  std::string describe() const;  // exit code plus both streams, for assertion messages
};

struct RunOptions {
  std::string netns;                       // name under /var/run/netns, empty = current
  std::map<std::string, std::string> env;  // added to (and overriding) the environment
  std::string stdin_data;
  std::chrono::milliseconds timeout{60000};  // the child is killed after this
};

// Runs argv[0] (looked up in PATH) and waits for it.
CommandResult run(const std::vector<std::string>& argv, const RunOptions& options = {});
// Runs `bash -c script`.
CommandResult shell(const std::string& script, const RunOptions& options = {});

// A long-running child (a daemon in the foreground). Output goes to log_path.
class Daemon {
 public:
  Daemon() = default;
  ~Daemon();
  Daemon(Daemon&& other) noexcept;
  Daemon& operator=(Daemon&& other) noexcept;
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  static StatusOr<Daemon> start(const std::vector<std::string>& argv, const std::string& log_path,
                                const RunOptions& options = {});

  pid_t pid() const { return pid_; }
  bool running();
  // SIGTERM, then SIGKILL after grace; reaps the child. Returns the exit status (or -signal).
  int stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
  // SIGKILL without grace (crash simulation); reaps the child.
  int kill();
  // Waits for the child to exit by itself.
  int wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

// Polls `probe` every 10 ms until it returns true or the timeout passes.
bool waitFor(const std::function<bool()>& probe, std::chrono::milliseconds timeout);

// A name unique to this test process: "<prefix><pid-base36><counter>", at most 15 characters
// with prefixes of up to 6, so it also fits Linux interface names.
std::string uniqueName(const std::string& prefix);

// Fresh temporary directory (removed by the caller or by TempDir).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "alcor-test");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace alcor::testing
