#pragma once

// The node's NAT and forwarding policy for its host-reachable VPCs, in the nftables table the
// agent owns (`table ip alcor`, written through netlink: docs/design/ovs-pipeline.md,
// "Egress masquerade"):
//   - postrouting (nat, srcnat): traffic from a pod CIDR to anything outside every pod CIDR and
//     service CIDR that leaves by a non-gateway interface is masqueraded to the node's address
//     (--masquerade); a connection the node DNATed into a VPC for a pod of another VPC is
//     masqueraded to the node's gateway address there, so the backend's answer comes back;
//   - forward (filter): the node routes between two VPCs' gateways only connections it DNATed
//     (Kubernetes Services, so DNS and every Service work from every VPC); anything else from
//     one VPC to another is dropped (VPC isolation).

#include <string>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/netfilter/nftables.h"

namespace alcor::agent {

// One host-reachable VPC as the node sees it: its gateway interface and its address ranges.
struct HostNetwork {
  std::string interface;
  std::vector<Ipv4Prefix> cidrs;
  bool operator==(const HostNetwork&) const = default;
};

class NodeNat {
 public:
  virtual ~NodeNat() = default;
  // Installs the policy for exactly these networks (replacing what was there).
  virtual Status apply(const std::vector<HostNetwork>& networks) = 0;
  // Removes the agent's table (uninstall).
  virtual Status remove() = 0;
};

struct NodeNatOptions {
  std::string table = "alcor";
  bool masquerade = true;
  std::vector<Ipv4Prefix> service_cidrs;
};

class NftablesNodeNat : public NodeNat {
 public:
  NftablesNodeNat(netfilter::Nftables& nft, NodeNatOptions options)
      : nft_(nft), options_(std::move(options)) {}
  Status apply(const std::vector<HostNetwork>& networks) override;
  Status remove() override;

  // The table apply() installs (for tests).
  static netfilter::Table tableFor(const NodeNatOptions& options,
                                   const std::vector<HostNetwork>& networks);

 private:
  netfilter::Nftables& nft_;
  const NodeNatOptions options_;
};

}  // namespace alcor::agent
