// Scenario "simulated": the real alcor-controller binary on loopback with a temporary SQLite
// database, M simulated agents (bench/scale/sim_host.h), and N ports created at once over REST,
// bound round-robin to the M hosts in one subnet, either as one bulk POST or as concurrent
// single POSTs.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <iostream>
#include <thread>

#include "bench/scale/cases.h"
#include "bench/scale/proc_stats.h"
#include "bench/scale/sim_host.h"
#include "nlohmann/json.hpp"
#include "tests/harness/cluster.h"
#include "tests/harness/nats_cluster.h"
#include "tests/harness/process.h"

namespace alcor::bench {
namespace {

using nlohmann::json;
constexpr const char* kProject = "scale";
constexpr const char* kPortPrefix = "p-";

int freeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0) {
    port = ntohs(a.sin_port);
  }
  ::close(fd);
  return port;
}

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "bench_scale: " << what << "\n";
  std::exit(1);
}

void expectCreated(const httplib::Result& r, const std::string& what) {
  if (!r || (r->status != 201 && r->status != 200)) {
    fail(what + ": " +
         (r ? std::to_string(r->status) + " " + r->body.substr(0, 300)
            : httplib::to_string(r.error())));
  }
}

// Ports still DOWN according to the REST API.
long downPorts(httplib::Client& c) {
  auto r = c.Get(std::string("/project/") + kProject + "/ports?status=DOWN");
  if (!r || r->status != 200) return -1;
  auto body = json::parse(r->body, nullptr, false);
  return body.is_discarded() ? -1 : static_cast<long>(body.value("ports", json::array()).size());
}

ScaleRow runOnce(const SimulatedOptions& o, size_t n, const std::string& mode,
                 const std::string& southbound) {
  testing::TempDir dir("alcor-scale");
  ScaleTracker tracker(kPortPrefix, n);
  std::unique_ptr<testing::NatsCluster> broker;
  std::vector<std::string> flags = o.controller_flags;
  // mqN, or autoN: --southbound=auto (thresholds: the controller's defaults or
  // --controller-flag), unicast over gRPC.
  const bool auto_path = southbound.rfind("auto", 0) == 0;
  if (southbound != "grpc") {
    testing::NatsClusterOptions no;
    no.nodes = std::stoi(southbound.substr(auto_path ? 4 : 2));
    auto started = testing::NatsCluster::start(no);
    if (!started.ok()) fail("nats-server cluster: " + started.status().toString());
    broker = std::move(started).value();
    std::string urls;
    for (const auto& u : broker->urls()) urls += (urls.empty() ? "" : ",") + u;
    flags.push_back(auto_path ? "--southbound=auto" : "--southbound=mq");
    flags.push_back("--nats-servers=" + urls);
  }
  std::vector<std::unique_ptr<SimHost>> hosts;
  for (int h = 0; h < o.hosts; ++h) {
    hosts.push_back(std::make_unique<SimHost>(h, tracker));
    if (broker) {
      // Hosts spread over the cluster's nodes, each able to fail over to the others.
      std::vector<std::string> servers;
      for (size_t k = 0; k < broker->size(); ++k) {
        servers.push_back(broker->url((static_cast<size_t>(h) + k) % broker->size()));
      }
      if (Status st = hosts.back()->startNats(servers, auto_path); !st.ok()) {
        fail("simulated host " + std::to_string(h) + " on NATS: " + st.toString());
      }
    }
    if (!hosts.back()->start()) fail("cannot start simulated host " + std::to_string(h));
  }

  int rest_port = freeLoopbackPort();
  std::vector<std::string> argv = {testing::Cluster::binary("alcor-controller"),
                                   "--listen=127.0.0.1:" + std::to_string(rest_port),
                                   "--grpc-listen=", "--db=" + dir.path() + "/controller.db",
                                   "--log-level=warn",
                                   // Plaintext and no tokens: the case measures the fan-out,
                                   // not TLS (bench_cni and the e2e tests cover security).
                                   "--insecure"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  auto controller = testing::Daemon::start(argv, dir.path() + "/controller.log");
  if (!controller.ok()) fail("alcor-controller: " + controller.status().toString());
  httplib::Client c("127.0.0.1", rest_port);
  c.set_read_timeout(o.timeout_s, 0);
  if (!testing::waitFor([&] { return c.Get("/healthz") && c.Get("/healthz")->status == 200; },
                        std::chrono::seconds(10))) {
    fail("alcor-controller did not start; log " + dir.path() + "/controller.log");
  }

  std::string base = std::string("/project/") + kProject;
  expectCreated(
      c.Post(base + "/vpcs", json{{"network", {{"id", "vpc"}, {"cidr", "10.0.0.0/8"}}}}.dump(),
             "application/json"),
      "create VPC");
  expectCreated(
      c.Post(
          base + "/subnets",
          json{{"subnet", {{"id", "sn"}, {"network_id", "vpc"}, {"cidr", "10.0.0.0/16"}}}}.dump(),
          "application/json"),
      "create subnet");
  json nodes = json::array();
  for (const auto& h : hosts) {
    nodes.push_back({{"node_id", h->nodeId()},
                     {"node_name", h->nodeName()},
                     {"local_ip", h->ip()},
                     {"mac_address", h->mac()},
                     {"server_port", h->port()}});
  }
  expectCreated(c.Post("/nodes/bulk", json{{"host_infos", nodes}}.dump(), "application/json"),
                "register nodes");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // node pushes (empty) settle
  // Untimed warm-up: one port per host, so every host already has the subnet in use when the
  // measured ports come (on NATS: its agent is subscribed to the subnet's subject, as in a VPC
  // that moved to MQ; a host joining a subnet gets that subnet's states by unicast until then).
  json warm = json::array();
  for (const auto& h : hosts) {
    warm.push_back({{"id", "w-" + h->nodeName()},
                    {"network_id", "vpc"},
                    {"device_id", "warm-" + h->nodeName()},
                    {"fixed_ips", json::array({{{"subnet_id", "sn"}}})},
                    {"binding:host_id", h->nodeName()}});
  }
  expectCreated(c.Post(base + "/ports/bulk", json{{"ports", warm}}.dump(), "application/json"),
                "warm-up ports");
  if (!testing::waitFor([&] { return downPorts(c) == 0; }, std::chrono::seconds(o.timeout_s))) {
    fail("the warm-up ports did not turn ACTIVE");
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // neighbors and notices settle

  auto portJson = [&](size_t i) {
    return json{{"id", kPortPrefix + std::to_string(i)},
                {"network_id", "vpc"},
                {"device_id", "pod-" + std::to_string(i)},
                {"device_owner", "compute:scale"},
                {"fixed_ips", json::array({{{"subnet_id", "sn"}}})},
                {"binding:host_id", hosts[i % hosts.size()]->nodeName()}};
  };
  json bulk_body;
  if (mode == "bulk") {
    json ports = json::array();
    for (size_t i = 0; i < n; ++i) ports.push_back(portJson(i));
    bulk_body = json{{"ports", std::move(ports)}};
  }

  ProcWatch ctl(controller->pid()), self(getpid());
  ctl.begin();
  self.begin();
  std::vector<ProcWatch> brokers;
  for (size_t k = 0; broker && k < broker->size(); ++k) brokers.emplace_back(broker->pid(k));
  for (auto& b : brokers) b.begin();
  uint64_t msgs0 = 0, bytes0 = 0;
  for (const auto& h : hosts) msgs0 += h->messages(), bytes0 += h->bytes();

  std::vector<Clock::time_point> posted(n);
  auto start = Clock::now();
  std::atomic<bool> posting{true};
  std::thread poster([&] {
    if (mode == "bulk") {
      for (auto& t : posted) t = start;
      expectCreated(c.Post(base + "/ports/bulk", bulk_body.dump(), "application/json"),
                    "bulk create");
    } else {
      std::atomic<size_t> next{0};
      std::vector<std::thread> clients;
      for (int t = 0; t < o.clients; ++t) {
        clients.emplace_back([&] {
          httplib::Client cc("127.0.0.1", rest_port);
          cc.set_keep_alive(true);
          cc.set_tcp_nodelay(true);
          cc.set_read_timeout(o.timeout_s, 0);
          for (size_t i = next++; i < n; i = next++) {
            posted[i] = Clock::now();
            expectCreated(
                cc.Post(base + "/ports", json{{"port", portJson(i)}}.dump(), "application/json"),
                "create port");
          }
        });
      }
      for (auto& t : clients) t.join();
    }
    posting = false;
  });

  // Every port on its host, and its neighbor on every other host with ports in the subnet.
  // (Every host has the warm-up port in the subnet.)
  uint64_t neighbors_expected = n * (hosts.size() - 1);
  Clock::time_point posted_at{}, applied_at{}, converged_at{};
  auto deadline = start + std::chrono::seconds(o.timeout_s);
  while (Clock::now() < deadline) {
    auto now = Clock::now();
    if (!posting && posted_at == Clock::time_point{}) posted_at = now;
    if (tracker.portsApplied() == n && applied_at == Clock::time_point{}) applied_at = now;
    if (tracker.portsApplied() == n && tracker.neighborsApplied() >= neighbors_expected) {
      converged_at = now;
      break;
    }
    ctl.sample();
    self.sample();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  poster.join();
  if (posted_at == Clock::time_point{}) posted_at = Clock::now();
  ScaleRow row;
  row.southbound = southbound;
  if (converged_at == Clock::time_point{}) {
    row.note = "timed out: " + std::to_string(tracker.portsApplied()) + " ports, " +
               std::to_string(tracker.neighborsApplied()) + "/" +
               std::to_string(neighbors_expected) + " neighbors";
    converged_at = Clock::now();
  }
  // The controller marks a port ACTIVE when its host's SUCCESS arrives; confirm through REST.
  long down = -1;
  testing::waitFor([&] { return (down = downPorts(c)) == 0; }, std::chrono::seconds(60));
  auto rest_active_at = Clock::now();
  if (down != 0) row.note += (row.note.empty() ? "" : "; ") + std::to_string(down) + " DOWN";
  ctl.sample();
  self.sample();

  row.scenario = "simulated";
  row.mode = mode;
  row.hosts = o.hosts;
  row.ports = n;
  row.posted_s = msBetween(start, posted_at) / 1000;
  row.active_s = msBetween(start, rest_active_at) / 1000;
  row.converged_s = msBetween(start, converged_at) / 1000;
  row.ports_per_s = static_cast<double>(n) / row.converged_s;
  std::vector<double> active, flows;
  for (size_t i = 0; i < n; ++i) {
    auto port_t = tracker.portTime(i);
    if (port_t.time_since_epoch().count() == 0) continue;
    active.push_back(msBetween(posted[i], port_t));
    if (tracker.neighborHosts(i) + 1 >= hosts.size()) {
      flows.push_back(msBetween(posted[i], std::max(port_t, tracker.lastNeighborTime(i))));
    }
  }
  row.active_ms = percentiles(active);
  row.flows_ms = percentiles(flows);
  for (const auto& h : hosts) row.gs_messages += h->messages(), row.gs_bytes += h->bytes();
  row.gs_messages -= msgs0;
  row.gs_bytes -= bytes0;
  row.controller_cpu_s = ctl.cpuSeconds();
  row.controller_rss_mb = ctl.maxRssMb();
  row.agent_cpu_s = self.cpuSeconds();
  row.agent_rss_mb = self.maxRssMb();
  for (const auto& b : brokers) row.broker_cpu_s += b.cpuSeconds();
  if (southbound != "grpc") {
    // What the controller published once on the subnet's subject, and the copies it stood for.
    auto m = c.Get("/metrics");
    auto value = [&](const std::string& name) -> std::string {
      if (!m) return "?";
      auto at = m->body.find("\n" + name + " ");
      if (at == std::string::npos) return "?";
      at += name.size() + 2;
      return m->body.substr(at, m->body.find('\n', at) - at);
    };
    row.note += (row.note.empty() ? "" : "; ") + value("alcor_mq_multicast_messages_total") +
                " multicast msgs for " + value("alcor_mq_multicast_host_copies_total") +
                " host copies";
    if (auto_path) row.note += ", " + value("alcor_mq_auto_switches_total") + " path switches";
  }
  uint64_t gaps = 0;
  for (const auto& h : hosts) gaps += h->natsGaps();
  if (gaps) row.note += (row.note.empty() ? "" : "; ") + std::to_string(gaps) + " NATS gaps";
  controller->stop();
  return row;
}

}  // namespace

std::vector<ScaleRow> runSimulated(const SimulatedOptions& o) {
  std::vector<ScaleRow> rows;
  for (size_t n : o.ports) {
    for (const auto& mode : o.modes) {
      for (const auto& southbound : o.southbounds) {
        std::fprintf(stderr, "simulated: %zu ports, %s, %d hosts, %s...\n", n, mode.c_str(),
                     o.hosts, southbound.c_str());
        rows.push_back(runOnce(o, n, mode, southbound));
      }
    }
  }
  return rows;
}

}  // namespace alcor::bench
