#include "lib/netlink/netns.h"

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
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

bool isNetworkNamespace(const std::string& netns) {
  if (netns.empty()) return true;
  UniqueFd fd(::open(netnsPath(netns).c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
  if (type >= 0) return type == CLONE_NEWNET;
  // Kernels before 4.11 have no NS_GET_NSTYPE: any nsfs file will do.
  constexpr long kNsfsMagic = 0x6e736673;
  struct statfs fs {};
  return ::fstatfs(fd.get(), &fs) == 0 && static_cast<long>(fs.f_type) == kNsfsMagic;
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
