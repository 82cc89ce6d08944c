#include "lib/base/logging.h"

#include "lib/base/strings.h"

#include <unistd.h>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <optional>
#include <vector>

namespace alcor::log {
namespace {

constexpr std::array<std::string_view, static_cast<size_t>(Component::kCount)> kComponentNames = {
    "main",       "ovsdb",
    "openflow",   "netlink",
    "cni-plugin", "cni-server",
    "goalstate",  "pipeline",
    "dhcp",       "arp",
    "on-demand",  "zeta",
    "secgroup",   "controller-client",
    "kubernetes", "rest",
    "ipam",       "store",
    "dpm",        "grpc",
    "test",       "security",
    "netpol",
};

constexpr size_t kComponentCount = static_cast<size_t>(Component::kCount);

struct Levels {
  Levels() {
    for (auto& l : value) l.store(Level::kInfo);
  }
  std::array<std::atomic<Level>, kComponentCount> value;
};

std::array<std::atomic<Level>, kComponentCount>& levels() {
  static Levels l;
  return l.value;
}

std::mutex& sinkMutex() {
  static std::mutex m;
  return m;
}
Sink& sink() {
  static Sink s;
  return s;
}

StatusOr<Level> parseLevel(std::string_view s) {
  std::string l = toLower(s);
  if (l == "trace") return Level::kTrace;
  if (l == "debug") return Level::kDebug;
  if (l == "info") return Level::kInfo;
  if (l == "warn" || l == "warning") return Level::kWarn;
  if (l == "error") return Level::kError;
  if (l == "off") return Level::kOff;
  return invalidArgumentError("unknown log level '" + std::string(s) +
                              "' (want trace, debug, info, warn, error or off)");
}

}  // namespace

std::string_view componentName(Component c) {
  auto i = static_cast<size_t>(c);
  return i < kComponentNames.size() ? kComponentNames[i] : "?";
}

std::string_view levelName(Level l) {
  switch (l) {
    case Level::kTrace:
      return "T";
    case Level::kDebug:
      return "D";
    case Level::kInfo:
      return "I";
    case Level::kWarn:
      return "W";
    case Level::kError:
      return "E";
    case Level::kOff:
      return "-";
  }
  return "?";
}

void setLevel(Level level) {
  for (auto& l : levels()) l.store(level, std::memory_order_relaxed);
}

void setComponentLevel(Component c, Level level) {
  levels()[static_cast<size_t>(c)].store(level, std::memory_order_relaxed);
}

bool enabled(Level level, Component c) {
  return level >= levels()[static_cast<size_t>(c)].load(std::memory_order_relaxed);
}

Status configure(std::string_view spec) {
  std::vector<std::pair<Component, Level>> overrides;
  std::optional<Level> base;
  for (std::string_view part : splitString(spec, ',')) {
    part = trimSpace(part);
    if (part.empty()) continue;
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      auto l = parseLevel(part);
      if (!l.ok()) return l.status();
      base = *l;
      continue;
    }
    std::string_view name = part.substr(0, eq);
    auto l = parseLevel(part.substr(eq + 1));
    if (!l.ok()) return l.status();
    bool found = false;
    for (size_t i = 0; i < kComponentNames.size(); ++i) {
      if (kComponentNames[i] == name) {
        overrides.emplace_back(static_cast<Component>(i), *l);
        found = true;
      }
    }
    if (!found) return invalidArgumentError("unknown log component '" + std::string(name) + "'");
  }
  if (base) setLevel(*base);
  for (auto [c, l] : overrides) setComponentLevel(c, l);
  return okStatus();
}

void setSink(Sink s) {
  std::lock_guard<std::mutex> lock(sinkMutex());
  sink() = std::move(s);
}

Message::Message(Level level, Component component) : level_(level), component_(component) {}

Message::~Message() {
  using namespace std::chrono;
  auto now = system_clock::now();
  auto us = duration_cast<microseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(us / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof(stamp), "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(us % 1000000));
  std::string line;
  line.reserve(64 + out_.str().size());
  line.append(stamp).append(" ").append(levelName(level_)).append(" ");
  line.append(componentName(component_)).append("] ").append(out_.str()).append("\n");
  std::lock_guard<std::mutex> lock(sinkMutex());
  if (sink()) {
    sink()(level_, component_, line);
    return;
  }
  // One write per line so concurrent threads and processes never interleave within a line.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace alcor::log
