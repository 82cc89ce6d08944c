#include "controller/metrics/metrics.h"

#include <sstream>

#include "lib/base/strings.h"

namespace alcor::controller {
namespace {
constexpr double kBounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                              0.05,   0.1,   0.25,   0.5,   1,    2.5};
constexpr size_t kBucketCount = sizeof(kBounds) / sizeof(kBounds[0]);
}  // namespace

std::string routeLabel(const std::string& path) {
  auto parts = splitString(path, '/');
  size_t i = 0;
  if (i < parts.size() && parts[i] == "v4") ++i;
  if (i < parts.size() && parts[i] == "project") i += 2;
  if (i >= parts.size()) return "other";
  std::string label(parts[i]);
  if (label != "nodes" && label != "vpcs" && label != "subnets" && label != "ports" &&
      label != "security-groups" && label != "security-group-rules" && label != "routers" &&
      label != "gateways" && label != "healthz" && label != "metrics") {
    return "other";
  }
  const std::string last(parts.back());
  if (parts.size() > i + 1 &&
      (last == "bulk" || last == "add_router_interface" || last == "remove_router_interface")) {
    label += "/" + last;
  }
  return label;
}

void RestMetrics::observe(const std::string& method, const std::string& route, int status,
                          double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{method, route, status}];
  auto& h = latency_[{method, route}];
  if (h.buckets.empty()) h.buckets.assign(kBucketCount, 0);
  for (size_t i = 0; i < kBucketCount; ++i) {
    if (seconds <= kBounds[i]) {
      ++h.buckets[i];
      break;
    }
  }
  ++h.count;
  h.sum += seconds;
}

std::string RestMetrics::render(const PushStats& push, const ControllerServices::Counts& c) const {
  std::ostringstream out;
  {
    std::lock_guard lock(mu_);
    out << "# HELP alcor_controller_requests_total REST requests by method, route and code.\n"
           "# TYPE alcor_controller_requests_total counter\n";
    for (const auto& [key, n] : requests_) {
      const auto& [method, route, code] = key;
      out << "alcor_controller_requests_total{method=\"" << method << "\",route=\"" << route
          << "\",code=\"" << code << "\"} " << n << "\n";
    }
    out << "# HELP alcor_controller_request_seconds REST request latency.\n"
           "# TYPE alcor_controller_request_seconds histogram\n";
    for (const auto& [key, h] : latency_) {
      std::string labels = "method=\"" + key.first + "\",route=\"" + key.second + "\"";
      uint64_t cumulative = 0;
      for (size_t i = 0; i < kBucketCount; ++i) {
        cumulative += h.buckets[i];
        out << "alcor_controller_request_seconds_bucket{" << labels << ",le=\"" << kBounds[i]
            << "\"} " << cumulative << "\n";
      }
      out << "alcor_controller_request_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count
          << "\n";
      out << "alcor_controller_request_seconds_sum{" << labels << "} " << h.sum << "\n";
      out << "alcor_controller_request_seconds_count{" << labels << "} " << h.count << "\n";
    }
  }
  auto metric = [&](const char* name, const char* type, const char* help, auto value) {
    out << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
        << name << " " << value << "\n";
  };
  metric("alcor_controller_goalstate_messages_total", "counter",
         "GoalState messages answered by agents.", push.messages);
  metric("alcor_controller_goalstate_bytes_total", "counter", "Bytes of those messages.",
         push.bytes);
  metric("alcor_controller_goalstate_resources_total", "counter",
         "Resource states in those messages.", push.resources);
  metric("alcor_controller_push_failures_total", "counter",
         "Pushes that failed (agent unreachable or deadline).", push.rpc_failures);
  metric("alcor_controller_resource_failures_total", "counter",
         "Resource states agents answered FAILURE or INVALID_ARG.", push.resource_failures);
  metric("alcor_controller_resyncs_total", "counter", "Full-state pushes to a host.", push.resyncs);
  metric("alcor_controller_push_seconds_total", "counter", "Time spent in push RPCs.",
         push.push_seconds_total);
  metric("alcor_controller_push_queue_depth", "gauge", "Resource states waiting to be pushed.",
         push.queue_depth);
  metric("alcor_controller_hosts_backing_off", "gauge", "Hosts waiting to retry a push.",
         push.hosts_backing_off);
  out << "# HELP alcor_controller_resources Stored resources by kind.\n"
         "# TYPE alcor_controller_resources gauge\n";
  for (auto [kind, n] : {std::pair{"node", c.nodes},
                         {"vpc", c.vpcs},
                         {"subnet", c.subnets},
                         {"port", c.ports},
                         {"security_group", c.security_groups},
                         {"router", c.routers},
                         {"gateway", c.gateways}}) {
    out << "alcor_controller_resources{kind=\"" << kind << "\"} " << n << "\n";
  }
  metric("alcor_controller_active_ports", "gauge", "Ports their host confirmed.", c.active_ports);
  return out.str();
}

}  // namespace alcor::controller
