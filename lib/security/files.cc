#include "lib/security/files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/base/unique_fd.h"

namespace alcor::security {

StatusOr<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return notFoundError("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

Status writeFileAtomically(const std::string& path, const std::string& content, mode_t mode) {
  std::error_code ec;
  auto dir = std::filesystem::path(path).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  if (ec) return internalError("cannot create " + dir.string() + ": " + ec.message());
  const std::string tmp = path + ".tmp";
  UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
  if (!fd.valid()) return internalError("cannot write " + tmp + ": " + std::strerror(errno));
  // The mode of an existing temporary file, or one narrowed by the umask, is set explicitly.
  if (fchmod(fd.get(), mode) != 0)
    return internalError("chmod " + tmp + ": " + std::strerror(errno));
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return internalError("cannot write " + tmp + ": " + std::strerror(errno));
    done += static_cast<size_t>(n);
  }
  if (fsync(fd.get()) != 0) return internalError("fsync " + tmp + ": " + std::strerror(errno));
  fd.reset();
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return internalError("cannot rename " + tmp + ": " + std::strerror(errno));
  }
  return okStatus();
}

}  // namespace alcor::security
