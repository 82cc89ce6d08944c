#pragma once

// alcor-agent's configuration: flags, or the same keys in a JSON file given with --config.
// Every key is documented in docs/configuration.md.

#include <cstdint>
#include <string>
#include <vector>

#include "lib/base/flags.h"
#include "lib/base/net_types.h"
#include "lib/base/status.h"

namespace alcor::agent {

struct AgentConfig {
  // Identity
  std::string node_name;  // default: the host name; ports bind to it (binding:host_id)
  std::string node_id;    // default: node_name
  std::string node_ip;    // underlay IP: GoalState host key and VXLAN source
  std::string node_mac;   // underlay MAC reported to the controller (optional)

  // Controller
  std::string controller_url = "https://127.0.0.1:9009";
  std::string controller_grpc;  // host:port of RequestGoalStates (on-demand); empty = off
  std::string default_project = "default";
  std::string default_vpc;
  std::string default_subnet;

  // Security (docs/security.md). TLS files default to <state_dir>/pki/{ca.crt,node.crt,node.key};
  // the CA comes from --tls-ca or the controller's ConfigMap, the certificate from the
  // controller (POST /certificates with the token) unless --tls-cert is given.
  bool insecure = false;  // plaintext gRPC and REST (demos only)
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string controller_name = "alcor-controller";  // identity the controller must prove
  std::string controller_token_file;                 // REST bearer token (re-read each request)
  std::string controller_ca_configmap = "alcor-system/alcor-ca";  // in a cluster, without --tls-ca
  // Kubernetes API (pod and namespace annotations, the CA ConfigMap). Empty: in a pod, the
  // in-cluster service account (KUBERNETES_SERVICE_HOST and its token and CA files).
  std::string kube_api_server;  // e.g. https://10.250.0.10:6443
  std::string kube_token_file;  // bearer token (a ServiceAccount token), re-read on change
  std::string kube_ca_file;     // CA the API server's certificate chains to
  // Data-path guard: pods may not open TCP connections to these ports outside their VPC (the
  // agent's --grpc-port and the controller's ports are always guarded) unless their namespace
  // is listed.
  std::string control_guard_ports;
  std::string control_access_namespaces;

  // GoalStates over NATS (docs/controller.md, "Southbound over NATS"); empty: gRPC only
  std::string nats_servers;  // comma-separated nats:// or tls:// URLs
  std::string nats_user;
  std::string nats_password_file;
  std::string nats_ca;  // CA of the NATS servers' certificates (set: TLS)

  // Servers
  std::string cni_socket = "/var/run/alcor/cni.sock";
  std::string grpc_listen;  // default: <node_ip>:50001
  int64_t grpc_port = 50001;

  // OVS
  std::string ovs_rundir = "/var/run/openvswitch";
  std::string ovsdb;                     // default: unix:<ovs_rundir>/db.sock
  std::string datapath_type = "system";  // "netdev" for the userspace datapath
  std::string integration_bridge = "br-int";
  std::string tunnel_port = "vxlan0";
  int64_t vxlan_udp_port = 4789;
  // Userspace datapath only: the bridge that holds the node IP, and the NIC it owns.
  std::string underlay_bridge;
  std::string underlay_interface;
  int64_t underlay_prefix_length = 24;

  // Host access (docs/design/ovs-pipeline.md, "Host gateways"): the cluster VPC gets a host
  // gateway at start-up, every other VPC with its first local pod unless its CIDR overlaps one
  // that has host access. Empty: no host access at all.
  std::string host_gateway_vpc;
  std::string host_gateway_port = "alcor-gw0";  // the cluster VPC's; others count up from it
  // Pod traffic leaving the pod and service CIDRs is masqueraded to the node's address.
  bool masquerade = true;
  std::string service_cidr;               // comma-separated; never masqueraded
  std::vector<Ipv4Prefix> service_cidrs;  // parsed from service_cidr

  // Pods
  int64_t underlay_mtu = 0;  // 0: the underlay interface's MTU, read at start-up
  int64_t pod_mtu = 0;       // 0: underlay_mtu - 50 (VXLAN overhead)

  // Behaviour
  std::string state_dir = "/var/lib/alcor";
  double ready_timeout_s = 30;       // ADD waits this long for the agent to become ready
  double port_ready_timeout_s = 30;  // ADD waits this long for the port's GoalState and flows
  double goalstate_port_wait_s = 10;
  // After a restart, flows of objects not yet relearned are kept this long after registration
  // (the controller re-pushes the node's state when it registers).
  double restore_grace_s = 10;
  std::string log_level = "info";
  std::string status_listen = "127.0.0.1:50002";  // GET /status, /metrics; empty: off
  bool cleanup = false;  // remove the host gateways and the NAT table, then exit

  int64_t podMtu() const { return pod_mtu > 0 ? pod_mtu : underlay_mtu - 50; }
  std::string pkiDir() const { return state_dir + "/pki"; }
};

void registerAgentFlags(FlagSet& flags, AgentConfig& config);
// The TCP ports the data-path guard protects: --grpc-port, the ports of --controller-url and
// --controller-grpc, and --control-guard-ports.
StatusOr<std::vector<uint16_t>> controlGuardPorts(const AgentConfig& config);
// Fills defaults that depend on other keys and checks the result.
Status finalizeAgentConfig(AgentConfig& config);
// Checks the underlay and pod MTUs once the underlay MTU is known (given, or read at start-up).
Status checkMtus(const AgentConfig& config);

}  // namespace alcor::agent
