#pragma once

// Keeps a handler's copy of one Kubernetes collection current, as client-go's reflector does:
// list (in pages) at a resourceVersion, then watch from it; every event moves the version on
// (bookmarks too). A watch the server ends is resumed from the last version; a version the
// server no longer has (410 Gone, as an HTTP status or an ERROR event) is answered by a fresh
// list, which the handler gets whole (replaceAll) so that deletions missed meanwhile are seen.
// Failures (unreachable, 5xx, RBAC) are logged and retried with exponential backoff. One thread
// per reflector; the handler is called from it only.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/backoff.h"
#include "lib/kubernetes/api_client.h"

namespace alcor::kubernetes {

struct ReflectorOptions {
  std::string collection;  // e.g. "/api/v1/pods", "/apis/networking.k8s.io/v1/networkpolicies"
  size_t page_size = 500;
  int watch_timeout_seconds = 300;  // the server ends each watch after this; it is then resumed
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
};

class ReflectorHandler {
 public:
  virtual ~ReflectorHandler() = default;
  // The whole collection (first list and every relist): replaces what the handler had.
  virtual void replaceAll(const std::vector<nlohmann::json>& items) = 0;
  // One change: type ADDED, MODIFIED or DELETED, with the object (its last state for DELETED).
  virtual void applyEvent(const std::string& type, const nlohmann::json& object) = 0;
};

struct ReflectorStats {
  uint64_t lists = 0;      // complete lists delivered
  uint64_t watches = 0;    // watch streams opened
  uint64_t gone = 0;       // relists because the version was too old (410)
  uint64_t failures = 0;   // failed lists or watches (retried with backoff)
  uint64_t events = 0;     // ADDED/MODIFIED/DELETED delivered
  std::string last_error;  // of the last failure
};

class Reflector {
 public:
  Reflector(ApiClient api, ReflectorOptions options, ReflectorHandler& handler);
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  void start();
  void stop();
  // True once a complete list was delivered.
  bool synced() const;
  ReflectorStats stats() const;

 private:
  void run();
  // Lists every page; delivers them with replaceAll. Returns the list's resourceVersion.
  StatusOr<std::string> list();
  // Watches from `version` (updated as events arrive) until the stream ends.
  Status watchFrom(std::string& version);
  // Waits `delay` unless stopped first; false when stopped.
  bool sleepFor(std::chrono::milliseconds delay);
  void fail(const Status& st);

  ApiClient api_;
  ReflectorOptions options_;
  ReflectorHandler& handler_;
  Backoff backoff_;
  WatchCanceller canceller_;

  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  bool synced_ = false;
  ReflectorStats stats_;
  std::thread thread_;
};

}  // namespace alcor::kubernetes
