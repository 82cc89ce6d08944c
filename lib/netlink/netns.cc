#include "lib/netlink/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "lib/base/unique_fd.h"

namespace alcor::netlink {

std::string netnsPath(const std::string& netns) {
  if (netns.empty() || netns.find('/') != std::string::npos) return netns;
  return "/var/run/netns/" + netns;
}

bool netnsExists(const std::string& netns) {
  if (netns.empty()) return true;
  int fd = ::open(netnsPath(netns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

Status runInNetns(const std::string& netns, const std::function<Status()>& fn) {
  if (netns.empty()) return fn();
  std::string path = netnsPath(netns);
  int raw = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (raw < 0) {
    int err = errno;
    std::string msg = "network namespace " + path + ": " + std::strerror(err);
    return err == ENOENT ? notFoundError(msg) : unavailableError(msg);
  }
  UniqueFd fd(raw);
  Status result;
  // A fresh thread enters the namespace and dies with it: the calling thread (and every pooled
  // thread) stays where it was, whatever fn does or however it fails.
  std::thread worker([&] {
    if (::setns(fd.get(), CLONE_NEWNET) != 0) {
      result = internalError("setns(" + path + "): " + std::strerror(errno));
      return;
    }
    result = fn();
  });
  worker.join();
  return result;
}

}  // namespace alcor::netlink
