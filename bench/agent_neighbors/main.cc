// bench_agent_neighbors: the "1 port + N neighbors" scale case of ACA (1k: 2.7 s, 10k: 237 s).
// One GoalStateV2 with a VPC, a subnet, one local port and N L2 neighbors goes over a real gRPC
// stream to the agent's GoalStateService (in process: GoalStateHandler + DataplaneImpl +
// ConnectionImpl) programming a private OVS (netdev) in its own netns. Timed from the send to the
// reply, then the installed flow count is checked with ovs-ofctl. The same flow set, printed with
// formatFlow, is then installed with `ovs-ofctl --bundle add-flows` for comparison.
// Goals: ours <= ovs-ofctl at N = 10,000; RSS <= 50 MB. Then the incremental case
// (incremental_case.h): 100 pods + 10,000 neighbors, one neighbor / one pod added at a time.
// Run as root: bench_agent_neighbors [--repeat=5] [N...]   (default 100 1000 10000)

#include <grpcpp/grpcpp.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "alcor/goalstateprovisioner.grpc.pb.h"
#include "bench/agent_neighbors/goal_states.h"
#include "bench/agent_neighbors/incremental_case.h"
#include "lib/openflow/connection.h"
#include "node-agent/dataplane/dataplane_impl.h"
#include "node-agent/goalstate/goalstate_handler.h"
#include "node-agent/goalstate/goalstate_server.h"
#include "node-agent/pipeline/cookie.h"
#include "tests/harness/netns.h"
#include "tests/harness/ovs_sandbox.h"

using namespace alcor;
using Clock = std::chrono::steady_clock;

namespace {

constexpr uint32_t kPortOfport = 1;
constexpr uint32_t kTunnelOfport = 100;

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

schema::GoalStateV2 goalState(size_t n) {
  schema::GoalStateV2 gs;
  gs.set_format_version(2);
  bench::addContext(gs, false);
  bench::addPort(gs, "p1", 1, 0x0a000002u, false);
  for (size_t i = 0; i < n; ++i) bench::addNeighbor(gs, i, 0x0a000100u);
  return gs;
}

size_t flowCount(const testing::OvsSandbox& ovs) {
  auto r = ovs.ofctl({"dump-aggregate", "br-int"});
  auto at = r.out.find("flow_count=");
  return at == std::string::npos ? 0 : std::stoul(r.out.substr(at + 11));
}

long statusKb(const char* path, const char* key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) == 0) return std::stol(line.substr(std::string(key).size()));
  }
  return -1;
}

struct Result {
  size_t n = 0;
  size_t flows = 0;
  double ours = 0, ofctl = 0;
  double handler = 0, dataplane = 0;  // from the reply: whole message, data plane part
  long agent_rss_kb = 0;
  bool ok = false;
};

// The agent side, in a child process that re-executes this binary (`--agent`), so that its
// memory is measured alone and from a fresh start, whatever the bench process holds by then:
// GoalStateService + GoalStateHandler + DataplaneImpl + ConnectionImpl on br-int. Writes its
// gRPC port to `port_fd`, then serves until `stop_fd` reaches EOF.
[[noreturn]] void runAgent(const std::string& mgmt_target, int port_fd, int stop_fd) {
  auto conn = openflow::ConnectionImpl::connect(mgmt_target);
  if (!conn.ok()) {
    fprintf(stderr, "connect: %s\n", conn.status().toString().c_str());
    _exit(1);
  }
  agent::DataplaneOptions options;
  options.pipeline.tunnel_ofport = kTunnelOfport;
  agent::DataplaneImpl dataplane(**conn, options);
  if (Status s = dataplane.start(); !s.ok()) {
    fprintf(stderr, "dataplane: %s\n", s.toString().c_str());
    _exit(1);
  }
  dataplane.finishRestore();
  // The CNI server has plugged the port's interface.
  (void)dataplane.update([](agent::NetworkState& s, agent::ChangeSet& c) {
    s.interfaces["p1"] = agent::LocalInterface{"p1", "tap-p1", kPortOfport};
    c.interfaces.insert("p1");
  });
  agent::GoalStateHandler handler(dataplane, {"192.168.0.10", std::chrono::milliseconds(1000)});
  agent::GoalStateService service(handler);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(-1);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (write(port_fd, &port, sizeof port) != sizeof port) _exit(1);
  char c;
  while (read(stop_fd, &c, 1) > 0) {
  }
  server->Shutdown();
  _exit(0);
}

struct ClientResult {
  double seconds = 0;
  bool sent = false;
  int failed = 0;
  uint32_t handler_us = 0;
  uint32_t dataplane_us = 0;
};

// Sends 1 port + n neighbors on a GoalState stream (after a warm-up message, as the controller
// does), times it to the reply and writes a ClientResult to `result_fd`.
[[noreturn]] void runClient(int port, size_t n, int result_fd) {
  const schema::GoalStateV2 gs = goalState(n);
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  auto stub = schema::GoalStateProvisioner::NewStub(grpc::CreateCustomChannel(
      "127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args));
  ClientResult r;
  {
    grpc::ClientContext ctx;
    auto stream = stub->PushGoalStatesStream(&ctx);
    schema::GoalStateOperationReply reply;
    stream->Write(schema::GoalStateV2());
    stream->Read(&reply);
    auto t0 = Clock::now();
    r.sent = stream->Write(gs) && stream->Read(&reply);
    r.seconds = seconds(Clock::now() - t0);
    stream->WritesDone();
    (void)stream->Finish();
    for (const auto& st : reply.operation_statuses()) {
      r.failed += st.operation_status() != schema::SUCCESS;
      r.dataplane_us = std::max(r.dataplane_us, st.dataplane_programming_time());
    }
    r.handler_us = reply.message_total_operation_time();
  }
  if (write(result_fd, &r, sizeof r) != sizeof r) _exit(1);
  _exit(0);
}

Result runOnce(testing::OvsSandbox& ovs, size_t n, const std::string& flow_file) {
  Result res;
  res.n = n;
  ovs.ofctl({"del-flows", "br-int"});
  int port_pipe[2], stop_pipe[2];
  if (pipe(port_pipe) != 0 || pipe(stop_pipe) != 0) return res;
  pid_t child = fork();
  if (child == 0) {
    close(port_pipe[0]);
    close(stop_pipe[1]);
    const std::string target = ovs.mgmtTarget("br-int");
    const std::string port_fd = std::to_string(port_pipe[1]);
    const std::string stop_fd = std::to_string(stop_pipe[0]);
    execl("/proc/self/exe", "bench_agent_neighbors", "--agent", target.c_str(), port_fd.c_str(),
          stop_fd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(port_pipe[1]);
  close(stop_pipe[0]);
  int port = 0;
  bool started = read(port_pipe[0], &port, sizeof port) == sizeof port;
  close(port_pipe[0]);
  // The controller side in a second child: a process that has used gRPC must not fork again.
  ClientResult cr;
  if (started) {
    int result_pipe[2];
    if (pipe(result_pipe) != 0) return res;
    pid_t client = fork();
    if (client == 0) {
      close(result_pipe[0]);
      runClient(port, n, result_pipe[1]);
    }
    close(result_pipe[1]);
    if (read(result_pipe[0], &cr, sizeof cr) != sizeof cr) cr = ClientResult{};
    close(result_pipe[0]);
    waitpid(client, nullptr, 0);
    res.agent_rss_kb = statusKb(("/proc/" + std::to_string(child) + "/status").c_str(), "VmHWM:");
  }
  close(stop_pipe[1]);
  waitpid(child, nullptr, 0);
  res.ours = cr.seconds;
  res.handler = cr.handler_us / 1e6;
  res.dataplane = cr.dataplane_us / 1e6;
  const bool sent = cr.sent;
  const int failed = cr.failed;

  // Verify on the switch: every neighbor has its ARP answer and its tunnel flow.
  auto conn = openflow::ConnectionImpl::connect(ovs.mgmtTarget("br-int"));
  size_t neighbor_flows = 0;
  if (conn.ok()) {
    auto installed = (*conn)->dumpFlows();
    if (installed.ok()) {
      std::ofstream out(flow_file);
      for (const auto& f : *installed) {
        out << openflow::formatFlow(f) << "\n";
        neighbor_flows +=
            agent::pipeline::cookieCategory(f.cookie) == agent::pipeline::CookieCategory::kNeighbor;
      }
      res.flows = installed->size();
    }
  }
  res.ok = sent && failed == 0 && neighbor_flows == 2 * n;
  if (!res.ok) {
    fprintf(stderr, "n=%zu: sent=%d failed statuses=%d neighbor flows %zu (want %zu)\n", n, sent,
            failed, neighbor_flows, 2 * n);
  }

  // The same flows through ovs-ofctl.
  ovs.ofctl({"del-flows", "br-int"});
  auto t0 = Clock::now();
  auto r = ovs.ofctl({"--bundle", "add-flows", "br-int", flow_file});
  res.ofctl = seconds(Clock::now() - t0);
  if (!r.ok() || flowCount(ovs) != res.flows) {
    fprintf(stderr, "ovs-ofctl: %s (%zu flows)\n", r.describe().c_str(), flowCount(ovs));
    res.ok = false;
  }
  return res;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 5 && std::string(argv[1]) == "--agent") {
    runAgent(argv[2], std::stoi(argv[3]), std::stoi(argv[4]));
  }
  std::vector<size_t> sizes;
  size_t repeat = 5;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--repeat=", 0) == 0) {
      repeat = std::max<size_t>(1, std::stoul(a.substr(9)));
    } else {
      sizes.push_back(std::stoul(a));
    }
  }
  if (sizes.empty()) sizes = {100, 1000, 10000};
  auto ns = testing::Netns::create("benchnb");
  if (!ns.ok()) {
    fprintf(stderr, "netns: %s (run as root)\n", ns.status().toString().c_str());
    return 1;
  }
  auto ovs = testing::OvsSandbox::start((*ns)->name());
  if (!ovs.ok()) {
    fprintf(stderr, "ovs: %s\n", ovs.status().toString().c_str());
    return 1;
  }
  if (Status s = (*ovs)->addBridge("br-int"); !s.ok()) {
    fprintf(stderr, "bridge: %s\n", s.toString().c_str());
    return 1;
  }
  (*ovs)->vsctl({"add-port", "br-int", "vxlan0", "--", "set", "interface", "vxlan0", "type=vxlan",
                 "options:remote_ip=flow", "options:key=flow",
                 "ofport_request=" + std::to_string(kTunnelOfport)});
  testing::TempDir tmp("bench-neighbors");

  printf(
      "1 port + N L2 neighbors in one GoalStateV2 (gRPC stream -> GoalStateHandler ->\n"
      "DataplaneImpl -> one OpenFlow bundle), send to reply, flows verified on the switch;\n"
      "ovs-ofctl: -O OpenFlow15 --bundle add-flows of the same flows from a file.\n\n");
  printf(
      "Each N runs %zu times, ours then ovs-ofctl each time (the machine's load changes from run\n"
      "to run): medians; the ratio is that of the medians, its range the runs' own ratios.\n\n",
      repeat);
  printf("%-7s %-7s %-10s %-11s %-10s %-14s %-7s %-11s %-9s %-9s\n", "N", "flows", "agent (s)",
         "handler (s)", "bundle (s)", "ovs-ofctl (s)", "ratio", "range", "ACA (s)", "RSS (MB)");
  int rc = 0;
  for (size_t n : sizes) {
    std::vector<double> ours, handler, dataplane, ofctl, ratios;
    Result r;
    long rss_kb = 0;
    bool ok = true;
    for (size_t k = 0; k < repeat; ++k) {
      r = runOnce(**ovs, n, tmp.path() + "/flows-" + std::to_string(n) + ".txt");
      ours.push_back(r.ours);
      handler.push_back(r.handler);
      dataplane.push_back(r.dataplane);
      ofctl.push_back(r.ofctl);
      ratios.push_back(r.ours / r.ofctl);
      rss_kb = std::max(rss_kb, r.agent_rss_kb);
      ok = ok && r.ok;
    }
    const char* aca = n == 1000 ? "2.7" : n == 10000 ? "237" : "-";
    char range[32];
    snprintf(range, sizeof range, "%.2f-%.2f", *std::min_element(ratios.begin(), ratios.end()),
             *std::max_element(ratios.begin(), ratios.end()));
    printf("%-7zu %-7zu %-10.3f %-11.3f %-10.3f %-14.3f %-7.2f %-11s %-9s %-9.1f%s\n", n, r.flows,
           median(ours), median(handler), median(dataplane), median(ofctl),
           median(ours) / median(ofctl), range, aca, static_cast<double>(rss_kb) / 1024.0,
           ok ? "" : "  (FAILED)");
    fflush(stdout);
    if (!ok) rc = 1;
  }
  printf(
      "\nagent = send to reply over gRPC; handler = the agent's own time for the message;\n"
      "bundle = its data plane part (diff + one OpenFlow bundle); RSS = peak of the agent\n"
      "process (GoalStateService + handler + DataplaneImpl + ConnectionImpl), highest of the\n"
      "runs. Goals at N = 10000: ratio <= 1.0, RSS <= 50 MB.\n");
  fflush(stdout);
  if (!bench::runIncrementalCase(**ovs, {})) rc = 1;
  (void)(*ovs)->stop();
  return rc;
}
