#pragma once

// An Alcor CNI "cluster" on one machine, for end-to-end tests: an infra namespace holding the
// underlay bridge and alcor-controller, and N node namespaces, each with its own OVS sandbox and
// alcor-agent, joined to the underlay by a veth. Pods are namespaces plugged in through the real
// alcor-cni binary, exactly as a runtime would call it. Everything is torn down by PID.
//
//   infra ns:  ulbr (Linux bridge, 10.200.0.1/24) -- controller REST :9009, on-demand gRPC :9090
//   node i:    ul0 -> br-phy (node IP 10.200.0.(10+i)/24, OVS netdev) ; br-int ; alcor-agent
//
// Secured as in production (docs/security.md): the controller creates its CA in <dir>/pki and
// serves HTTPS with static tokens (<dir>/tokens.csv: an admin token and one per node); each
// agent trusts that CA, gets its node certificate from the controller with its node token, and
// all gRPC is mutual TLS.

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "nlohmann/json.hpp"
#include "tests/harness/kube_apiserver.h"
#include "tests/harness/nats_cluster.h"
#include "tests/harness/netns.h"
#include "tests/harness/ovs_sandbox.h"
#include "tests/harness/process.h"

namespace alcor::testing {

struct ClusterOptions {
  int nodes = 1;
  bool start_agents = true;
  std::vector<std::string> extra_agent_flags;
  std::vector<std::string> extra_controller_flags;
  std::string project = "demo";
  // SQLite file in the cluster's temp dir instead of :memory: (controller restart tests).
  bool persistent_controller = false;
  // Trust bootstrapped as in Kubernetes: a fake API server in the infra namespace
  // (10.200.0.1:6443) answers TokenReviews for the agents' bound tokens (service account
  // alcor-agent, node name in the token) and holds the ConfigMap the controller publishes its
  // CA in, which the agents read instead of --tls-ca; it also serves pod and namespace
  // annotations (setKubernetesObjects).
  bool kubernetes = false;
  // Issue 20: a NATS cluster of this many nodes on the infra address (10.200.0.1, one port
  // each), and the controller (--southbound=mq) and the agents taking GoalStates over it.
  int nats_nodes = 0;
  // The controller's --southbound with nats_nodes: mq, or auto (thresholds in
  // extra_controller_flags).
  std::string nats_southbound = "mq";
  // A real kube-apiserver and etcd (kube_apiserver.h) in the infra namespace at
  // https://10.200.0.1:6443, started before the controller, which gets --kube-api-server and the
  // alcor-controller ServiceAccount's token (RBAC: manifests/rbac.yaml). Not with `kubernetes`.
  bool kube_apiserver = false;
};

struct HttpReply {
  int status = 0;  // 0: no answer
  nlohmann::json body;
  std::string raw;
};

class ClusterNode {
 public:
  std::string name;  // node name (binding:host_id)
  std::string ip;
  std::unique_ptr<Netns> ns;
  std::unique_ptr<OvsSandbox> ovs;
  std::string dir;  // agent state dir, CNI socket, logs
  Daemon agent;
  std::string cniSocket() const { return dir + "/cni.sock"; }
  std::string agentLog() const { return dir + "/agent.log"; }
  std::string tokenFile() const { return dir + "/token"; }
  std::string token;  // its REST bearer token (user alcor:node:<name>)
  // The node certificate the agent got from the controller, and its key.
  std::string certFile() const { return dir + "/pki/node.crt"; }
  std::string keyFile() const { return dir + "/pki/node.key"; }
};

struct Pod {
  std::unique_ptr<Netns> ns;
  std::string container_id;
  std::string ifname = "eth0";
  int node = 0;
  nlohmann::json result;   // the CNI ADD result
  std::string ip() const;  // first address without prefix
};

class Cluster {
 public:
  static StatusOr<std::unique_ptr<Cluster>> start(ClusterOptions options = {});
  ~Cluster();

  int size() const { return static_cast<int>(nodes_.size()); }
  ClusterNode& node(int i) { return *nodes_.at(static_cast<size_t>(i)); }
  const Netns& infra() const { return *infra_; }
  const std::string& project() const { return options_.project; }
  std::string controllerLog() const { return dir_.path() + "/controller.log"; }

  // Agent lifecycle (for restart tests).
  Status startAgent(int i);
  void stopAgent(int i);  // SIGTERM
  void killAgent(int i);  // SIGKILL
  Status waitAgentReady(int i);
  // Runs alcor-agent in the node's namespace with the flags it is started with plus
  // `extra_flags` (e.g. --cleanup) and waits for it to exit.
  CommandResult runAgentOnce(int i, const std::vector<std::string>& extra_flags);

  // Controller lifecycle (restart tests need persistent_controller).
  Status startController();
  void stopController();  // SIGTERM
  void killController();  // SIGKILL
  bool controllerRunning() { return controller_.running(); }

  // REST against the controller (HTTPS, admin token), from inside the infra namespace.
  HttpReply rest(const std::string& method, const std::string& path,
                 const nlohmann::json& body = nullptr);
  // The same with another bearer token (empty: none).
  HttpReply restAs(const std::string& token, const std::string& method, const std::string& path,
                   const nlohmann::json& body = nullptr);
  const std::string& adminToken() const { return admin_token_; }
  // The controller's CA certificate, which agents trust, and its own key and certificate.
  std::string caFile() const { return dir_.path() + "/pki/ca.crt"; }
  std::string controllerCertFile() const { return dir_.path() + "/pki/controller.crt"; }
  std::string controllerKeyFile() const { return dir_.path() + "/pki/controller.key"; }
  std::string dir() const { return dir_.path(); }
  // kubernetes clusters: the annotations the fake API server serves, e.g.
  // namespaces {"default": {"alcor.io/vpc": "v"}}, pods {"default/p": {...}}.
  Status setKubernetesObjects(const nlohmann::json& namespaces, const nlohmann::json& pods);
  // POST a VPC and a subnet; returns {vpc id, subnet id}.
  StatusOr<std::pair<std::string, std::string>> createVpcAndSubnet(const std::string& vpc_cidr,
                                                                   const std::string& subnet_cidr);

  // The CNI network configuration alcor-cni gets on stdin for this cluster.
  nlohmann::json cniConfig(int node, const std::string& vpc, const std::string& subnet,
                           const std::string& cni_version = "1.0.0") const;
  // Runs alcor-cni in the node namespace with a CNI environment.
  CommandResult cni(int node, const std::string& command, const nlohmann::json& config,
                    const std::string& container_id, const std::string& netns_path,
                    const std::string& ifname = "eth0", const std::string& cni_args = "");

  // Creates a pod namespace and ADDs it; the result lands in Pod::result. `extra_config` keys
  // (e.g. securityGroups) are added to the network configuration.
  StatusOr<Pod> addPod(int node, const std::string& vpc, const std::string& subnet,
                       const std::string& pod_name = "",
                       const nlohmann::json& extra_config = nlohmann::json::object());
  CommandResult delPod(Pod& pod, const std::string& vpc, const std::string& subnet);
  // A pod of a Kubernetes namespace, as kubelet asks for it (CNI_ARGS with its uid).
  StatusOr<Pod> addKubernetesPod(int node, const std::string& vpc, const std::string& subnet,
                                 const std::string& ns, const std::string& name,
                                 const std::string& uid);
  // With ClusterOptions::kube_apiserver, else null.
  KubeApiServer* kubeApiServer() { return kube_apiserver_.get(); }

  static std::string binary(const std::string& name);  // build dir path of our binaries
  NatsCluster* nats() { return nats_.get(); }          // null without nats_nodes

 private:
  explicit Cluster(ClusterOptions options) : options_(std::move(options)) {}
  Status addNode(int index);
  std::vector<std::string> agentArgv(int i);
  Status startKubeApi();
  StatusOr<Pod> addPodAs(int node, const std::string& vpc, const std::string& subnet,
                         const std::string& ns, const std::string& name, const std::string& uid,
                         const nlohmann::json& extra_config);

  ClusterOptions options_;
  TempDir dir_{"alcor-cluster"};
  std::unique_ptr<Netns> infra_;
  Daemon controller_;
  std::vector<std::unique_ptr<ClusterNode>> nodes_;
  int pod_counter_ = 0;
  std::string admin_token_;
  std::vector<std::string> node_tokens_;
  Daemon kube_api_;
  std::unique_ptr<NatsCluster> nats_;
  std::string nats_urls_;  // comma-separated
  nlohmann::json world_;   // what fake_kube_api serves
  std::unique_ptr<KubeApiServer> kube_apiserver_;
};

}  // namespace alcor::testing
