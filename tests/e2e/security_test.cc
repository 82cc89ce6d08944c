// Issue 19, end to end: every control channel is authenticated. Attacks from a pod, from the
// underlay and from a stolen or foreign certificate or token are refused and change nothing
// (checked with the OVS tools and the controller's records), while the cluster keeps working,
// through certificate rotations too. docs/security.md lists what each test shows.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <thread>

#include "lib/security/files.h"
#include "lib/security/x509.h"
#include "tests/e2e/e2e_util.h"

namespace alcor::testing {
namespace {

using ::testing::HasSubstr;

const std::string kPush = GOALSTATE_PUSH_BINARY;

struct OvsSnapshot {
  std::vector<std::string> flows, ports;
  bool operator==(const OvsSnapshot&) const = default;
};
OvsSnapshot snapshot(ClusterNode& node) { return {node.ovs->dumpFlows("br-int"), podPorts(node)}; }

std::string portIdOf(Cluster& c, const Pod& pod) {
  auto r = c.rest("GET", "/project/" + c.project() + "/ports");
  for (const auto& p : r.body["ports"]) {
    for (const auto& ip : p["fixed_ips"]) {
      if (ip["ip_address"] == pod.ip()) return p["id"];
    }
  }
  return "";
}

std::string fileText(const std::string& path) { return security::readTextFile(path).valueOr(""); }

std::string serialOf(const std::string& cert_file) {
  auto info = security::parseCertificate(fileText(cert_file));
  return info.ok() ? info->serial : "";
}

// goalstate_push from `netns` with `tls_args`; true when the agent accepted the push.
CommandResult push(const std::string& netns, const std::string& target,
                   std::vector<std::string> tls_args, const std::string& delete_port = "") {
  std::vector<std::string> argv = {kPush, "--target=" + target, "--timeout-ms=3000"};
  argv.insert(argv.end(), tls_args.begin(), tls_args.end());
  if (!delete_port.empty()) argv.push_back("--delete-port=" + delete_port);
  RunOptions o;
  o.netns = netns;
  return run(argv, o);
}

class SecurityTest : public ::testing::Test {
 protected:
  static ClusterOptions hostAccess(ClusterOptions o = {}) {
    o.extra_agent_flags.push_back("--host-gateway-vpc=vpc-default");
    o.extra_controller_flags.insert(
        o.extra_controller_flags.end(),
        {"--bootstrap-project=demo", "--bootstrap-vpc=vpc-default:10.0.0.0/16",
         "--bootstrap-subnet=subnet-default:10.0.1.0/24"});
    return o;
  }
};

// Attacks on the agents' GoalState port: from a pod (the data-path guard drops them before
// TLS), and from the underlay with no, a node's, or a foreign CA's certificate (TLS refuses).
TEST_F(SecurityTest, GoalStatePushesFromAnyoneButTheControllerAreRefusedAndChangeNothing) {
  ClusterOptions o = hostAccess();
  o.nodes = 2;
  auto c = Cluster::start(o);
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  auto attacker = cluster.addPod(0, "vpc-default", "subnet-default", "attacker");
  auto victim = cluster.addPod(0, "vpc-default", "subnet-default", "victim");
  ASSERT_TRUE(attacker.ok() && victim.ok()) << attacker.status().message();
  const std::string victim_port = portIdOf(cluster, *victim);
  ASSERT_FALSE(victim_port.empty());
  ClusterNode& node = cluster.node(0);
  const std::string agent = node.ip + ":50001";
  ASSERT_TRUE(canPing(*attacker, victim->ip()));
  // The pod does reach its node (host gateway; the node routes the subnet within a second).
  ASSERT_TRUE(waitFor([&] { return canPing(*attacker, node.ip, 1); }, std::chrono::seconds(10)));
  const OvsSnapshot before = snapshot(node);

  // 1. From inside the pod, to its node's agent and the other node's: plaintext or TLS, the
  //    connection never gets through (the guard drops the SYN).
  const std::string pod_ns = attacker->ns->name();
  for (const std::string& target : {agent, cluster.node(1).ip + ":50001"}) {
    auto plain = push(pod_ns, target, {"--plaintext"}, victim_port);
    EXPECT_FALSE(plain.ok()) << plain.describe();
    auto tls =
        push(pod_ns, target, {"--ca=" + cluster.caFile(), "--server-name=node-1"}, victim_port);
    EXPECT_FALSE(tls.ok()) << tls.describe();
  }
  // The controller's port on a node (it runs on the host network of one): a listener on the
  // node at 9009 is out of the pod's reach, one at 8081 is not (the guard is about the ports).
  TempDir got;
  RunOptions in_node;
  in_node.netns = node.ns->name();
  auto guarded =
      Daemon::start({"busybox", "nc", "-l", "-p", "9009"}, got.path() + "/9009", in_node);
  auto open = Daemon::start({"busybox", "nc", "-l", "-p", "8081"}, got.path() + "/8081", in_node);
  ASSERT_TRUE(guarded.ok() && open.ok());
  auto send = [&](const char* port) {
    return attacker->ns->shell("echo probe | busybox nc -w 2 " + node.ip + " " + port).ok();
  };
  EXPECT_TRUE(waitFor([&] { return send("8081"); }, std::chrono::seconds(5)));
  EXPECT_FALSE(send("9009")) << "the pod reached the controller's port on its node";
  auto reached = attacker->ns->shell("echo x | busybox nc -w 2 " + node.ip + " 50001");
  EXPECT_FALSE(reached.ok()) << "the pod reached its agent's port: " << reached.describe();

  // 2. From the underlay (no guard there): TLS is what refuses.
  const std::string infra = cluster.infra().name();
  auto plain = push(infra, agent, {"--plaintext"}, victim_port);
  EXPECT_FALSE(plain.ok()) << plain.describe();
  auto anonymous =
      push(infra, agent, {"--ca=" + cluster.caFile(), "--server-name=node-1"}, victim_port);
  EXPECT_FALSE(anonymous.ok()) << anonymous.describe();
  // node-2's own certificate (same CA, a node's identity): the handshake works, the push not.
  auto stolen = push(infra, agent,
                     {"--ca=" + cluster.caFile(), "--cert=" + cluster.node(1).certFile(),
                      "--key=" + cluster.node(1).keyFile(), "--server-name=node-1"},
                     victim_port);
  EXPECT_FALSE(stolen.ok()) << stolen.describe();
  EXPECT_THAT(stolen.err, HasSubstr("only alcor-controller may push"));
  // A certificate claiming to be the controller, from another CA (scripts/gen-certs.sh).
  TempDir foreign;
  auto made = run({std::string(ALCOR_SOURCE_DIR) + "/scripts/gen-certs.sh", foreign.path()});
  ASSERT_TRUE(made.ok()) << made.describe();
  auto forged = push(infra, agent,
                     {"--ca=" + cluster.caFile(), "--cert=" + foreign.path() + "/controller.crt",
                      "--key=" + foreign.path() + "/controller.key", "--server-name=node-1"},
                     victim_port);
  EXPECT_FALSE(forged.ok()) << forged.describe();

  // Nothing changed: flows, ports, the controller's record, the victim's traffic.
  EXPECT_EQ(snapshot(node), before);
  EXPECT_EQ(cluster.rest("GET", "/project/demo/ports/" + victim_port).status, 200);
  EXPECT_TRUE(canPing(*attacker, victim->ip()));
  // The agent said who it refused, at the default level.
  std::string log = fileText(node.agentLog());
  EXPECT_THAT(log, HasSubstr("GoalState push REFUSED from node-2"));
  EXPECT_THAT(log, HasSubstr("GoalState push from alcor-controller (serial"));

  // A control: the tool with the controller's own certificate is accepted (an empty push).
  auto genuine = push(infra, agent,
                      {"--ca=" + cluster.caFile(), "--cert=" + cluster.controllerCertFile(),
                       "--key=" + cluster.controllerKeyFile(), "--server-name=node-1"});
  EXPECT_TRUE(genuine.ok()) << genuine.describe();
  // And the agent proves its identity: asking it to be node-2 fails.
  auto wrong_agent = push(infra, agent,
                          {"--ca=" + cluster.caFile(), "--cert=" + cluster.controllerCertFile(),
                           "--key=" + cluster.controllerKeyFile(), "--server-name=node-2"});
  EXPECT_FALSE(wrong_agent.ok());
}

// REST: no token, a wrong token, or another node's token get 401/403 and change nothing.
TEST_F(SecurityTest, RestCallsNeedATokenAndNodesActOnlyOnThemselves) {
  auto c = Cluster::start({.nodes = 2});
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  auto net = cluster.createVpcAndSubnet("10.30.0.0/16", "10.30.1.0/24");
  ASSERT_TRUE(net.ok()) << net.status().message();
  auto pod = cluster.addPod(0, net->first, net->second, "victim");
  auto peer = cluster.addPod(1, net->first, net->second, "peer");
  ASSERT_TRUE(pod.ok() && peer.ok());
  const std::string port = portIdOf(cluster, *pod);
  const std::string path = "/project/demo/ports/" + port;

  EXPECT_EQ(cluster.restAs("", "GET", "/project/demo/ports").status, 401);
  EXPECT_EQ(cluster.restAs("", "DELETE", path).status, 401);
  EXPECT_EQ(cluster.restAs("not-a-token", "DELETE", path).status, 401);
  // node-2's agent token against node-1's pod.
  const std::string node2 = cluster.node(1).token;
  auto refused = cluster.restAs(node2, "DELETE", path);
  EXPECT_EQ(refused.status, 403) << refused.raw;
  EXPECT_THAT(refused.raw, HasSubstr("node node-1"));
  EXPECT_EQ(cluster.restAs(node2, "PUT", path, {{"port", {{"binding:host_id", "node-2"}}}}).status,
            403);
  EXPECT_EQ(cluster
                .restAs(node2, "POST", "/project/demo/ports",
                        {{"port", {{"network_id", net->first}, {"binding:host_id", "node-1"}}}})
                .status,
            403);
  EXPECT_EQ(
      cluster.restAs(node2, "POST", "/project/demo/vpcs", {{"network", {{"cidr", "10.99.0.0/16"}}}})
          .status,
      403);
  EXPECT_EQ(cluster.restAs(node2, "DELETE", "/nodes/node-1").status, 403);
  // Unchanged: the port, its flows, its traffic.
  EXPECT_EQ(cluster.rest("GET", path).status, 200);
  EXPECT_FALSE(flowsMentioning(cluster.node(0), pod->ip()).empty());
  EXPECT_TRUE(canPing(*peer, pod->ip()));
  // Health and metrics stay open; plain HTTP gets nothing.
  RunOptions infra;
  infra.netns = cluster.infra().name();
  EXPECT_TRUE(
      run({"curl", "-sf", "--cacert", cluster.caFile(), "https://10.200.0.1:9009/healthz"}, infra)
          .ok());
  EXPECT_FALSE(
      run({"curl", "-sf", "--max-time", "5", "http://10.200.0.1:9009/healthz"}, infra).ok());
}

// Tenancy and the Kubernetes trust bootstrap: agents read the CA from the ConfigMap the
// controller published, authenticate with bound tokens (TokenReview), and a pod annotated into
// a VPC its namespace may not use is refused.
TEST_F(SecurityTest, APodMayNotAnnotateItselfIntoAnotherTenantsVpc) {
  auto c = Cluster::start({.nodes = 1, .kubernetes = true});
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  auto blue = cluster.createVpcAndSubnet("10.40.0.0/16", "10.40.1.0/24");
  auto red = cluster.createVpcAndSubnet("10.41.0.0/16", "10.41.1.0/24");
  ASSERT_TRUE(blue.ok() && red.ok());
  ASSERT_TRUE(
      cluster
          .setKubernetesObjects(
              {{"default", {{"alcor.io/vpc", blue->first}, {"alcor.io/subnet", blue->second}}}},
              {{"default/intruder",
                {{"alcor.io/vpc", red->first}, {"alcor.io/subnet", red->second}}},
               {"default/tenant", nlohmann::json::object()}})
          .ok());
  const size_t ports_before = podPorts(cluster.node(0)).size();
  auto intruder = cluster.addPod(0, "", "", "intruder");
  ASSERT_FALSE(intruder.ok());
  EXPECT_THAT(intruder.status().message(), HasSubstr("alcor.io/vpc chooses VPC"));
  EXPECT_THAT(intruder.status().message(), ::testing::ContainsRegex("\"code\": ?7"));
  EXPECT_EQ(controllerPortCount(cluster), 0);
  EXPECT_EQ(podPorts(cluster.node(0)).size(), ports_before);

  auto tenant = cluster.addPod(0, "", "", "tenant");
  ASSERT_TRUE(tenant.ok()) << tenant.status().message();
  EXPECT_THAT(tenant->ip(), ::testing::StartsWith("10.40.1."));
  // The node got its certificate through a reviewed token, and its CA through the API.
  EXPECT_EQ(fileText(cluster.node(0).dir + "/pki/ca.crt"), fileText(cluster.caFile()));
  EXPECT_TRUE(
      security::checkIssuedBy(fileText(cluster.node(0).certFile()), fileText(cluster.caFile()))
          .ok());
}

// Every certificate is renewed several times over (20 s validity, renewed at 2/3; connections
// re-handshake every minute) and pushes and REST keep working with the new ones.
TEST_F(SecurityTest, CertificateRotationKeepsPushesWorking) {
  auto c = Cluster::start({.nodes = 2, .extra_controller_flags = {"--cert-validity=20"}});
  ASSERT_TRUE(c.ok()) << c.status().message();
  Cluster& cluster = **c;
  const auto start = std::chrono::steady_clock::now();
  auto net = cluster.createVpcAndSubnet("10.50.0.0/16", "10.50.1.0/24");
  ASSERT_TRUE(net.ok());
  auto first = cluster.addPod(0, net->first, net->second);
  ASSERT_TRUE(first.ok()) << first.status().message();
  const std::string node_serial = serialOf(cluster.node(0).certFile());
  const std::string controller_serial = serialOf(cluster.controllerCertFile());
  ASSERT_FALSE(node_serial.empty() || controller_serial.empty());

  // Past the first certificates' expiry and a forced reconnection.
  std::this_thread::sleep_until(start + std::chrono::seconds(70));
  EXPECT_NE(serialOf(cluster.node(0).certFile()), node_serial);
  EXPECT_NE(serialOf(cluster.node(1).certFile()), "");
  const std::string renewed = serialOf(cluster.controllerCertFile());
  EXPECT_NE(renewed, controller_serial);
  auto second = cluster.addPod(1, net->first, net->second);  // needs pushes to both nodes
  ASSERT_TRUE(second.ok()) << second.status().message() << "\n"
                           << fileText(cluster.node(1).agentLog());
  EXPECT_TRUE(canPing(*first, second->ip()));
  EXPECT_TRUE(canPing(*second, first->ip()));
  EXPECT_EQ(cluster.rest("GET", "/healthz").status, 200);  // REST serves the renewed cert
  // The pushes after the rotation came over handshakes with a renewed controller certificate.
  std::string log = fileText(cluster.node(1).agentLog());
  EXPECT_THAT(log, ::testing::Not(HasSubstr("push REFUSED")));
  auto last_push = log.rfind("GoalState push from alcor-controller (serial ");
  ASSERT_NE(last_push, std::string::npos);
  EXPECT_EQ(log.find(controller_serial, last_push), std::string::npos)
      << "the last push still used the first controller certificate";
}

}  // namespace
}  // namespace alcor::testing
