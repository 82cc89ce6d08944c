#pragma once

// The agent's view of the Alcor controller's REST API (ours or a real Alcor deployment): node
// registration and port lifecycle. Paths and JSON are Alcor's (docs/controller.md).

#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"

namespace alcor::agent {

struct NodeRegistration {
  std::string node_id;
  std::string node_name;  // matched against ports' binding:host_id
  std::string local_ip;   // GoalState host key, and where the controller dials the agent
  std::string mac_address;
  int server_port = 50001;
  std::string host_dvr_mac;  // empty: the controller allocates one
};

struct FixedIp {
  std::string subnet_id;
  std::string ip_address;
  bool operator==(const FixedIp&) const = default;
};

struct PortRequest {
  std::string project;
  std::string network_id;   // the VPC
  std::string subnet_id;    // empty: the VPC's only subnet
  std::string ip_address;   // empty: allocated by the controller
  std::string mac_address;  // empty: allocated by the controller
  std::string name;
  std::string device_id;
  std::string device_owner = "compute:kubernetes";
  std::string host_id;                       // binding:host_id = node name
  std::vector<std::string> security_groups;  // empty: controller default
};

struct PortRecord {
  std::string id;
  std::string project_id;
  std::string network_id;
  std::string name;
  std::string mac_address;
  std::vector<FixedIp> fixed_ips;
  std::string device_id;
  std::string device_owner;
  std::string host_id;
  std::string status;
};

class ControllerClient {
 public:
  virtual ~ControllerClient() = default;

  // POST /nodes; on 409 (already registered) PUT /nodes/{id}. Returns what the controller
  // stored (with the DVR MAC it allocated).
  virtual StatusOr<NodeRegistration> registerNode(const NodeRegistration& node) = 0;
  // POST /project/{p}/ports. Errors: kUnavailable (controller unreachable), kNotFound (VPC or
  // subnet), kAlreadyExists (IP or MAC taken), kResourceExhausted (no address left),
  // kInvalidArgument (rejected body).
  virtual StatusOr<PortRecord> createPort(const PortRequest& request) = 0;
  // DELETE /project/{p}/ports/{id}; kNotFound when the controller has no such port.
  virtual Status deletePort(const std::string& project, const std::string& port_id) = 0;
  // GET /project/{p}/ports?device_id=..&binding:host_id=.. (empty filters are left out).
  virtual StatusOr<std::vector<PortRecord>> listPorts(const std::string& project,
                                                      const std::string& device_id,
                                                      const std::string& host_id) = 0;
  // Cheap reachability probe for STATUS and readiness.
  virtual Status ping() = 0;
  // POST /certificates: a certificate for `node_name` for the key of a PEM request.
  virtual StatusOr<std::string> requestCertificate(const std::string& node_name,
                                                   const std::string& csr_pem) = 0;
};

using ControllerClientPtr = std::unique_ptr<ControllerClient>;

struct RestClientOptions {
  std::string base_url;  // "https://10.200.0.1:9009" (http:// only with --insecure)
  // https: the CA bundle the controller's certificate must chain to, and the DNS name it must
  // carry (the URL's host is only where to connect). The CA file is re-read when it changes.
  std::string ca_file;
  std::string server_name;
  std::string token_file;  // bearer token, re-read on every request; empty: none
  int connect_timeout_ms = 2000;
  int request_timeout_ms = 15000;
};

ControllerClientPtr makeRestControllerClient(RestClientOptions options);
// Plain client of base_url like "http://10.200.0.1:9009" (tests, --insecure).
ControllerClientPtr makeRestControllerClient(const std::string& base_url,
                                             int connect_timeout_ms = 2000,
                                             int request_timeout_ms = 15000);

}  // namespace alcor::agent
