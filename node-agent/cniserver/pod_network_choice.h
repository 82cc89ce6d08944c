#pragma once

// Which VPC, subnet, security groups and addresses a pod gets. Highest precedence first:
//   pod annotations > namespace annotations > CNI network configuration > agent defaults;
// runtimeConfig "ips"/"mac" (the runtime's capabilities) beat the address annotations. When the
// runtime passes the pod's annotations (capability io.kubernetes.cri.pod-annotations), they are
// used instead of reading the pod from the API server.
// A subnet is taken only from the level that chose the VPC or a higher one, so a namespace
// that picks its own VPC never inherits the default subnet of another VPC.
// Annotations (docs/configuration.md): alcor.io/project, alcor.io/vpc, alcor.io/subnet,
// alcor.io/security-groups (comma-separated ids), alcor.io/ip-address, alcor.io/mac-address.
//
// Tenancy (docs/security.md): namespaces, the network configuration and the agent's flags are
// the cluster admin's; pods are their authors'. A pod annotation may choose a project, VPC or
// security group only among what the admin's levels give the namespace — the namespace's own
// choice (else the configuration's, else the agent's) plus its alcor.io/allowed-projects,
// alcor.io/allowed-vpcs and alcor.io/allowed-security-groups lists ("*": any). Anything else
// fails the ADD with error 7 naming the annotation. A subnet needs no list: the controller
// takes only a subnet of the chosen VPC.

#include <string>
#include <vector>

#include "lib/cni/types.h"
#include "node-agent/kubernetes/kubernetes_client.h"

namespace alcor::agent {

struct PodNetworkDefaults {
  std::string project;
  std::string vpc;
  std::string subnet;
};

struct PodNetworkChoice {
  std::string project;
  std::string vpc;
  std::string subnet;
  std::vector<std::string> security_groups;
  std::string ip;   // plain address or empty
  std::string mac;  // or empty
};

inline constexpr const char* kAnnotationProject = "alcor.io/project";
inline constexpr const char* kAnnotationVpc = "alcor.io/vpc";
inline constexpr const char* kAnnotationSubnet = "alcor.io/subnet";
inline constexpr const char* kAnnotationSecurityGroups = "alcor.io/security-groups";
inline constexpr const char* kAnnotationIp = "alcor.io/ip-address";
inline constexpr const char* kAnnotationMac = "alcor.io/mac-address";
inline constexpr const char* kAnnotationAllowedProjects = "alcor.io/allowed-projects";
inline constexpr const char* kAnnotationAllowedVpcs = "alcor.io/allowed-vpcs";
inline constexpr const char* kAnnotationAllowedSecurityGroups = "alcor.io/allowed-security-groups";

// `kube` may be null (no Kubernetes API configured). API unreachable -> TRY_AGAIN_LATER.
cni::CniResultOr<PodNetworkChoice> choosePodNetwork(const cni::NetworkConfig& config,
                                                    const cni::PodArgs& pod,
                                                    const PodNetworkDefaults& defaults,
                                                    KubernetesClient* kube);

}  // namespace alcor::agent
