// bench_netpol: issue 15's policy realization latency. A real kube-apiserver + etcd, the
// controller with --network-policy, 2 nodes (OVS netdev + alcor-agent), 100 pods plugged by
// alcor-cni. For each scale (100, then 1,000 NetworkPolicies) it creates the policies in bulk,
// then times single changes from the API server's answer to the flows enforcing them on every
// node that needs them: a policy created, a policy updated, a pod label that brings a pod under
// a policy. Prints p50/p99, flows per node, controller/agent CPU and memory, the ratio to the
// first scale (the anchor), and Cilium's published figure beside them.
// Run as root: bench_netpol [pods] [samples] [scales, e.g. 100,1000]

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "bench/scale/proc_stats.h"
#include "lib/base/strings.h"
#include "lib/kubernetes/api_client.h"
#include "lib/netlink/netns.h"
#include "tests/harness/cluster.h"

using namespace alcor;
using alcor::testing::Cluster;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

constexpr char kNs[] = "bench";
constexpr int kApps = 10;   // pods carry app=app-<i/2 % 10>: each app has pods on both nodes
constexpr int kRoles = 20;  // and role=r-<i % 20>, the peers policies allow

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

// Calls to the kube-apiserver, from a thread inside the cluster's infra namespace.
class Api {
 public:
  Api(Cluster& c) : netns_(c.infra().name()) {
    auto* k = c.kubeApiServer();
    client_ = std::make_unique<kubernetes::ApiClient>(
        kubernetes::ApiOptions{k->url(), k->adminTokenFile(), k->caFile()});
  }
  Status post(const std::string& path, const json& body) {
    return netlink::runInNetns(netns_, [&] { return client_->post(path, body).status(); });
  }
  Status put(const std::string& path, const json& body) {
    return netlink::runInNetns(netns_, [&] { return client_->put(path, body).status(); });
  }
  StatusOr<json> get(const std::string& path) {
    json out;
    Status s = netlink::runInNetns(netns_, [&]() -> Status {
      ASSIGN_OR_RETURN(out, client_->get(path));
      return okStatus();
    });
    if (!s.ok()) return s;
    return out;
  }

 private:
  std::string netns_;
  std::unique_ptr<kubernetes::ApiClient> client_;
};

json policy(const std::string& name, const json& selector, int port) {
  json peer = {
      {"podSelector", {{"matchLabels", {{"role", "r-" + std::to_string(port % kRoles)}}}}}};
  json rule = {{"from", json::array({peer})},
               {"ports", json::array({{{"protocol", "TCP"}, {"port", port}}})}};
  return {
      {"apiVersion", "networking.k8s.io/v1"},
      {"kind", "NetworkPolicy"},
      {"metadata", {{"name", name}, {"namespace", kNs}}},
      {"spec", {{"podSelector", {{"matchLabels", selector}}}, {"ingress", json::array({rule})}}}};
}
json appSelector(int i) { return {{"app", "app-" + std::to_string(i % kApps)}}; }
const char* kPolicies = "/apis/networking.k8s.io/v1/namespaces/bench/networkpolicies";

// Whether node `n` has an ingress rule flow for TCP port `port`.
bool hasPort(Cluster& c, int n, int port) {
  auto r =
      c.node(n).ovs->ofctl({"dump-flows", "br-int", "table=61,tcp,tp_dst=" + std::to_string(port)});
  return r.ok() && r.out.find("tp_dst=" + std::to_string(port)) != std::string::npos;
}

size_t flowCount(Cluster& c, int n) {
  auto r = c.node(n).ovs->ofctl({"dump-aggregate", "br-int"});
  auto at = r.out.find("flow_count=");
  return at == std::string::npos ? 0 : std::strtoul(r.out.c_str() + at + 11, nullptr, 10);
}

// Polls until every node in `nodes` has the port; the time since t0, or -1 once `limit` since
// t0 has passed.
double waitFlows(Cluster& c, const std::vector<int>& nodes, int port, Clock::time_point t0,
                 std::chrono::seconds limit = std::chrono::seconds(60)) {
  std::vector<bool> seen(nodes.size(), false);
  while (Clock::now() - t0 < limit) {
    bool all = true;
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (!seen[i]) seen[i] = hasPort(c, nodes[i], port);
      all = all && seen[i];
    }
    if (all) return ms(Clock::now() - t0);
  }
  return -1;
}

struct Stats {
  double p50 = 0, p99 = 0, max = 0;
  int failed = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  std::vector<double> ok;
  for (double x : v) (x < 0 ? ++s.failed : (ok.push_back(x), 0));
  if (ok.empty()) return s;
  std::sort(ok.begin(), ok.end());
  auto at = [&](double q) {
    return ok[std::min(ok.size() - 1, size_t(q * (ok.size() - 1) + 0.5))];
  };
  s.p50 = at(0.5), s.p99 = at(0.99), s.max = ok.back();
  return s;
}

// The controller's reconciliation counters (GET /metrics).
struct Reconciles {
  double count = 0, seconds = 0;
};
Reconciles reconciles(Cluster& c) {
  const std::string m = c.rest("GET", "/metrics").raw;
  auto value = [&](const std::string& name) {
    auto at = m.find("\n" + name + " ");
    return at == std::string::npos ? 0.0 : std::strtod(m.c_str() + at + name.size() + 2, nullptr);
  };
  return {value("alcor_controller_network_policy_reconciles_total"),
          value("alcor_controller_network_policy_reconcile_seconds_total")};
}

struct ScaleResult {
  int policies = 0;
  double bulk_ms = 0;
  int bulk_missing = 0;
  double reconcile_ms = 0;  // mean time of one reconciliation during the samples
  Stats create, update, label;
  size_t flows[2] = {0, 0};
  double ctl_cpu = 0, ctl_rss = 0, agent_cpu[2] = {0, 0}, agent_rss[2] = {0, 0};
};

struct Bench {
  Cluster& c;
  Api api;
  std::vector<std::string> pod_names;  // index i: node i % 2, app (i/2) % 10
  int samples;
  int created = 0;  // policies p-0 .. p-(created-1) exist; p-i allows port 10000 + i
  int sample_seq = 0;

  ScaleResult run(int target) {
    ScaleResult r;
    r.policies = target;
    bench::ProcWatch ctl(bench::findChildByExe(getpid(), "alcor-controller"));
    std::vector<bench::ProcWatch> agents;
    for (int n = 0; n < 2; ++n) agents.emplace_back(c.node(n).agent.pid());
    ctl.begin();
    for (auto& a : agents) a.begin();

    std::fprintf(stderr, "netpol: creating policies %d..%d\n", created, target - 1);
    auto t0 = Clock::now();
    const int first = created;
    for (; created < target; ++created) {
      Status s = api.post(
          kPolicies, policy("p-" + std::to_string(created), appSelector(created), 10000 + created));
      if (!s.ok()) std::fprintf(stderr, "create p-%d: %s\n", created, s.message().c_str());
    }
    // Every one of this batch on both nodes, within 5 minutes of the first create.
    for (int i = first; i < target; ++i) {
      if (waitFlows(c, {0, 1}, 10000 + i, t0, std::chrono::seconds(300)) < 0) ++r.bulk_missing;
    }
    r.bulk_ms = ms(Clock::now() - t0);
    const Reconciles before = reconciles(c);
    ctl.sample();
    for (auto& a : agents) a.sample();

    std::vector<double> create, update, label;
    for (int s = 0; s < samples; ++s) {
      const int seq = sample_seq++;
      // A new policy (selecting pods on both nodes).
      const int port = 20000 + seq;
      auto t = Clock::now();
      if (api.post(kPolicies, policy("new-" + std::to_string(seq), appSelector(seq), port)).ok()) {
        create.push_back(waitFlows(c, {0, 1}, port, t));
      }
      // An existing policy given another port.
      const int k = seq % target;
      const std::string name = "p-" + std::to_string(k);
      auto cur = api.get(std::string(kPolicies) + "/" + name);
      if (cur.ok()) {
        json p = *cur;
        p["spec"]["ingress"][0]["ports"][0]["port"] = 40000 + seq;
        t = Clock::now();
        if (api.put(std::string(kPolicies) + "/" + name, p).ok()) {
          update.push_back(waitFlows(c, {0, 1}, 40000 + seq, t));
        }
      }
      // A policy selecting label sel-<seq>=yes, then a pod given that label: only its node needs
      // the flows.
      const std::string key = "sel-" + std::to_string(seq);
      const int lport = 50000 + seq;
      api.post(kPolicies, policy("lab-" + std::to_string(seq), {{key, "yes"}}, lport));
      const size_t pi = static_cast<size_t>(seq * 7) % pod_names.size();
      auto pod = api.get(std::string("/api/v1/namespaces/bench/pods/") + pod_names[pi]);
      if (pod.ok()) {
        json p = *pod;
        p["metadata"]["labels"][key] = "yes";
        t = Clock::now();
        if (api.put(std::string("/api/v1/namespaces/bench/pods/") + pod_names[pi], p).ok()) {
          label.push_back(waitFlows(c, {static_cast<int>(pi % 2)}, lport, t));
        }
      }
      ctl.sample();
      for (auto& a : agents) a.sample();
    }
    r.create = stats(create), r.update = stats(update), r.label = stats(label);
    for (int n = 0; n < 2; ++n) {
      r.flows[n] = flowCount(c, n);
      r.agent_cpu[n] = agents[n].cpuSeconds();
      r.agent_rss[n] = agents[n].maxRssMb();
    }
    const Reconciles after = reconciles(c);
    if (after.count > before.count) {
      r.reconcile_ms = (after.seconds - before.seconds) * 1000 / (after.count - before.count);
    }
    r.ctl_cpu = ctl.cpuSeconds();
    r.ctl_rss = ctl.maxRssMb();
    return r;
  }
};

void print(const ScaleResult& r, const ScaleResult* anchor) {
  auto line = [&](const char* what, const Stats& s, const Stats* a) {
    std::printf("  %-32s p50 %7.1f ms  p99 %7.1f ms  max %7.1f ms", what, s.p50, s.p99, s.max);
    if (a && a->p99 > 0)
      std::printf("  (p99 x%.2f of %d policies)", s.p99 / a->p99, anchor->policies);
    if (s.failed) std::printf("  %d NOT REALIZED in 60 s", s.failed);
    std::printf("\n");
  };
  std::printf("%d NetworkPolicies (+ the samples' own), 2 nodes:\n", r.policies);
  std::printf(
      "  bulk: %d policies created one by one and enforced on both nodes in %.0f ms%s\n",
      r.policies - (anchor ? anchor->policies : 0), r.bulk_ms,
      r.bulk_missing ? (" (" + std::to_string(r.bulk_missing) + " NOT REALIZED)").c_str() : "");
  line("policy created -> flows", r.create, anchor ? &anchor->create : nullptr);
  line("policy updated -> flows", r.update, anchor ? &anchor->update : nullptr);
  line("pod label changed -> flows", r.label, anchor ? &anchor->label : nullptr);
  std::printf(
      "  flows per node: %zu / %zu; one reconciliation (translate + diff + apply): %.1f ms "
      "mean\n",
      r.flows[0], r.flows[1], r.reconcile_ms);
  std::printf(
      "  controller: %.1f s CPU, %.0f MB max RSS; agents: %.1f / %.1f s CPU, %.0f / %.0f MB\n",
      r.ctl_cpu, r.ctl_rss, r.agent_cpu[0], r.agent_cpu[1], r.agent_rss[0], r.agent_rss[1]);
}

}  // namespace

int main(int argc, char** argv) {
  const int pods = argc > 1 ? std::atoi(argv[1]) : 100;
  const int samples = argc > 2 ? std::atoi(argv[2]) : 30;
  std::vector<int> scales;
  for (auto s : splitString(argc > 3 ? argv[3] : "100,1000", ','))
    scales.push_back(std::stoi(std::string(s)));

  auto cluster = Cluster::start(
      {.nodes = 2,
       .extra_agent_flags = {"--log-level=warn"},
       .extra_controller_flags = {"--bootstrap-project=demo", "--bootstrap-vpc=vpc-b:10.0.0.0/16",
                                  "--bootstrap-subnet=subnet-b:10.0.0.0/20", "--network-policy",
                                  "--network-policy-project=demo", "--log-level=warn"},
       .kube_apiserver = true});
  if (!cluster.ok()) {
    std::fprintf(stderr, "cluster: %s\n", cluster.status().message().c_str());
    return 1;
  }
  Cluster& c = **cluster;
  Bench b{c, Api(c), {}, samples};
  if (!b.api.post("/api/v1/namespaces", {{"metadata", {{"name", kNs}}}}).ok()) return 1;
  std::fprintf(stderr, "netpol: %d pods\n", pods);
  auto t0 = Clock::now();
  std::vector<testing::Pod> plugged;
  for (int i = 0; i < pods; ++i) {
    const std::string name = "pod-" + std::to_string(i);
    json labels = appSelector(i / 2);
    labels["role"] = "r-" + std::to_string(i % kRoles);
    json object = {{"apiVersion", "v1"},
                   {"kind", "Pod"},
                   {"metadata", {{"name", name}, {"namespace", kNs}, {"labels", labels}}},
                   {"spec", {{"containers", json::array({{{"name", "c"}, {"image", "pause"}}})}}}};
    if (!b.api.post("/api/v1/namespaces/bench/pods", object).ok()) return 1;
    auto got = b.api.get("/api/v1/namespaces/bench/pods/" + name);
    if (!got.ok()) return 1;
    auto pod = c.addKubernetesPod(i % 2, "vpc-b", "subnet-b", kNs, name,
                                  (*got)["metadata"]["uid"].get<std::string>());
    if (!pod.ok()) {
      std::fprintf(stderr, "%s: %s\n", name.c_str(), pod.status().message().c_str());
      return 1;
    }
    plugged.push_back(std::move(*pod));
    b.pod_names.push_back(name);
  }
  std::fprintf(stderr, "netpol: %d pods plugged in %.1f s\n", pods, ms(Clock::now() - t0) / 1000);

  std::printf("bench_netpol: policy realization, %d pods on 2 nodes, %d samples per kind\n", pods,
              samples);
  std::printf(
      "(from the API server's answer to the flows on every node that needs them; polled "
      "with ovs-ofctl, so each figure includes up to one poll, ~10-30 ms)\n");
  std::vector<ScaleResult> results;
  for (int target : scales) {
    results.push_back(b.run(target));
    print(results.back(), results.size() > 1 ? &results.front() : nullptr);
    std::fflush(stdout);
  }
  std::printf(
      "Published: Cilium scale report, enforcement <= 600 ms per endpoint with 250 "
      "policies at 1,000 nodes. Goal here: p99 <= 500 ms at 1,000 policies.\n");
  return 0;
}
