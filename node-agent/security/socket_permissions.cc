#include "node-agent/security/socket_permissions.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace alcor::agent {

Status restrictSocket(const std::string& path) {
  if (chmod(path.c_str(), 0600) != 0) {
    return failedPreconditionError("chmod 0600 " + path + ": " + std::strerror(errno));
  }
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) {
    return failedPreconditionError("stat " + path + ": " + std::strerror(errno));
  }
  if (!S_ISSOCK(st.st_mode)) return failedPreconditionError(path + " is not a unix socket");
  if (st.st_uid != geteuid()) {
    return failedPreconditionError(path + " is owned by uid " + std::to_string(st.st_uid) +
                                   ", not by the agent");
  }
  if ((st.st_mode & 07777) != 0600) {
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", st.st_mode & 07777);
    return failedPreconditionError(path + " has mode " + mode + ", not 0600");
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  struct stat d;
  if (stat(dir.c_str(), &d) != 0) {
    return failedPreconditionError("stat " + dir + ": " + std::strerror(errno));
  }
  if ((d.st_mode & (S_IWGRP | S_IWOTH)) != 0 && (d.st_mode & S_ISVTX) == 0) {
    return failedPreconditionError("the socket directory " + dir +
                                   " is writable by other users: the socket could be replaced");
  }
  return okStatus();
}

}  // namespace alcor::agent
