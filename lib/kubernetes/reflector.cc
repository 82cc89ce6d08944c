#include "lib/kubernetes/reflector.h"

#include "lib/base/logging.h"

namespace alcor::kubernetes {
namespace {

std::string percentEncode(const std::string& s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string versionOf(const nlohmann::json& object) {
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return "";
  auto rv = meta->find("resourceVersion");
  return rv != meta->end() && rv->is_string() ? rv->get<std::string>() : "";
}

}  // namespace

Reflector::Reflector(ApiClient api, ReflectorOptions options, ReflectorHandler& handler)
    : api_(std::move(api)),
      options_(std::move(options)),
      handler_(handler),
      backoff_(options_.initial_backoff, options_.max_backoff) {}

Reflector::~Reflector() { stop(); }

void Reflector::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void Reflector::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  canceller_.cancel();
  if (thread_.joinable()) thread_.join();
}

bool Reflector::synced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

ReflectorStats Reflector::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool Reflector::sleepFor(std::chrono::milliseconds delay) {
  std::unique_lock lock(mu_);
  return !stop_cv_.wait_for(lock, delay, [this] { return stopping_; });
}

void Reflector::fail(const Status& st) {
  {
    std::lock_guard lock(mu_);
    ++stats_.failures;
    stats_.last_error = st.message();
  }
  auto delay = backoff_.nextDelay();
  ALOG(Warn, Kubernetes) << options_.collection << ": " << st.message() << "; retrying in "
                         << delay.count() << " ms";
  sleepFor(delay);
}

StatusOr<std::string> Reflector::list() {
  std::vector<nlohmann::json> items;
  std::string cont;
  std::string version;
  do {
    std::string path = options_.collection + "?limit=" + std::to_string(options_.page_size);
    if (!cont.empty()) path += "&continue=" + percentEncode(cont);
    ASSIGN_OR_RETURN(nlohmann::json page, api_.get(path));
    auto list_items = page.find("items");
    if (list_items != page.end() && list_items->is_array()) {
      for (auto& item : *list_items) items.push_back(std::move(item));
    } else if (list_items != page.end() && !list_items->is_null()) {
      return internalError(options_.collection + ": the list's items are not an array");
    }
    version = versionOf(page);
    const auto& meta = page.value("metadata", nlohmann::json::object());
    cont = meta.is_object() ? meta.value("continue", "") : "";
  } while (!cont.empty());
  if (version.empty()) return internalError(options_.collection + ": the list has no version");
  handler_.replaceAll(items);
  std::lock_guard lock(mu_);
  ++stats_.lists;
  synced_ = true;
  return version;
}

Status Reflector::watchFrom(std::string& version) {
  const std::string path =
      options_.collection +
      "?watch=1&allowWatchBookmarks=true&resourceVersion=" + percentEncode(version) +
      "&timeoutSeconds=" + std::to_string(options_.watch_timeout_seconds);
  {
    std::lock_guard lock(mu_);
    ++stats_.watches;
  }
  Status event_error = okStatus();
  Status st = api_.watch(
      path,
      [&](const WatchEvent& ev) {
        if (ev.type == "ERROR") {
          const int code = ev.object.is_object() ? ev.object.value("code", 0) : 0;
          std::string message = ev.object.is_object() ? ev.object.value("message", "") : "";
          event_error = code == 410
                            ? outOfRangeError(options_.collection + ": " + message)
                            : unavailableError(options_.collection + ": watch error: " + message);
          return false;
        }
        if (!ev.object.is_object()) {
          event_error = internalError(options_.collection + ": an event without an object");
          return false;
        }
        if (std::string v = versionOf(ev.object); !v.empty()) version = v;
        if (ev.type == "BOOKMARK") return true;
        handler_.applyEvent(ev.type, ev.object);
        std::lock_guard lock(mu_);
        ++stats_.events;
        return true;
      },
      &canceller_);
  if (!event_error.ok()) return event_error;
  return st;
}

void Reflector::run() {
  std::string version;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    if (version.empty()) {
      auto listed = list();
      if (!listed.ok()) {
        if (listed.status().code() == StatusCode::kCancelled) return;
        fail(listed.status());
        continue;
      }
      version = *listed;
      backoff_.reset();
      ALOG(Debug, Kubernetes) << options_.collection << ": listed at version " << version;
    }
    Status st = watchFrom(version);
    if (st.code() == StatusCode::kCancelled) return;
    if (st.code() == StatusCode::kOutOfRange) {
      // The version is gone (compacted): only a new list shows what changed meanwhile.
      ALOG(Info, Kubernetes) << options_.collection << ": version " << version
                             << " is too old; listing again";
      std::lock_guard lock(mu_);
      ++stats_.gone;
      version.clear();
      continue;
    }
    if (!st.ok()) {
      fail(st);
      continue;
    }
    backoff_.reset();  // the server ended the watch (timeoutSeconds): resume from `version`
  }
}

}  // namespace alcor::kubernetes
