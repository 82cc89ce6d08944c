// Controller scalability benchmark (issue 4): create 1,000 and 10,000 ports at once, as one bulk
// request and as concurrent single POSTs, spread over 10 fake hosts (gRPC GoalStateProvisioner
// servers on 127.0.0.101-110 that reply at once). Prints ports/s, per-port latency from POST to
// ACTIVE (p50/p99), time until every port is ACTIVE and every neighbor is on every host, and the
// GoalState messages and bytes sent. Not a test: figures only.
//
//   controller_bench [--ports=1000,10000] [--hosts=10] [--clients=8]

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <iostream>
#include <thread>

#include "controller/controller_app.h"
#include "lib/base/flags.h"
#include "lib/base/json_util.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"
#include "tests/unit/controller/fake_agent.h"

namespace alcor::controller {
namespace {

using Clock = std::chrono::steady_clock;
using nlohmann::json;
using testing::FakeAgent;

struct Result {
  std::string mode;
  size_t ports = 0;
  double post_seconds = 0;       // until every POST returned
  double active_seconds = 0;     // until every port was ACTIVE
  double converged_seconds = 0;  // until every host held every neighbor of its subnet
  double p50_ms = 0, p99_ms = 0, max_ms = 0;
  PushStats push;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5))];
}

Result run(const std::string& mode, size_t n, int hosts, int clients) {
  std::vector<std::unique_ptr<FakeAgent>> agents;
  std::vector<std::atomic<size_t>> neighbors(hosts);
  for (int h = 0; h < hosts; ++h) {
    agents.push_back(std::make_unique<FakeAgent>());
    if (!agents.back()->start("127.0.0." + std::to_string(101 + h))) {
      std::cerr << "cannot start fake agent " << h << "\n";
      std::exit(1);
    }
    std::atomic<size_t>* counter = &neighbors[h];
    agents.back()->setObserver([counter](const schema::GoalStateV2& gs) {
      size_t created = 0;
      for (const auto& [k, s] : gs.neighbor_states())
        created += s.operation_type() == schema::CREATE;
      *counter += created;
    });
  }
  ControllerConfig config;
  config.listen = "127.0.0.1:0";
  config.grpc_listen = "";
  config.db = ":memory:";
  config.security.insecure = true;  // the benchmark measures the store and DPM, not TLS
  auto app = ControllerApp::start(config);
  if (!app.ok()) {
    std::cerr << app.status() << "\n";
    std::exit(1);
  }
  ControllerServices& svc = (*app)->services();
  (void)svc.bootstrap("bench", "vpc:10.0.0.0/8", "subnet:10.0.0.0/16");
  for (int h = 0; h < hosts; ++h) {
    Node node;
    node.name = "host-" + std::to_string(h);
    node.id = ResourceId::parse(node.name).value();
    node.local_ip = Ipv4Address::parse(agents[h]->ip()).value();
    node.server_port = agents[h]->port();
    (void)svc.nodes().create(node);
  }
  (*app)->scheduler().waitIdle(std::chrono::seconds(5));

  std::vector<Clock::time_point> posted(n), active(n);
  std::mutex mu;
  std::map<std::string, size_t> index;
  for (size_t i = 0; i < n; ++i) index["port-" + std::to_string(i)] = i;
  std::atomic<size_t> active_count{0};
  svc.ports().setActiveObserver([&](const std::string& id) {
    auto now = Clock::now();
    auto it = index.find(id);
    if (it == index.end()) return;
    active[it->second] = now;
    ++active_count;
  });
  auto portJson = [&](size_t i) {
    return json{{"id", "port-" + std::to_string(i)},
                {"network_id", "vpc"},
                {"device_id", "pod-" + std::to_string(i)},
                {"binding:host_id", "host-" + std::to_string(i % hosts)}};
  };

  int rest_port = (*app)->restPort();
  auto start = Clock::now();
  if (mode == "bulk") {
    json ports = json::array();
    for (size_t i = 0; i < n; ++i) ports.push_back(portJson(i));
    httplib::Client c("127.0.0.1", rest_port);
    c.set_read_timeout(120, 0);
    for (size_t i = 0; i < n; ++i) posted[i] = start;
    auto r = c.Post("/project/bench/ports/bulk", json{{"ports", ports}}.dump(), "application/json");
    if (!r || r->status != 201) {
      std::cerr << "bulk failed: " << (r ? r->body : httplib::to_string(r.error())) << "\n";
      std::exit(1);
    }
  } else {
    std::atomic<size_t> next{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
      threads.emplace_back([&] {
        httplib::Client c("127.0.0.1", rest_port);
        c.set_keep_alive(true);
        c.set_tcp_nodelay(true);
        for (size_t i = next++; i < n; i = next++) {
          posted[i] = Clock::now();
          auto r = c.Post("/project/bench/ports", json{{"port", portJson(i)}}.dump(),
                          "application/json");
          if (!r || r->status != 201) {
            std::cerr << "POST failed\n";
            std::exit(1);
          }
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  Result res;
  res.mode = mode;
  res.ports = n;
  res.post_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  auto deadline = start + std::chrono::seconds(120);
  while (active_count < n && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  res.active_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  // Every host should end up with a neighbor for every port on the other hosts.
  auto converged = [&] {
    for (int h = 0; h < hosts; ++h) {
      size_t own = n / hosts + (static_cast<size_t>(h) < n % hosts ? 1 : 0);
      if (neighbors[h] < n - own) return false;
    }
    return true;
  };
  while (!converged() && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  res.converged_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  (*app)->scheduler().waitIdle(std::chrono::seconds(30));
  std::vector<double> lat;
  for (size_t i = 0; i < n; ++i) {
    if (active[i] != Clock::time_point{}) {
      lat.push_back(std::chrono::duration<double, std::milli>(active[i] - posted[i]).count());
    }
  }
  if (lat.size() < n) std::cerr << "warning: only " << lat.size() << " of " << n << " ACTIVE\n";
  res.p50_ms = percentile(lat, 0.5);
  res.p99_ms = percentile(lat, 0.99);
  res.max_ms = percentile(lat, 1.0);
  res.push = (*app)->scheduler().stats();
  (*app)->stop();
  return res;
}

}  // namespace
}  // namespace alcor::controller

int main(int argc, char** argv) {
  using namespace alcor;
  std::string ports_flag = "1000,10000";
  int64_t hosts = 10, clients = 8;
  FlagSet flags("controller_bench", "alcor-controller scalability benchmark");
  flags.addString("ports", &ports_flag, "comma-separated port counts");
  flags.addInt("hosts", &hosts, "fake hosts");
  flags.addInt("clients", &clients, "concurrent REST clients for single POSTs");
  if (auto st = flags.parse(argc, argv); !st.ok() || flags.helpRequested()) {
    std::cout << flags.usage();
    return st.ok() ? 0 : 2;
  }
  (void)log::configure("warn");
  std::printf("%-7s %7s %9s %9s %10s %9s %9s %9s %8s %10s %9s\n", "mode", "ports", "post s",
              "active s", "converge s", "ports/s", "p50 ms", "p99 ms", "msgs", "MB sent", "B/port");
  for (auto part : splitString(ports_flag, ',')) {
    size_t n = *parseInt<size_t>(part);
    for (const char* mode : {"bulk", "single"}) {
      auto r = controller::run(mode, n, static_cast<int>(hosts), static_cast<int>(clients));
      std::printf("%-7s %7zu %9.3f %9.3f %10.3f %9.0f %9.1f %9.1f %8lu %10.2f %9.0f\n",
                  r.mode.c_str(), r.ports, r.post_seconds, r.active_seconds, r.converged_seconds,
                  r.ports / r.converged_seconds, r.p50_ms, r.p99_ms,
                  static_cast<unsigned long>(r.push.messages), r.push.bytes / 1e6,
                  static_cast<double>(r.push.bytes) / r.ports);
    }
  }
  std::printf("goal: 10000 ports ACTIVE on all hosts in <= 5 s\n");
  return 0;
}
