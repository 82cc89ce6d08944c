#pragma once

// Levelled logging with a component per line. Usage:
//   ALOG(Info, Ovsdb) << "connected to " << path;
// Lines go to stderr (or a test sink) as one write each:
//   2026-11-24T20:54:14.123456Z I ovsdb] connected to unix:/run/openvswitch/db.sock
// Levels: Error = an operator must act; Warn = degraded; Info = lifecycle; Debug = per request;
// Trace = wire dumps.

#include <functional>
#include <sstream>
#include <string>
#include <string_view>

#include "lib/base/status.h"

namespace alcor::log {

enum class Level { kTrace = 0, kDebug, kInfo, kWarn, kError, kOff };

// Every component that logs is listed here, so one flag can tune any of them.
enum class Component {
  kMain = 0,
  kOvsdb,
  kOpenflow,
  kNetlink,
  kCniPlugin,
  kCniServer,
  kGoalState,
  kPipeline,
  kDhcp,
  kArp,
  kOnDemand,
  kZeta,
  kSecurityGroup,
  kControllerClient,
  kKubernetes,
  kRest,
  kIpam,
  kStore,
  kDpm,
  kGrpc,
  kTest,
  kSecurity,
  kNetworkPolicy,
  kCount,
};

std::string_view componentName(Component c);
std::string_view levelName(Level l);

// Parses "info", "debug,ovsdb=trace,dpm=warn": a default level and per-component overrides.
Status configure(std::string_view spec);
void setLevel(Level level);
void setComponentLevel(Component c, Level level);
bool enabled(Level level, Component c);

// Replaces the stderr writer (tests capture lines; nullptr restores stderr).
using Sink = std::function<void(Level, Component, std::string_view line)>;
void setSink(Sink sink);

class Message {
 public:
  Message(Level level, Component component);
  ~Message();
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  std::ostream& stream() { return out_; }

 private:
  Level level_;
  Component component_;
  std::ostringstream out_;
};

}  // namespace alcor::log

// A for-statement rather than if/else, so `if (x) ALOG(...) << y;` has no dangling else.
#define ALOG(level, component)                                                                \
  for (bool alcor_log_on_ = ::alcor::log::enabled(::alcor::log::Level::k##level,              \
                                                  ::alcor::log::Component::k##component);     \
       alcor_log_on_; alcor_log_on_ = false)                                                  \
  ::alcor::log::Message(::alcor::log::Level::k##level, ::alcor::log::Component::k##component) \
      .stream()
