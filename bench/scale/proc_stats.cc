#include "bench/scale/proc_stats.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/base/strings.h"

namespace alcor::bench {
namespace {

// Fields of /proc/<pid>/stat after the ")" that closes the command name (which may hold spaces).
std::vector<std::string> statFields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return {};
  auto close = line.rfind(')');
  if (close == std::string::npos) return {};
  std::istringstream rest(line.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;  // fields[0] is the state (field 3 of proc(5))
}

double statusKb(const std::string& text, const std::string& key) {
  auto at = text.find(key + ":");
  if (at == std::string::npos) return 0;
  std::istringstream in(text.substr(at + key.size() + 1));
  double kb = 0;
  in >> kb;
  return kb;
}

}  // namespace

ProcSample sampleProcess(pid_t pid) {
  ProcSample s;
  if (pid <= 0) return s;
  auto fields = statFields(pid);
  if (fields.size() < 13) return s;
  // utime and stime are fields 14 and 15 of proc(5): 11 and 12 after the state.
  double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  s.cpu_seconds = (std::stod(fields[11]) + std::stod(fields[12])) / ticks;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::stringstream text;
  text << in.rdbuf();
  s.rss_mb = statusKb(text.str(), "VmRSS") / 1024.0;
  s.peak_rss_mb = statusKb(text.str(), "VmHWM") / 1024.0;
  s.ok = true;
  return s;
}

pid_t findChildByExe(pid_t parent, const std::string& exe_name) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    auto pid = parseInt<pid_t>(entry.path().filename().string());
    if (!pid) continue;
    auto fields = statFields(*pid);
    if (fields.size() < 2 || parseInt<pid_t>(fields[1]) != parent) continue;
    auto exe = std::filesystem::read_symlink(entry.path() / "exe", ec);
    if (!ec && exe.filename() == exe_name) return *pid;
  }
  return -1;
}

void ProcWatch::begin() {
  auto s = sampleProcess(pid_);
  cpu_at_begin_ = s.cpu_seconds;
  max_rss_mb_ = s.rss_mb;
}

void ProcWatch::sample() {
  auto s = sampleProcess(pid_);
  if (s.ok) max_rss_mb_ = std::max(max_rss_mb_, s.rss_mb);
}

double ProcWatch::cpuSeconds() const {
  auto s = sampleProcess(pid_);
  return s.ok ? s.cpu_seconds - cpu_at_begin_ : 0;
}

}  // namespace alcor::bench
