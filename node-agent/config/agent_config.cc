#include "node-agent/config/agent_config.h"

#include <unistd.h>

#include <algorithm>
#include <optional>

#include "lib/base/net_types.h"
#include "lib/base/strings.h"

namespace alcor::agent {

void registerAgentFlags(FlagSet& f, AgentConfig& c) {
  f.addString("node-name", &c.node_name, "Node name; ports bind to it (binding:host_id)");
  f.addString("node-id", &c.node_id, "Node id registered with the controller (default: node name)");
  f.addString("node-ip", &c.node_ip, "Underlay IPv4 address of this node (required)");
  f.addString("node-mac", &c.node_mac, "Underlay MAC reported to the controller");
  f.addString("controller-url", &c.controller_url, "Alcor REST API base URL");
  f.addString("controller-grpc", &c.controller_grpc,
              "host:port of the controller's RequestGoalStates service (on-demand)");
  f.addString("default-project", &c.default_project, "Project when the CNI config names none");
  f.addString("default-vpc", &c.default_vpc, "VPC id when the CNI config names none");
  f.addString("default-subnet", &c.default_subnet, "Subnet id when the CNI config names none");
  f.addBool("insecure", &c.insecure,
            "PLAINTEXT gRPC and REST: accept GoalStates from anyone (local demos only)");
  f.addString("tls-ca", &c.tls_ca,
              "PEM CA bundle the controller's certificate must chain to; empty: read from "
              "--controller-ca-configmap into <state-dir>/pki/ca.crt");
  f.addString("tls-cert", &c.tls_cert,
              "PEM certificate of this node; empty: issued by the controller into "
              "<state-dir>/pki/node.crt and renewed");
  f.addString("tls-key", &c.tls_key, "PEM private key of --tls-cert");
  f.addString("controller-name", &c.controller_name,
              "Identity (DNS name in its certificate) the controller must prove");
  f.addString("controller-token-file", &c.controller_token_file,
              "Bearer token for the controller's REST API (re-read on every request)");
  f.addString("controller-ca-configmap", &c.controller_ca_configmap,
              "NAMESPACE/NAME of the ConfigMap with the controller's CA (key ca.crt)");
  f.addString("kube-api-server", &c.kube_api_server,
              "Kubernetes API URL; empty: in-cluster (http:// only for tests)");
  f.addString("kube-token-file", &c.kube_token_file, "Bearer token file for --kube-api-server");
  f.addString("kube-ca-file", &c.kube_ca_file, "CA bundle of --kube-api-server");
  f.addString("control-guard-ports", &c.control_guard_ports,
              "Comma-separated extra TCP ports pods may not reach outside their VPC");
  f.addString("control-access-namespaces", &c.control_access_namespaces,
              "Comma-separated namespaces whose pods may reach the guarded control ports");
  f.addString("cni-socket", &c.cni_socket, "Unix socket alcor-cni calls");
  f.addString("grpc-listen", &c.grpc_listen,
              "Address of the GoalStateProvisioner server (default <node-ip>:<grpc-port>)");
  f.addInt("grpc-port", &c.grpc_port, "GoalStateProvisioner port (Alcor's default 50001)");
  f.addString("ovs-rundir", &c.ovs_rundir, "OVS run directory (db.sock, <bridge>.mgmt)");
  f.addString("ovsdb", &c.ovsdb, "OVSDB target (default unix:<ovs-rundir>/db.sock)");
  f.addString("datapath-type", &c.datapath_type, "OVS datapath: system or netdev");
  f.addString("integration-bridge", &c.integration_bridge, "Bridge pods attach to");
  f.addString("tunnel-port", &c.tunnel_port, "Name of the flow-based VXLAN port");
  f.addInt("vxlan-udp-port", &c.vxlan_udp_port, "VXLAN destination UDP port");
  f.addString("underlay-bridge", &c.underlay_bridge,
              "netdev datapath: bridge that holds the node IP (e.g. br-phy)");
  f.addString("underlay-interface", &c.underlay_interface,
              "netdev datapath: underlay NIC attached to the underlay bridge");
  f.addInt("underlay-prefix-length", &c.underlay_prefix_length,
           "Prefix length of the node IP on the underlay bridge");
  f.addInt("underlay-mtu", &c.underlay_mtu,
           "MTU of the underlay network (0: the underlay interface's, read at start-up)");
  f.addInt("pod-mtu", &c.pod_mtu, "Pod MTU (0: underlay MTU - 50)");
  f.addString("state-dir", &c.state_dir, "Directory for the agent's small state files");
  f.addDouble("ready-timeout", &c.ready_timeout_s,
              "Seconds ADD waits for the agent to become ready before code 11");
  f.addDouble("port-ready-timeout", &c.port_ready_timeout_s,
              "Seconds ADD waits for the port's GoalState and flows");
  f.addString("host-gateway-vpc", &c.host_gateway_vpc,
              "Cluster VPC: gets host access at start-up; other VPCs get it with their first pod "
              "unless they overlap (empty: no host access)");
  f.addString("host-gateway-port", &c.host_gateway_port,
              "Host gateway port of the cluster VPC; other VPCs' count up from it");
  f.addBool("masquerade", &c.masquerade,
            "Masquerade pod traffic to destinations outside the pod and service CIDRs");
  f.addString("service-cidr", &c.service_cidr,
              "Comma-separated Service CIDRs (never masqueraded; security groups check Service "
              "traffic on the backend's address), e.g. 10.96.0.0/12");
  f.addString("status-listen", &c.status_listen,
              "host:port of the status endpoint (/status, /metrics); empty: off");
  f.addBool("cleanup", &c.cleanup,
            "Remove the host gateways and the agent's NAT table, then exit (uninstall)");
  f.addDouble("restore-grace", &c.restore_grace_s,
              "Seconds after registration before flows of unknown objects are removed");
  f.addDouble("goalstate-port-wait", &c.goalstate_port_wait_s,
              "Seconds a port GoalState waits for its interface before replying PENDING");
  f.addString("log-level", &c.log_level, "Log level spec, e.g. info or debug,ovsdb=trace");
}

namespace {

// The port of "scheme://host:port/path" or "host:port"; nullopt when none is written.
std::optional<uint16_t> portOf(std::string address) {
  if (auto scheme = address.find("://"); scheme != std::string::npos) {
    address = address.substr(scheme + 3);
  }
  address = address.substr(0, address.find('/'));
  auto colon = address.rfind(':');
  if (colon == std::string::npos || address.find(']', colon) != std::string::npos) {
    return std::nullopt;
  }
  auto port = parseInt<int>(address.substr(colon + 1));
  if (!port || *port < 1 || *port > 65535) return std::nullopt;
  return static_cast<uint16_t>(*port);
}

}  // namespace

StatusOr<std::vector<uint16_t>> controlGuardPorts(const AgentConfig& c) {
  std::vector<uint16_t> ports = {static_cast<uint16_t>(c.grpc_port)};
  for (const auto& address : {c.controller_url, c.controller_grpc}) {
    if (auto p = portOf(address)) ports.push_back(*p);
  }
  for (auto item : splitString(c.control_guard_ports, ',')) {
    auto port = parseInt<int>(trimSpace(item));
    if (!port || *port < 1 || *port > 65535) {
      return invalidArgumentError("--control-guard-ports: \"" + std::string(item) +
                                  "\" is not a TCP port");
    }
    ports.push_back(static_cast<uint16_t>(*port));
  }
  std::sort(ports.begin(), ports.end());
  ports.erase(std::unique(ports.begin(), ports.end()), ports.end());
  return ports;
}

Status finalizeAgentConfig(AgentConfig& c) {
  if (c.node_name.empty()) {
    char host[256] = {0};
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
      return invalidArgumentError("--node-name is not set and the host name is unknown");
    }
    c.node_name = host;
  }
  if (c.node_id.empty()) c.node_id = c.node_name;
  if (c.node_ip.empty()) return invalidArgumentError("--node-ip is required");
  if (!Ipv4Address::parse(c.node_ip).ok()) {
    return invalidArgumentError("--node-ip " + c.node_ip + " is not an IPv4 address");
  }
  if (!c.node_mac.empty() && !MacAddress::parse(c.node_mac).ok()) {
    return invalidArgumentError("--node-mac " + c.node_mac + " is not a MAC address");
  }
  if (c.datapath_type != "system" && c.datapath_type != "netdev") {
    return invalidArgumentError("--datapath-type must be system or netdev, not " + c.datapath_type);
  }
  if (c.grpc_port < 1 || c.grpc_port > 65535) return invalidArgumentError("--grpc-port is invalid");
  if (c.grpc_listen.empty()) c.grpc_listen = c.node_ip + ":" + std::to_string(c.grpc_port);
  if (c.ovsdb.empty()) c.ovsdb = "unix:" + c.ovs_rundir + "/db.sock";
  if (c.underlay_mtu != 0) RETURN_IF_ERROR(checkMtus(c));
  if (c.pod_mtu != 0 && (c.pod_mtu < 576 || c.pod_mtu > 65535)) {
    return invalidArgumentError("--pod-mtu must be between 576 and 65535");
  }
  c.service_cidrs.clear();
  for (const auto& part : splitString(c.service_cidr, ',')) {
    std::string text(trimSpace(part));
    if (text.empty()) continue;
    auto prefix = Ipv4Prefix::parse(text);
    if (!prefix.ok()) {
      return invalidArgumentError("--service-cidr: " + text + " is not an IPv4 CIDR");
    }
    c.service_cidrs.push_back(*prefix);
  }
  if (!c.underlay_interface.empty() && c.underlay_bridge.empty()) {
    return invalidArgumentError("--underlay-interface needs --underlay-bridge");
  }
  if (c.underlay_prefix_length < 1 || c.underlay_prefix_length > 32) {
    return invalidArgumentError("--underlay-prefix-length must be between 1 and 32");
  }
  if (!c.kube_api_server.empty() && c.kube_api_server.rfind("https://", 0) != 0 &&
      c.kube_api_server.rfind("http://", 0) != 0) {
    return invalidArgumentError("--kube-api-server must be an http:// or https:// URL, not " +
                                c.kube_api_server);
  }
  if (c.kube_api_server.empty() && (!c.kube_token_file.empty() || !c.kube_ca_file.empty())) {
    return invalidArgumentError("--kube-token-file and --kube-ca-file need --kube-api-server");
  }
  if (c.cni_socket.empty() || c.cni_socket[0] != '/') {
    return invalidArgumentError("--cni-socket must be an absolute path");
  }
  if (c.ready_timeout_s <= 0 || c.port_ready_timeout_s <= 0 || c.goalstate_port_wait_s < 0) {
    return invalidArgumentError("timeouts must be positive");
  }
  if (c.tls_cert.empty() != c.tls_key.empty()) {
    return invalidArgumentError("--tls-cert and --tls-key go together");
  }
  if (c.node_name == c.controller_name) {
    return invalidArgumentError("the node name may not be the controller's name " +
                                c.controller_name);
  }
  if (!c.insecure && c.controller_url.rfind("https://", 0) != 0) {
    return invalidArgumentError("--controller-url must be https:// (or --insecure for a demo)");
  }
  RETURN_IF_ERROR(controlGuardPorts(c).status());
  return okStatus();
}

Status checkMtus(const AgentConfig& c) {
  if (c.underlay_mtu < 1280 || c.underlay_mtu > 65535) {
    return invalidArgumentError("underlay MTU " + std::to_string(c.underlay_mtu) +
                                " must be between 1280 and 65535");
  }
  if (c.podMtu() < 576 || c.podMtu() > c.underlay_mtu) {
    return invalidArgumentError("pod MTU " + std::to_string(c.podMtu()) +
                                " must be between 576 and the underlay MTU " +
                                std::to_string(c.underlay_mtu));
  }
  return okStatus();
}

}  // namespace alcor::agent
