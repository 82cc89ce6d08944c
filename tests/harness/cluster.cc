#include "tests/harness/cluster.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "lib/base/strings.h"

namespace alcor::testing {
namespace {

constexpr const char* kInfraIp = "10.200.0.1";
constexpr int kRestPort = 9009;
constexpr int kGrpcPort = 9090;
constexpr const char* kKubeApi = "http://10.200.0.1:6443";

std::string nodeIp(int i) { return "10.200.0." + std::to_string(11 + i); }
std::string nodeName(int i) { return "node-" + std::to_string(i + 1); }

std::string randomToken() {
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  unsigned char bytes[24];
  urandom.read(reinterpret_cast<char*>(bytes), sizeof(bytes));
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 0xf];
  }
  return out;
}

void writeFile(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

}  // namespace

std::string Pod::ip() const {
  if (!result.contains("ips") || result["ips"].empty()) return "";
  std::string cidr = result["ips"][0].value("address", "");
  return cidr.substr(0, cidr.find('/'));
}

std::string Cluster::binary(const std::string& name) {
  static const std::map<std::string, std::string> kPaths = {
      {"alcor-cni", "/cni-plugin/alcor-cni"},
      {"alcor-agent", "/node-agent/exe/alcor-agent"},
      {"alcor-controller", "/controller/alcor-controller"},
      {"fake_kube_api", "/tests/harness/fake_kube_api"},
  };
  return std::string(ALCOR_BINARY_DIR) + kPaths.at(name);
}

StatusOr<std::unique_ptr<Cluster>> Cluster::start(ClusterOptions options) {
  std::unique_ptr<Cluster> c(new Cluster(std::move(options)));
  ASSIGN_OR_RETURN(c->infra_, Netns::create("infra"));
  // A fixed MAC: a Linux bridge otherwise takes the lowest MAC of its ports, and the controller's
  // address would move (stale ARP entries on the nodes) whenever a test plugs in another port.
  auto r = c->infra_->shell(std::string("ip link add ulbr address 02:00:0a:c8:00:01 type bridge && "
                                        "ip link set ulbr up && ip addr add ") +
                            kInfraIp + "/24 dev ulbr");
  if (!r.ok()) return internalError("underlay bridge: " + r.describe());
  // REST tokens: one admin, one per node (static token file, kube-apiserver's format).
  c->admin_token_ = randomToken();
  // Nodes: static tokens, or (kubernetes) bound service account tokens the fake API reviews.
  std::string tokens = c->admin_token_ + ",e2e-admin,1,\"alcor:admins\"\n";
  c->world_ = {{"namespaces", nlohmann::json::object()},
               {"pods", nlohmann::json::object()},
               {"tokens", nlohmann::json::object()}};
  for (int i = 0; i < c->options_.nodes; ++i) {
    c->node_tokens_.push_back(randomToken());
    if (c->options_.kubernetes) {
      c->world_["tokens"][c->node_tokens_.back()] = {
          {"username", "system:serviceaccount:alcor-system:alcor-agent"},
          {"groups", {"system:serviceaccounts", "system:serviceaccounts:alcor-system"}},
          {"extra", {{"authentication.kubernetes.io/node-name", {nodeName(i)}}}},
          {"audiences", {"alcor-controller"}}};
    } else {
      tokens += c->node_tokens_.back() + ",alcor:node:" + nodeName(i) + "," +
                std::to_string(100 + i) + "\n";
    }
  }
  writeFile(c->dir_.path() + "/tokens.csv", tokens);
  if (c->options_.kubernetes) RETURN_IF_ERROR(c->startKubeApi());
  if (c->options_.nats_nodes > 0) {
    NatsClusterOptions no;
    no.nodes = c->options_.nats_nodes;
    no.address = kInfraIp;
    no.netns = c->infra_->name();
    ASSIGN_OR_RETURN(c->nats_, NatsCluster::start(no));
    for (const auto& u : c->nats_->urls()) {
      c->nats_urls_ += (c->nats_urls_.empty() ? "" : ",") + u;
    }
    c->options_.extra_controller_flags.push_back("--southbound=" + c->options_.nats_southbound);
    c->options_.extra_controller_flags.push_back("--nats-servers=" + c->nats_urls_);
    c->options_.extra_agent_flags.push_back("--nats-servers=" + c->nats_urls_);
  }
  if (c->options_.kube_apiserver) {
    const std::string dir = c->dir_.path() + "/kube-apiserver";
    if (!run({"mkdir", "-p", dir}).ok()) return internalError("cannot create " + dir);
    ASSIGN_OR_RETURN(c->kube_apiserver_, KubeApiServer::start(c->infra_->name(), kInfraIp, dir));
  }
  RETURN_IF_ERROR(c->startController());
  for (int i = 0; i < c->options_.nodes; ++i) RETURN_IF_ERROR(c->addNode(i));
  if (c->options_.start_agents) {
    for (int i = 0; i < c->options_.nodes; ++i) {
      RETURN_IF_ERROR(c->startAgent(i));
    }
    for (int i = 0; i < c->options_.nodes; ++i) RETURN_IF_ERROR(c->waitAgentReady(i));
  }
  return c;
}

Cluster::~Cluster() {
  for (auto& n : nodes_) n->agent.stop();
  controller_.stop();
  kube_api_.stop();
  nats_.reset();
  kube_apiserver_.reset();
  for (auto& n : nodes_) {
    if (n->ovs) (void)n->ovs->stop();
    n->ovs.reset();
    n->ns.reset();
  }
  nodes_.clear();
  infra_.reset();
}

Status Cluster::startController() {
  RunOptions o;
  o.netns = infra_->name();
  std::vector<std::string> argv = {
      binary("alcor-controller"),
      "--listen=" + std::string(kInfraIp) + ":" + std::to_string(kRestPort),
      "--grpc-listen=" + std::string(kInfraIp) + ":" + std::to_string(kGrpcPort),
      "--db=" + (options_.persistent_controller ? dir_.path() + "/controller.db" : ":memory:"),
      "--pki-dir=" + dir_.path() + "/pki",
      "--tls-san=" + std::string(kInfraIp),
      "--token-file=" + dir_.path() + "/tokens.csv"};
  if (options_.kubernetes) {
    argv.insert(argv.end(), {"--token-review", "--kube-api-server=" + std::string(kKubeApi),
                             "--publish-ca=alcor-system/alcor-ca"});
  }
  if (kube_apiserver_) {
    argv.insert(argv.end(), {"--kube-api-server=" + kube_apiserver_->url(),
                             "--kube-token-file=" + kube_apiserver_->controllerTokenFile(),
                             "--kube-ca-file=" + kube_apiserver_->caFile()});
  }
  argv.insert(argv.end(), options_.extra_controller_flags.begin(),
              options_.extra_controller_flags.end());
  // Appended, so a restarted controller's log follows the first one's.
  std::vector<std::string> wrapped = {"sh", "-c", "exec \"$@\" >>" + controllerLog() + " 2>&1",
                                      "controller"};
  wrapped.insert(wrapped.end(), argv.begin(), argv.end());
  ASSIGN_OR_RETURN(controller_, Daemon::start(wrapped, "/dev/null", o));
  if (!waitFor([&] { return rest("GET", "/healthz").status == 200; }, std::chrono::seconds(10))) {
    return internalError("alcor-controller did not become healthy; log: " + controllerLog());
  }
  return okStatus();
}

void Cluster::stopController() { controller_.stop(); }

Status Cluster::startKubeApi() {
  writeFile(dir_.path() + "/world.json", world_.dump());
  RunOptions o;
  o.netns = infra_->name();
  ASSIGN_OR_RETURN(kube_api_, Daemon::start({binary("fake_kube_api"), "--listen=10.200.0.1:6443",
                                             "--world=" + dir_.path() + "/world.json"},
                                            dir_.path() + "/kube-api.log", o));
  bool up = waitFor(
      [&] {
        return run({"curl", "-sf", std::string(kKubeApi) + "/api/v1/namespaces/none"}, o)
                   .exit_code == 22;  // HTTP 404: serving
      },
      std::chrono::seconds(10));
  return up ? okStatus() : internalError("fake_kube_api did not start");
}

Status Cluster::setKubernetesObjects(const nlohmann::json& namespaces, const nlohmann::json& pods) {
  if (!options_.kubernetes) return failedPreconditionError("not a kubernetes cluster");
  world_["namespaces"] = namespaces;
  world_["pods"] = pods;
  const std::string path = dir_.path() + "/world.json";
  writeFile(path + ".tmp", world_.dump());
  if (std::rename((path + ".tmp").c_str(), path.c_str()) != 0) {
    return internalError("cannot replace " + path);
  }
  return okStatus();
}
void Cluster::killController() { controller_.kill(); }

Status Cluster::addNode(int i) {
  auto node = std::make_unique<ClusterNode>();
  node->name = nodeName(i);
  node->ip = nodeIp(i);
  ASSIGN_OR_RETURN(node->ns, Netns::create("n" + std::to_string(i + 1)));
  node->dir = dir_.path() + "/" + node->name;
  std::filesystem::create_directories(node->dir);
  node->token = node_tokens_.at(static_cast<size_t>(i));
  writeFile(node->tokenFile(), node->token + "\n");
  std::string infra_if = "u" + std::to_string(i + 1);
  RETURN_IF_ERROR(addVethPair(infra_->name(), infra_if, node->ns->name(), "ul0"));
  // The infra end feeds the userspace datapath of the node: complete checksums there too.
  auto r = infra_->shell("ip link set " + infra_if + " master ulbr && ethtool -K " + infra_if +
                         " tx off >/dev/null");
  if (!r.ok()) return internalError("attach " + infra_if + ": " + r.describe());
  ASSIGN_OR_RETURN(node->ovs, OvsSandbox::start(node->ns->name()));
  nodes_.push_back(std::move(node));
  return okStatus();
}

std::vector<std::string> Cluster::agentArgv(int i) {
  ClusterNode& n = node(i);
  std::vector<std::string> argv = {
      binary("alcor-agent"),
      "--node-name=" + n.name,
      "--node-ip=" + n.ip,
      "--controller-url=https://" + std::string(kInfraIp) + ":" + std::to_string(kRestPort),
      "--controller-grpc=" + std::string(kInfraIp) + ":" + std::to_string(kGrpcPort),
      "--controller-token-file=" + n.tokenFile(),
      "--cni-socket=" + n.cniSocket(),
      "--ovs-rundir=" + n.ovs->runDir(),
      "--datapath-type=netdev",
      "--underlay-bridge=br-phy",
      "--underlay-interface=ul0",
      "--state-dir=" + n.dir,
      "--default-project=" + options_.project,
      "--log-level=debug"};
  // The CA: a file, or (kubernetes) the ConfigMap the controller published it in.
  argv.push_back(options_.kubernetes ? "--kube-api-server=" + std::string(kKubeApi)
                                     : "--tls-ca=" + caFile());
  argv.insert(argv.end(), options_.extra_agent_flags.begin(), options_.extra_agent_flags.end());
  return argv;
}

Status Cluster::startAgent(int i) {
  ClusterNode& n = node(i);
  RunOptions o;
  o.netns = n.ns->name();
  ASSIGN_OR_RETURN(n.agent, Daemon::start(agentArgv(i), n.agentLog(), o));
  return okStatus();
}

CommandResult Cluster::runAgentOnce(int i, const std::vector<std::string>& extra_flags) {
  RunOptions o;
  o.netns = node(i).ns->name();
  std::vector<std::string> argv = agentArgv(i);
  argv.insert(argv.end(), extra_flags.begin(), extra_flags.end());
  return run(argv, o);
}

void Cluster::stopAgent(int i) { node(i).agent.stop(); }
void Cluster::killAgent(int i) { node(i).agent.kill(); }

Status Cluster::waitAgentReady(int i) {
  nlohmann::json config = cniConfig(i, "", "", "1.1.0");
  bool ready = waitFor(
      [&] {
        if (!node(i).agent.running()) return true;  // reported below
        return cni(i, "STATUS", config, "", "").ok();
      },
      std::chrono::seconds(30));
  if (!node(i).agent.running()) {
    return internalError(node(i).name + ": alcor-agent exited; log: " + node(i).agentLog());
  }
  if (!ready) return internalError(node(i).name + ": agent not ready; log: " + node(i).agentLog());
  return okStatus();
}

HttpReply Cluster::rest(const std::string& method, const std::string& path,
                        const nlohmann::json& body) {
  return restAs(admin_token_, method, path, body);
}

HttpReply Cluster::restAs(const std::string& token, const std::string& method,
                          const std::string& path, const nlohmann::json& body) {
  std::vector<std::string> argv = {"curl",       "-s",
                                   "-X",         method,
                                   "-w",         "\n%{http_code}",
                                   "-H",         "Content-Type: application/json",
                                   "--cacert",   caFile(),
                                   "--max-time", "20"};
  if (!token.empty()) {
    argv.push_back("-H");
    argv.push_back("Authorization: Bearer " + token);
  }
  if (!body.is_null()) {
    argv.push_back("--data-binary");
    argv.push_back(body.dump());
  }
  argv.push_back("https://" + std::string(kInfraIp) + ":" + std::to_string(kRestPort) + path);
  RunOptions o;
  o.netns = infra_->name();
  auto r = run(argv, o);
  HttpReply reply;
  auto nl = r.out.rfind('\n');
  if (nl == std::string::npos) return reply;
  reply.status = parseInt<int>(r.out.substr(nl + 1)).value_or(0);
  reply.raw = r.out.substr(0, nl);
  reply.body = nlohmann::json::parse(reply.raw, nullptr, false);
  return reply;
}

StatusOr<std::pair<std::string, std::string>> Cluster::createVpcAndSubnet(
    const std::string& vpc_cidr, const std::string& subnet_cidr) {
  auto vpc = rest("POST", "/project/" + project() + "/vpcs",
                  {{"network", {{"name", "vpc-" + vpc_cidr}, {"cidr", vpc_cidr}}}});
  if (vpc.status != 201 && vpc.status != 200) {
    return internalError("create VPC: HTTP " + std::to_string(vpc.status) + " " + vpc.raw);
  }
  std::string vpc_id = vpc.body["network"]["id"];
  auto subnet = rest("POST", "/project/" + project() + "/subnets",
                     {{"subnet",
                       {{"name", "subnet-" + subnet_cidr},
                        {"network_id", vpc_id},
                        {"cidr", subnet_cidr},
                        {"ip_version", 4}}}});
  if (subnet.status != 201 && subnet.status != 200) {
    return internalError("create subnet: HTTP " + std::to_string(subnet.status) + " " + subnet.raw);
  }
  return std::make_pair(vpc_id, subnet.body["subnet"]["id"].get<std::string>());
}

nlohmann::json Cluster::cniConfig(int i, const std::string& vpc, const std::string& subnet,
                                  const std::string& cni_version) const {
  nlohmann::json c = {{"cniVersion", cni_version},
                      {"name", "alcor"},
                      {"type", "alcor-cni"},
                      {"agentSocket", nodes_.at(static_cast<size_t>(i))->cniSocket()},
                      {"project", options_.project}};
  if (!vpc.empty()) c["vpc"] = vpc;
  if (!subnet.empty()) c["subnet"] = subnet;
  return c;
}

CommandResult Cluster::cni(int i, const std::string& command, const nlohmann::json& config,
                           const std::string& container_id, const std::string& netns_path,
                           const std::string& ifname, const std::string& cni_args) {
  RunOptions o;
  o.netns = node(i).ns->name();
  o.env = {{"CNI_COMMAND", command},  {"CNI_CONTAINERID", container_id},
           {"CNI_NETNS", netns_path}, {"CNI_IFNAME", ifname},
           {"CNI_ARGS", cni_args},    {"CNI_PATH", "/usr/lib/cni"}};
  o.stdin_data = config.dump();
  o.timeout = std::chrono::seconds(120);
  return run({binary("alcor-cni")}, o);
}

StatusOr<Pod> Cluster::addPod(int i, const std::string& vpc, const std::string& subnet,
                              const std::string& pod_name, const nlohmann::json& extra_config) {
  std::string name = pod_name.empty() ? "pod-" + std::to_string(++pod_counter_) : pod_name;
  return addPodAs(i, vpc, subnet, "default", name, "", extra_config);
}

StatusOr<Pod> Cluster::addKubernetesPod(int i, const std::string& vpc, const std::string& subnet,
                                        const std::string& ns, const std::string& name,
                                        const std::string& uid) {
  return addPodAs(i, vpc, subnet, ns, name, uid, nlohmann::json::object());
}

StatusOr<Pod> Cluster::addPodAs(int i, const std::string& vpc, const std::string& subnet,
                                const std::string& ns, const std::string& name,
                                const std::string& uid, const nlohmann::json& extra_config) {
  Pod pod;
  pod.node = i;
  ASSIGN_OR_RETURN(pod.ns, Netns::create("pod"));
  pod.container_id = "c" + pod.ns->name();
  nlohmann::json config = cniConfig(i, vpc, subnet);
  config.update(extra_config);
  auto r = cni(i, "ADD", config, pod.container_id, pod.ns->path(), pod.ifname,
               "IgnoreUnknown=1;K8S_POD_NAMESPACE=" + ns + ";K8S_POD_NAME=" + name +
                   ";K8S_POD_UID=" + (uid.empty() ? "uid-" + pod.ns->name() : uid));
  if (!r.ok()) return internalError("CNI ADD " + name + ": " + r.describe());
  pod.result = nlohmann::json::parse(r.out, nullptr, false);
  if (pod.result.is_discarded()) return internalError("CNI ADD " + name + ": bad JSON " + r.out);
  return pod;
}

CommandResult Cluster::delPod(Pod& pod, const std::string& vpc, const std::string& subnet) {
  nlohmann::json config = cniConfig(pod.node, vpc, subnet);
  config["prevResult"] = pod.result;
  return cni(pod.node, "DEL", config, pod.container_id, pod.ns ? pod.ns->path() : "", pod.ifname);
}

}  // namespace alcor::testing
