#pragma once

// Prometheus text exposition for GET /metrics: REST requests and latencies (by method, resource
// and status code), plus push and resource gauges read at scrape time.

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

#include "controller/dpm/push_scheduler.h"
#include "controller/service/controller_services.h"

namespace alcor::controller {

class RestMetrics {
 public:
  // `route` is a low-cardinality label such as "ports" or "nodes".
  void observe(const std::string& method, const std::string& route, int status, double seconds);
  std::string render(const PushStats& push, const ControllerServices::Counts& counts) const;

 private:
  struct Histogram {
    std::vector<uint64_t> buckets;  // cumulative at render time; here per bucket
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mu_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, Histogram> latency_;
};

// "/project/p/ports/123" -> "ports"; "/project/p/routers/r/add_router_interface" ->
// "routers/add_router_interface"; "/nodes/x" -> "nodes".
std::string routeLabel(const std::string& path);

}  // namespace alcor::controller
