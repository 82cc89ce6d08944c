#include "node-agent/host/node_nat.h"

namespace alcor::agent {

using netfilter::Chain;
using netfilter::ChainType;
using netfilter::Condition;
using netfilter::Hook;
using netfilter::Rule;
using netfilter::Verdict;

namespace {

constexpr const char* kPodSet = "pod-cidrs";
constexpr const char* kServiceSet = "service-cidrs";
constexpr int kSrcNatPriority = 100;
constexpr int kFilterPriority = 0;

std::string vpcSet(const HostNetwork& n) { return "vpc-" + n.interface; }

}  // namespace

netfilter::Table NftablesNodeNat::tableFor(const NodeNatOptions& o,
                                           const std::vector<HostNetwork>& networks) {
  netfilter::Table t;
  t.name = o.table;
  std::vector<Ipv4Prefix> pods;
  for (const auto& n : networks) pods.insert(pods.end(), n.cidrs.begin(), n.cidrs.end());
  t.sets = {{kPodSet, pods}, {kServiceSet, o.service_cidrs}};
  for (const auto& n : networks) t.sets.push_back({vpcSet(n), n.cidrs});

  Chain post{"postrouting", ChainType::kNat, Hook::kPostrouting, kSrcNatPriority, {}};
  if (o.masquerade && !pods.empty()) {
    Rule masquerade{{{Condition::Kind::kSourceInSet, kPodSet, false},
                     {Condition::Kind::kDestinationInSet, kPodSet, true},
                     {Condition::Kind::kDestinationInSet, kServiceSet, true}},
                    Verdict::kMasquerade};
    // Towards a gateway the packet stays inside a VPC (the node delivering it): keep the source.
    for (const auto& n : networks) {
      masquerade.conditions.push_back({Condition::Kind::kOutputInterface, n.interface, true});
    }
    post.rules.push_back(std::move(masquerade));
  }
  // A Service the node DNATs into a VPC for a pod of another VPC: the backend answers the
  // address it saw, so that address must be the node's in the backend's VPC, or the answer
  // would go to the backend's own node instead of back here. Other sources (outside clients of
  // a hostPort or NodePort) keep theirs, as kube-proxy and portmap decided.
  for (const auto& n : networks) {
    post.rules.push_back({{{Condition::Kind::kOutputInterface, n.interface, false},
                           {Condition::Kind::kDestinationNatted, "", false},
                           {Condition::Kind::kSourceInSet, kPodSet, false},
                           {Condition::Kind::kSourceInSet, vpcSet(n), true}},
                          Verdict::kMasquerade});
  }
  Chain forward{"forward", ChainType::kFilter, Hook::kForward, kFilterPriority, {}};
  for (const auto& from : networks) {
    for (const auto& to : networks) {
      if (from.interface == to.interface) continue;
      forward.rules.push_back({{{Condition::Kind::kInputInterface, from.interface, false},
                                {Condition::Kind::kOutputInterface, to.interface, false},
                                {Condition::Kind::kDestinationNatted, "", true}},
                               Verdict::kDrop});
    }
  }
  t.chains = {std::move(post), std::move(forward)};
  return t;
}

Status NftablesNodeNat::apply(const std::vector<HostNetwork>& networks) {
  return nft_.replaceTable(tableFor(options_, networks));
}

Status NftablesNodeNat::remove() { return nft_.deleteTable(options_.table); }

}  // namespace alcor::agent
