#include "tests/harness/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

namespace alcor::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Runs in the forked child: enter the netns, die with the parent, set env, exec.
[[noreturn]] void execChild(const std::vector<std::string>& argv, const RunOptions& options) {
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (!options.netns.empty()) {
    std::string path = "/var/run/netns/" + options.netns;
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) {
      dprintf(2, "harness: cannot enter netns %s: %s\n", options.netns.c_str(), strerror(errno));
      _exit(127);
    }
    close(fd);
  }
  for (const auto& [k, v] : options.env) setenv(k.c_str(), v.c_str(), 1);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  dprintf(2, "harness: exec %s failed: %s\n", args[0], strerror(errno));
  _exit(127);
}

int decodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return -WTERMSIG(status);
  return -1;
}

}  // namespace

std::string CommandResult::describe() const {
  return "exit " + std::to_string(exit_code) + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" +
         err;
}

CommandResult run(const std::vector<std::string>& argv, const RunOptions& options) {
  CommandResult result;
  int in_pipe[2], out_pipe[2], err_pipe[2];
  if (pipe2(in_pipe, O_CLOEXEC) || pipe2(out_pipe, O_CLOEXEC) || pipe2(err_pipe, O_CLOEXEC)) {
    result.err = "pipe failed";
    return result;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    execChild(argv, options);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (pid < 0) {
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    result.err = "fork failed";
    return result;
  }
  // Feed stdin and drain both outputs without deadlocking on full pipes.
  size_t written = 0;
  int in_fd = in_pipe[1];
  if (options.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  } else {
    fcntl(in_fd, F_SETFL, O_NONBLOCK);
  }
  auto deadline = Clock::now() + options.timeout;
  bool out_open = true, err_open = true, killed = false;
  char buf[65536];
  while (out_open || err_open) {
    pollfd fds[3];
    int n = 0;
    int out_idx = -1, err_idx = -1, in_idx = -1;
    if (out_open) fds[out_idx = n++] = {out_pipe[0], POLLIN, 0};
    if (err_open) fds[err_idx = n++] = {err_pipe[0], POLLIN, 0};
    if (in_fd >= 0) fds[in_idx = n++] = {in_fd, POLLOUT, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      killed = true;
      break;
    }
    if (poll(fds, n, static_cast<int>(std::min<int64_t>(left.count(), 1000))) < 0 &&
        errno != EINTR) {
      break;
    }
    auto drain = [&](int idx, int fd, std::string& sink, bool& open_flag) {
      if (idx < 0 || !(fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) return;
      ssize_t r = read(fd, buf, sizeof(buf));
      if (r > 0) {
        sink.append(buf, static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        open_flag = false;
      }
    };
    drain(out_idx, out_pipe[0], result.out, out_open);
    drain(err_idx, err_pipe[0], result.err, err_open);
    if (in_idx >= 0 && (fds[in_idx].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t w =
          write(in_fd, options.stdin_data.data() + written, options.stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if (w < 0 || written == options.stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
  }
  if (in_fd >= 0) close(in_fd);
  close(out_pipe[0]);
  close(err_pipe[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = killed ? -1 : decodeWaitStatus(status);
  if (killed) result.err += "\nharness: killed after timeout";
  return result;
}

CommandResult shell(const std::string& script, const RunOptions& options) {
  return run({"bash", "-c", script}, options);
}

Daemon::~Daemon() {
  if (pid_ > 0) stop();
}

Daemon::Daemon(Daemon&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), status_(other.status_) {}

Daemon& Daemon::operator=(Daemon&& other) noexcept {
  if (this != &other) {
    if (pid_ > 0) stop();
    pid_ = std::exchange(other.pid_, -1);
    status_ = other.status_;
  }
  return *this;
}

StatusOr<Daemon> Daemon::start(const std::vector<std::string>& argv, const std::string& log_path,
                               const RunOptions& options) {
  int log_fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return internalError("cannot open " + log_path + ": " + strerror(errno));
  pid_t pid = fork();
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    dup2(log_fd, 1);
    dup2(log_fd, 2);
    setpgid(0, 0);  // its own group, so a terminal's Ctrl-C reaches only the test
    execChild(argv, options);
  }
  close(log_fd);
  if (pid < 0) return internalError("fork failed");
  Daemon d;
  d.pid_ = pid;
  return d;
}

bool Daemon::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    status_ = decodeWaitStatus(status);
    pid_ = -1;
    return false;
  }
  return true;
}

int Daemon::wait(std::chrono::milliseconds timeout) {
  waitFor([&] { return !running(); }, timeout);
  return pid_ > 0 ? -1000 : status_;
}

int Daemon::stop(std::chrono::milliseconds grace) {
  if (!running()) return status_;
  ::kill(pid_, SIGTERM);
  if (!waitFor([&] { return !running(); }, grace)) return kill();
  return status_;
}

int Daemon::kill() {
  if (!running()) return status_;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  status_ = decodeWaitStatus(status);
  pid_ = -1;
  return status_;
}

bool waitFor(const std::function<bool()>& probe, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (true) {
    if (probe()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string uniqueName(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  static const char* kDigits = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string pid36;
  for (unsigned p = static_cast<unsigned>(getpid()); p; p /= 36) {
    pid36.insert(pid36.begin(), kDigits[p % 36]);
  }
  unsigned n = counter.fetch_add(1) % (36 * 36);
  return prefix + pid36 + kDigits[n / 36] + kDigits[n % 36];
}

TempDir::TempDir(const std::string& prefix) {
  std::string tmpl = std::filesystem::temp_directory_path().string() + "/" + prefix + "-XXXXXX";
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data())) path_ = buf.data();
}

TempDir::~TempDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

}  // namespace alcor::testing
