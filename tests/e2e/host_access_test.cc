// Issue 13, host access: the node always reaches its local pods through security groups (and
// only its local pods); a second, non-overlapping VPC gets probes, Services and DNS; an
// overlapping one is refused with a condition the operator sees; the node's path to a new pod
// exists the moment ADD returns (127.0.0.1:<hostPort> on a fresh node); the pod MTU follows the
// underlay interface and a missing underlay interface stops the agent with a clear error; pod
// annotations passed by the runtime choose the pod's network.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "lib/base/strings.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/kube_proxy.h"
#include "tests/e2e/traffic_util.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kTcp = 8080;
constexpr int kUdp = 8081;

ClusterOptions hostAccessCluster(int nodes) {
  return {.nodes = nodes,
          .extra_agent_flags = {"--host-gateway-vpc=vpc-default", "--service-cidr=10.96.0.0/12",
                                "--status-listen=127.0.0.1:50002"},
          .extra_controller_flags = {"--bootstrap-project=demo",
                                     "--bootstrap-vpc=vpc-default:10.0.0.0/16",
                                     "--bootstrap-subnet=subnet-default:10.0.1.0/24"}};
}

void serve(std::vector<Daemon>& servers, const Pod& pod, const std::string& tag,
           const std::string& logs) {
  for (auto [protocol, port] : {std::pair<std::string, int>{"tcp", kTcp}, {"udp", kUdp}}) {
    auto d = startEchoServer(pod.ns->name(), protocol, port, tag, logs + "/" + tag + protocol);
    ASSERT_TRUE(d.ok()) << d.status().message();
    servers.push_back(std::move(*d));
  }
}

std::string statusOf(ClusterNode& node, const std::string& path) {
  return node.ns->exec({"curl", "-s", "--max-time", "5", "http://127.0.0.1:50002" + path}).out;
}

// Row: node -> a pod whose security group admits only some pods (kubelet probes). The node's
// own connections pass; other pods, other nodes and Service traffic from outside the rules
// do not.
TEST(HostAccessTest, TheNodeReachesASecurityGroupedPodThatOtherPodsCannot) {
  auto c = Cluster::start(hostAccessCluster(2));
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  const std::string base = "/project/" + cluster.project();
  for (const char* g : {"guarded", "clients"}) {
    ASSERT_EQ(
        cluster.rest("POST", base + "/security-groups", {{"security_group", {{"id", g}}}}).status,
        201);
  }
  auto rule = [&](nlohmann::json r) {
    r["ethertype"] = "IPv4";
    ASSERT_EQ(
        cluster.rest("POST", base + "/security-group-rules", {{"security_group_rule", r}}).status,
        201);
  };
  for (const char* protocol : {"tcp", "udp"}) {
    rule({{"security_group_id", "guarded"},
          {"direction", "ingress"},
          {"protocol", protocol},
          {"remote_group_id", "clients"}});
  }
  rule({{"security_group_id", "guarded"}, {"direction", "egress"}});
  rule({{"security_group_id", "clients"}, {"direction", "egress"}});
  auto guarded = cluster.addPod(0, "vpc-default", "subnet-default", "guarded",
                                {{"securityGroups", {"guarded"}}});
  auto client = cluster.addPod(1, "vpc-default", "subnet-default", "client",
                               {{"securityGroups", {"clients"}}});
  auto stranger = cluster.addPod(0, "vpc-default", "subnet-default", "stranger");
  ASSERT_TRUE(guarded.ok() && client.ok() && stranger.ok());
  TempDir logs;
  std::vector<Daemon> servers;
  serve(servers, *guarded, "guarded", logs.path());
  const std::vector<Service> services = {
      {"default/guarded",
       "10.96.0.40",
       {{"tcp", 80, 0, {{guarded->ip(), kTcp}}}, {"udp", 81, 0, {{guarded->ip(), kUdp}}}}}};
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(installKubeProxyRules(*cluster.node(i).ns, services, "10.0.0.0/16").ok());
  }
  ClusterNode& n0 = cluster.node(0);
  const std::string gw0 = gatewayIp(n0);
  // The group's member gets in (the rules work at all).
  EXPECT_EQ(echoWithin(client->ns->name(), "tcp", guarded->ip(), kTcp), "guarded " + client->ip());
  // Its node: from the gateway address and from the node IP, TCP and UDP.
  for (const char* protocol : {"tcp", "udp"}) {
    const int port = std::string(protocol) == "tcp" ? kTcp : kUdp;
    EXPECT_EQ(echoWithin(n0.ns->name(), protocol, guarded->ip(), port), "guarded " + gw0);
    EXPECT_EQ(echoWithin(n0.ns->name(), protocol, guarded->ip(), port, 10, n0.ip),
              "guarded " + n0.ip);
  }
  // A pod outside the rules, directly or through a Service the node DNATs: the client's
  // address stays and the rules apply.
  EXPECT_EQ(echoRequest(stranger->ns->name(), "tcp", guarded->ip(), kTcp, 2), "");
  EXPECT_EQ(echoRequest(stranger->ns->name(), "udp", guarded->ip(), kUdp, 2), "");
  EXPECT_EQ(echoRequest(stranger->ns->name(), "tcp", "10.96.0.40", 80, 2), "");
  EXPECT_EQ(echoWithin(client->ns->name(), "tcp", "10.96.0.40", 80), "guarded " + client->ip());
  // Another node is not the pod's node: no exemption.
  EXPECT_EQ(echoRequest(cluster.node(1).ns->name(), "tcp", guarded->ip(), kTcp, 2), "");
}

// Rows: a pod of a second VPC reaches its node, Services and DNS; an overlapping VPC is refused
// with a log line, a counter and a condition on the status endpoint.
TEST(HostAccessTest, ASecondVpcGetsHostAccessAndAnOverlappingOneIsRefusedVisibly) {
  auto c = Cluster::start(hostAccessCluster(2));
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  auto blue = cluster.createVpcAndSubnet("10.1.0.0/16", "10.1.1.0/24");
  ASSERT_TRUE(blue.ok()) << blue.status().message();
  auto b = cluster.addPod(0, blue->first, blue->second, "blue");
  auto b_remote = cluster.addPod(1, blue->first, blue->second, "blue-remote");
  auto dns = cluster.addPod(1, "vpc-default", "subnet-default", "dns");
  ASSERT_TRUE(b.ok() && b_remote.ok() && dns.ok());
  TempDir logs;
  std::vector<Daemon> servers;
  serve(servers, *b, "blue", logs.path());
  serve(servers, *b_remote, "blue-remote", logs.path());
  serve(servers, *dns, "dns", logs.path());
  const std::vector<Service> services = {
      {"default/blue",
       "10.96.0.50",
       {{"tcp", 80, 0, {{b_remote->ip(), kTcp}}}, {"udp", 81, 0, {{b_remote->ip(), kUdp}}}}},
      {"kube-system/kube-dns", "10.96.0.10", {{"udp", 53, 0, {{dns->ip(), kUdp}}}}}};
  // kube-proxy's cluster CIDR covers both VPCs: it masquerades neither, the agent must do
  // what crossing VPCs needs.
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(installKubeProxyRules(*cluster.node(i).ns, services, "10.0.0.0/15").ok());
  }
  ClusterNode& n0 = cluster.node(0);
  const std::string gw1 = gatewayIp(n0, "alcor-gw1");
  ASSERT_FALSE(gw1.empty()) << n0.ns->exec({"ip", "addr"}).out;
  EXPECT_THAT(gw1, ::testing::StartsWith("10.1.1."));
  // Probes from its node, and the node's address from the pod.
  EXPECT_EQ(echoWithin(n0.ns->name(), "tcp", b->ip(), kTcp), "blue " + gw1);
  EXPECT_TRUE(canPing(*b, n0.ip));
  // A Service of its own VPC (backend on the other node), TCP and UDP.
  EXPECT_EQ(echoWithin(b->ns->name(), "tcp", "10.96.0.50", 80), "blue-remote " + b->ip());
  EXPECT_EQ(echoWithin(b->ns->name(), "udp", "10.96.0.50", 81), "blue-remote " + b->ip());
  // Cluster DNS (its backend is in the cluster VPC, on the other node): a Service crosses VPCs
  // through the node, which enters the cluster VPC with its own address there.
  EXPECT_EQ(echoWithin(b->ns->name(), "udp", "10.96.0.10", 53), "dns " + gatewayIp(n0));
  // But nothing else does: the node does not route one VPC's pods to another's.
  EXPECT_EQ(echoRequest(b->ns->name(), "udp", dns->ip(), kUdp, 2), "");
  // Egress leaves masqueraded like the cluster VPC's.
  auto out = addUnderlayHost(cluster, "10.200.0.100");
  ASSERT_TRUE(out.ok());
  auto outside = startEchoServer((*out)->name(), "tcp", kTcp, "outside", logs.path() + "/out");
  ASSERT_TRUE(outside.ok());
  EXPECT_EQ(echoWithin(b->ns->name(), "tcp", "10.200.0.100", kTcp), "outside " + n0.ip);

  // An overlapping VPC: its pod is added (pod traffic works) but gets no host access.
  auto red = cluster.createVpcAndSubnet("10.0.0.0/16", "10.0.1.0/24");
  ASSERT_TRUE(red.ok());
  auto r = cluster.addPod(0, red->first, red->second, "red");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_FALSE(canPing(*r, n0.ip));
  const std::string status = statusOf(n0, "/status");
  EXPECT_THAT(status, HasSubstr("\"state\": \"refused\""));
  EXPECT_THAT(status, HasSubstr("overlaps VPC vpc-default"));
  EXPECT_THAT(status, HasSubstr("\"vpc\": \"" + red->first + "\""));
  EXPECT_THAT(statusOf(n0, "/metrics"), HasSubstr("alcor_agent_host_access_refusals_total 1"));
  std::ifstream log(n0.agentLog());
  std::string text((std::istreambuf_iterator<char>(log)), {});
  EXPECT_THAT(text, HasSubstr("is refused host access on node-1: it overlaps VPC vpc-default"));
}

// Row: 127.0.0.1:<hostPort> right after the first pod of a fresh node, for the cluster VPC
// (set up at start-up) and for another VPC (set up by the ADD itself): one attempt, no waiting.
TEST(HostAccessTest, LocalhostHostPortWorksTheMomentTheFirstPodIsAdded) {
  auto c = Cluster::start(hostAccessCluster(1));
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  auto blue = cluster.createVpcAndSubnet("10.1.0.0/16", "10.1.1.0/24");
  ASSERT_TRUE(blue.ok());
  TempDir logs;
  std::vector<Daemon> servers;
  int host_port = 8088;
  for (auto [vpc, subnet] : {std::pair<std::string, std::string>{"vpc-default", "subnet-default"},
                             {blue->first, blue->second}}) {
    // The server is in the namespace before ADD, as a container's process would be right after.
    auto ns = Netns::create("pod");
    ASSERT_TRUE(ns.ok());
    auto d = startEchoServer((*ns)->name(), "tcp", kTcp, "first", logs.path() + "/" + vpc);
    ASSERT_TRUE(d.ok());
    servers.push_back(std::move(*d));
    Pod pod;
    pod.ns = std::move(*ns);
    pod.container_id = "c" + pod.ns->name();
    auto r =
        cluster.cni(0, "ADD", cluster.cniConfig(0, vpc, subnet), pod.container_id, pod.ns->path(),
                    "eth0", "IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=" + vpc);
    ASSERT_TRUE(r.ok()) << r.describe();
    pod.result = nlohmann::json::parse(r.out);
    ASSERT_TRUE(addHostPorts(cluster, pod, {{host_port, kTcp, "tcp"}}).ok());
    const std::string gateway = vpc == "vpc-default" ? "alcor-gw0" : "alcor-gw1";
    EXPECT_EQ(echoRequest(cluster.node(0).ns->name(), "tcp", "127.0.0.1", host_port, 3),
              "first " + gatewayIp(cluster.node(0), gateway));
    ++host_port;
  }
}

// Rows: the pod MTU follows the underlay interface's real MTU; a missing underlay interface is a
// clear start-up error.
TEST(HostAccessTest, PodMtuFollowsTheUnderlayAndAMissingUnderlayStopsTheAgent) {
  auto options = hostAccessCluster(1);
  options.start_agents = false;
  auto c = Cluster::start(options);
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  ClusterNode& node = cluster.node(0);
  ASSERT_TRUE(node.ns->shell("ip link set ul0 mtu 1400").ok());
  ASSERT_TRUE(cluster.startAgent(0).ok());
  ASSERT_TRUE(cluster.waitAgentReady(0).ok());
  auto pod = cluster.addPod(0, "vpc-default", "subnet-default");
  ASSERT_TRUE(pod.ok()) << pod.status().message();
  auto link = pod->ns->exec({"ip", "-o", "link", "show", "eth0"});
  EXPECT_THAT(link.out, HasSubstr(" mtu 1350 ")) << link.describe();
  EXPECT_TRUE(pod->ns->exec({"ping", "-c", "1", "-M", "do", "-s", "1322", node.ip}).ok());
  EXPECT_FALSE(pod->ns->exec({"ping", "-c", "1", "-M", "do", "-s", "1323", node.ip}).ok());

  cluster.stopAgent(0);
  RunOptions o;
  o.netns = node.ns->name();
  auto r = run({Cluster::binary("alcor-agent"), "--node-ip=" + node.ip, "--datapath-type=netdev",
                "--ovs-rundir=" + node.ovs->runDir(), "--underlay-bridge=br-phy",
                "--underlay-interface=nope0", "--state-dir=" + node.dir,
                "--cni-socket=" + node.dir + "/other.sock", "--status-listen="},
               o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.out + r.err, HasSubstr("underlay interface nope0 does not exist on this node"));
}

// Host access survives an agent restart (the gateway and its controller port are adopted, not
// made again) and an ovs-vswitchd crash that lost the internal port's device (recreated bare).
TEST(HostAccessTest, HostAccessSurvivesAgentAndVswitchdRestarts) {
  auto c = Cluster::start(hostAccessCluster(2));
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  auto local = cluster.addPod(0, "vpc-default", "subnet-default", "local");
  auto remote = cluster.addPod(1, "vpc-default", "subnet-default", "remote");
  ASSERT_TRUE(local.ok() && remote.ok());
  TempDir logs;
  std::vector<Daemon> servers;
  serve(servers, *local, "local", logs.path());
  serve(servers, *remote, "remote", logs.path());
  ClusterNode& n0 = cluster.node(0);
  const std::string gw = gatewayIp(n0);
  auto reachable = [&] {
    return echoWithin(n0.ns->name(), "tcp", local->ip(), kTcp) == "local " + gw &&
           echoWithin(n0.ns->name(), "udp", remote->ip(), kUdp) == "remote " + gw;
  };
  ASSERT_TRUE(reachable());
  const int ports = controllerPortCount(cluster);

  cluster.stopAgent(0);
  ASSERT_TRUE(cluster.startAgent(0).ok());
  ASSERT_TRUE(cluster.waitAgentReady(0).ok());
  EXPECT_TRUE(reachable());
  EXPECT_EQ(gatewayIp(n0), gw);
  EXPECT_EQ(controllerPortCount(cluster), ports);  // the same gateway port, adopted

  // A vswitchd that comes back recreates the internal port's device, bare.
  ASSERT_TRUE(n0.ovs->killVswitchd().ok());
  ASSERT_TRUE(n0.ns->exec({"ip", "link", "del", "alcor-gw0"}).ok());
  ASSERT_TRUE(n0.ovs->restartVswitchd().ok());
  EXPECT_TRUE(waitFor([&] { return gatewayIp(n0) == gw; }, std::chrono::seconds(20)))
      << n0.ns->exec({"ip", "addr", "show", "alcor-gw0"}).out;
  EXPECT_TRUE(waitFor(reachable, std::chrono::seconds(20)))
      << n0.ns->exec({"ip", "addr", "show"}).out
      << cluster.node(1).ovs->appctl({"tnl/neigh/show"}).out;
}

// Uninstall: `alcor-agent --cleanup` with the agent's own configuration (TLS to the controller,
// its node token) removes the host gateway port, its controller port and the NAT table. With
// `agent_running`, as the documented removal does it (in the agent's pod): the running agent must
// not set up again what the removal took away (it would find its gateway port gone from the
// controller and recreate it, the NAT table with it) before it is stopped.
void cleanupRemovesHostAccess(bool agent_running) {
  auto c = Cluster::start(hostAccessCluster(1));
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  ClusterNode& n0 = cluster.node(0);
  auto pod = cluster.addPod(0, "vpc-default", "subnet-default", "p");
  ASSERT_TRUE(pod.ok()) << pod.status().message();
  ASSERT_FALSE(gatewayIp(n0).empty());
  ASSERT_THAT(n0.ovs->vsctl({"list-ports", "br-int"}).out, HasSubstr("alcor-gw0"));
  ASSERT_TRUE(n0.ns->exec({"nft", "list", "table", "ip", "alcor"}).ok());
  const int ports = controllerPortCount(cluster);

  if (!agent_running) cluster.stopAgent(0);
  CommandResult r = cluster.runAgentOnce(0, {"--cleanup"});
  ASSERT_TRUE(r.ok()) << r.describe();
  if (agent_running) {
    ASSERT_TRUE(waitFor(
        [&] {
          return readFileOrEmpty(n0.agentLog()).find("alcor-agent --cleanup ran") !=
                 std::string::npos;
        },
        std::chrono::seconds(10)))
        << "the running agent did not notice the removal";
    // A few maintenance passes (one a second) later, still nothing is back.
    std::this_thread::sleep_for(std::chrono::seconds(3));
    EXPECT_THAT(readFileOrEmpty(n0.agentLog()), Not(HasSubstr("setting host access up again")));
  }
  EXPECT_THAT(n0.ovs->vsctl({"list-ports", "br-int"}).out, Not(HasSubstr("alcor-gw0")));
  EXPECT_FALSE(n0.ns->exec({"nft", "list", "table", "ip", "alcor"}).ok());
  EXPECT_EQ(controllerPortCount(cluster), ports - 1);  // the gateway's port; the pod's stays
}

TEST(HostAccessTest, CleanupRemovesHostAccessThroughTheSecuredController) {
  cleanupRemovesHostAccess(/*agent_running=*/false);
}

TEST(HostAccessTest, CleanupBesideTheRunningAgentIsNotUndone) {
  cleanupRemovesHostAccess(/*agent_running=*/true);
}

// Capability io.kubernetes.cri.pod-annotations: the runtime's copy of the pod's annotations
// picks its network (here a second subnet of the admin's VPC and an address) with no Kubernetes
// API at all. Tenancy still holds: the annotation may choose only within the admin's VPC.
TEST(HostAccessTest, PodAnnotationsFromTheRuntimeChooseThePodsNetwork) {
  auto c = Cluster::start(hostAccessCluster(1));
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  HttpReply second = cluster.rest("POST", "/project/" + cluster.project() + "/subnets",
                                  {{"subnet",
                                    {{"id", "subnet-second"},
                                     {"network_id", "vpc-default"},
                                     {"cidr", "10.0.2.0/24"},
                                     {"ip_version", 4}}}});
  ASSERT_TRUE(second.status == 201 || second.status == 200) << second.raw;
  const std::string second_id = second.body["subnet"]["id"].get<std::string>();
  auto annotated = [&](const std::string& vpc, const std::string& subnet, const std::string& ip,
                       const std::string& name) {
    nlohmann::json runtime = {
        {"io.kubernetes.cri.pod-annotations",
         {{"alcor.io/vpc", vpc}, {"alcor.io/subnet", subnet}, {"alcor.io/ip-address", ip}}}};
    return cluster.addPod(0, "vpc-default", "subnet-default", name, {{"runtimeConfig", runtime}});
  };
  auto pod = annotated("vpc-default", second_id, "10.0.2.77", "annotated");
  ASSERT_TRUE(pod.ok()) << pod.status().message();
  EXPECT_EQ(pod->ip(), "10.0.2.77");

  // Another VPC is not the pod's to choose, whoever passes the annotation.
  auto blue = cluster.createVpcAndSubnet("10.1.0.0/16", "10.1.1.0/24");
  ASSERT_TRUE(blue.ok());
  auto refused = annotated(blue->first, blue->second, "10.1.1.77", "intruder");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("may not use"), std::string::npos)
      << refused.status().message();
}

}  // namespace
}  // namespace alcor::testing
