#pragma once

// CPU time and memory of a process, read from /proc/<pid>/stat and /proc/<pid>/status, for the
// scale benchmark's controller / agent figures.

#include <sys/types.h>

#include <string>

namespace alcor::bench {

struct ProcSample {
  bool ok = false;
  double cpu_seconds = 0;  // utime + stime of all threads so far
  double rss_mb = 0;       // VmRSS now
  double peak_rss_mb = 0;  // VmHWM (high-water mark since the process started)
};

ProcSample sampleProcess(pid_t pid);

// Direct child of `parent` whose executable's file name is `exe_name` (e.g. the controller a
// harness started); -1 when there is none.
pid_t findChildByExe(pid_t parent, const std::string& exe_name);

// Tracks one process over a measurement: CPU used since begin(), highest RSS seen by sample().
class ProcWatch {
 public:
  explicit ProcWatch(pid_t pid = -1) : pid_(pid) {}
  void begin();
  void sample();  // call periodically while the load runs
  pid_t pid() const { return pid_; }
  double cpuSeconds() const;  // since begin()
  double maxRssMb() const { return max_rss_mb_; }

 private:
  pid_t pid_;
  double cpu_at_begin_ = 0;
  double max_rss_mb_ = 0;
};

}  // namespace alcor::bench
