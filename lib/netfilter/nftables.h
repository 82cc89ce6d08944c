#pragma once

// nf_tables through its netlink API (libmnl + libnftnl), never through the nft binary. A Table is
// a complete description of one `ip` family table the caller owns: prefix sets, base chains and
// their rules. replaceTable() swaps the kernel's copy for it in one atomic transaction, so
// packets never see a half-written table; deleteTable() removes it. Only the few statements the
// agent needs are modelled (set lookups on addresses, interface names, accept/drop/masquerade).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/base/status.h"

namespace alcor::netfilter {

// An interval set of IPv4 addresses (`type ipv4_addr; flags interval`).
struct PrefixSet {
  std::string name;
  std::vector<Ipv4Prefix> prefixes;  // overlapping or adjacent prefixes are merged
};

// One match of a rule. Interface names ending in '*' match every name with that prefix.
struct Condition {
  enum class Kind {
    kSourceInSet,
    kDestinationInSet,
    kInputInterface,
    kOutputInterface,
    kDestinationNatted,  // `ct status dnat`: the connection's destination was translated
  };
  Kind kind;
  std::string value;  // set name or interface name; unused for kDestinationNatted
  bool negate = false;
};

enum class Verdict { kAccept, kDrop, kMasquerade };

struct Rule {
  std::vector<Condition> conditions;
  Verdict verdict = Verdict::kAccept;
};

enum class Hook { kPrerouting, kInput, kForward, kOutput, kPostrouting };
enum class ChainType { kFilter, kNat };

// A base chain with policy accept.
struct Chain {
  std::string name;
  ChainType type = ChainType::kFilter;
  Hook hook = Hook::kForward;
  int priority = 0;  // srcnat is 100, filter 0
  std::vector<Rule> rules;
};

struct Table {
  std::string name;  // family ip
  std::vector<PrefixSet> sets;
  std::vector<Chain> chains;
};

class Nftables {
 public:
  virtual ~Nftables() = default;
  // Replaces `table ip <name>` with `table` atomically (creates it when missing).
  virtual Status replaceTable(const Table& table) = 0;
  // Removes `table ip <name>`; a missing table is fine.
  virtual Status deleteTable(const std::string& name) = 0;
};

class NftablesImpl : public Nftables {
 public:
  // Acts in `netns` ("" = the caller's own; see lib/netlink/netns.h).
  explicit NftablesImpl(std::string netns = "") : netns_(std::move(netns)) {}
  Status replaceTable(const Table& table) override;
  Status deleteTable(const std::string& name) override;

 private:
  std::string netns_;
};

// Checks names, interface lengths and set references; replaceTable() refuses what fails here.
Status validateTable(const Table& table);

// The elements an interval set holds for `prefixes`: (address, interval end?) pairs in address
// order, as nft itself encodes them (a leading end at 0.0.0.0 when the first range starts above
// it, no end after a range that reaches 255.255.255.255).
std::vector<std::pair<Ipv4Address, bool>> intervalElements(std::vector<Ipv4Prefix> prefixes);

}  // namespace alcor::netfilter
