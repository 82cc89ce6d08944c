#include "lib/netfilter/nftables.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <map>
#include <set>

#include "lib/netlink/netns.h"

namespace alcor::netfilter {
namespace {

constexpr uint32_t kIpv4AddrType = 7;  // nft's ipv4_addr datatype (for listing only)
constexpr size_t kBatchBufferSize = 1 << 20;

template <class T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using TablePtr = std::unique_ptr<nftnl_table, Deleter<nftnl_table, nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain, nftnl_chain_free>>;
using SetPtr = std::unique_ptr<nftnl_set, Deleter<nftnl_set, nftnl_set_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;

int mnlClose(mnl_socket* s) { return mnl_socket_close(s); }
using SocketPtr = std::unique_ptr<mnl_socket, decltype(&mnlClose)>;

uint32_t hookNumber(Hook h) {
  switch (h) {
    case Hook::kPrerouting:
      return NF_INET_PRE_ROUTING;
    case Hook::kInput:
      return NF_INET_LOCAL_IN;
    case Hook::kForward:
      return NF_INET_FORWARD;
    case Hook::kOutput:
      return NF_INET_LOCAL_OUT;
    case Hook::kPostrouting:
      return NF_INET_POST_ROUTING;
  }
  return NF_INET_FORWARD;
}

bool isInterface(Condition::Kind k) {
  return k == Condition::Kind::kInputInterface || k == Condition::Kind::kOutputInterface;
}

// A batch of nf_tables messages between BATCH_BEGIN and BATCH_END; every message asks for an
// acknowledgement so that the first error can be reported with what caused it.
class Batch {
 public:
  Batch() : buffer_(kBatchBufferSize), seq_(static_cast<uint32_t>(time(nullptr))) {
    batch_ = mnl_nlmsg_batch_start(buffer_.data(), buffer_.size());
    nftnl_batch_begin(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), seq_++);
    mnl_nlmsg_batch_next(batch_);
  }
  ~Batch() { mnl_nlmsg_batch_stop(batch_); }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Starts a message; its payload is written by the caller, then next() closes it.
  nlmsghdr* begin(uint16_t type, uint16_t flags, std::string what) {
    whats_[seq_] = std::move(what);
    return nftnl_nlmsg_build_hdr(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), type,
                                 NFPROTO_IPV4, flags | NLM_F_ACK, seq_++);
  }
  Status next() {
    ++acks_expected_;
    if (!mnl_nlmsg_batch_next(batch_)) return resourceExhaustedError("nftables: batch too large");
    return okStatus();
  }

  Status send() {
    nftnl_batch_end(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), seq_++);
    mnl_nlmsg_batch_next(batch_);
    SocketPtr nl(mnl_socket_open(NETLINK_NETFILTER), &mnlClose);
    if (!nl) return unavailableError(std::string("nftables: netlink socket: ") + strerror(errno));
    if (mnl_socket_bind(nl.get(), 0, MNL_SOCKET_AUTOPID) < 0) {
      return unavailableError(std::string("nftables: bind: ") + strerror(errno));
    }
    timeval timeout{5, 0};
    setsockopt(mnl_socket_get_fd(nl.get()), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    if (mnl_socket_sendto(nl.get(), mnl_nlmsg_batch_head(batch_), mnl_nlmsg_batch_size(batch_)) <
        0) {
      return unavailableError(std::string("nftables: send: ") + strerror(errno));
    }
    std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
    size_t acked = 0;
    while (acked < acks_expected_) {
      ssize_t n = mnl_socket_recvfrom(nl.get(), reply.data(), reply.size());
      if (n < 0) return unavailableError(std::string("nftables: receive: ") + strerror(errno));
      int left = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(reply.data()); mnl_nlmsg_ok(h, left);
           h = mnl_nlmsg_next(h, &left)) {
        if (h->nlmsg_type != NLMSG_ERROR) continue;
        const auto* err = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(h));
        if (err->error != 0) {
          auto it = whats_.find(h->nlmsg_seq);
          return internalError("nftables: " + (it == whats_.end() ? "batch" : it->second) + ": " +
                               strerror(-err->error));
        }
        ++acked;
      }
    }
    return okStatus();
  }

 private:
  std::vector<char> buffer_;
  mnl_nlmsg_batch* batch_;
  uint32_t seq_;
  size_t acks_expected_ = 0;
  std::map<uint32_t, std::string> whats_;
};

Status addTableMessage(Batch& b, uint16_t type, const std::string& name, uint16_t flags) {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_IPV4);
  const char* verb = type == NFT_MSG_DELTABLE ? "delete table ip " : "add table ip ";
  nftnl_table_nlmsg_build_payload(b.begin(type, flags, verb + name), t.get());
  return b.next();
}

Status addSet(Batch& b, const std::string& table, const PrefixSet& spec, uint32_t id) {
  SetPtr s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, spec.name.c_str());
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, NFPROTO_IPV4);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, 4);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, kIpv4AddrType);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FLAGS, NFT_SET_INTERVAL);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
  nftnl_set_nlmsg_build_payload(b.begin(NFT_MSG_NEWSET, NLM_F_CREATE, "add set " + spec.name),
                                s.get());
  RETURN_IF_ERROR(b.next());
  auto elements = intervalElements(spec.prefixes);
  if (elements.empty()) return okStatus();
  for (const auto& [address, end] : elements) {
    nftnl_set_elem* e = nftnl_set_elem_alloc();  // owned by the set once added
    uint32_t key = htonl(address.value());
    nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, &key, sizeof(key));
    if (end) nftnl_set_elem_set_u32(e, NFTNL_SET_ELEM_FLAGS, NFT_SET_ELEM_INTERVAL_END);
    nftnl_set_elem_add(s.get(), e);
  }
  nftnl_set_elems_nlmsg_build_payload(
      b.begin(NFT_MSG_NEWSETELEM, NLM_F_CREATE, "add elements to set " + spec.name), s.get());
  return b.next();
}

Status addChain(Batch& b, const std::string& table, const Chain& spec) {
  ChainPtr c(nftnl_chain_alloc());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TABLE, table.c_str());
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_NAME, spec.name.c_str());
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_FAMILY, NFPROTO_IPV4);
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_HOOKNUM, hookNumber(spec.hook));
  nftnl_chain_set_s32(c.get(), NFTNL_CHAIN_PRIO, spec.priority);
  nftnl_chain_set_str(c.get(), NFTNL_CHAIN_TYPE, spec.type == ChainType::kNat ? "nat" : "filter");
  nftnl_chain_set_u32(c.get(), NFTNL_CHAIN_POLICY, NF_ACCEPT);
  nftnl_chain_nlmsg_build_payload(b.begin(NFT_MSG_NEWCHAIN, NLM_F_CREATE, "add chain " + spec.name),
                                  c.get());
  return b.next();
}

void addExpr(nftnl_rule* r, nftnl_expr* e) { nftnl_rule_add_expr(r, e); }

void addCondition(nftnl_rule* r, const Condition& c, const std::map<std::string, uint32_t>& ids) {
  if (c.kind == Condition::Kind::kDestinationNatted) {
    nftnl_expr* ct = nftnl_expr_alloc("ct");
    nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_KEY, NFT_CT_STATUS);
    nftnl_expr_set_u32(ct, NFTNL_EXPR_CT_DREG, NFT_REG_1);
    addExpr(r, ct);
    const uint32_t mask = IPS_DST_NAT, zero = 0;  // host byte order, as the kernel keeps status
    nftnl_expr* bits = nftnl_expr_alloc("bitwise");
    nftnl_expr_set_u32(bits, NFTNL_EXPR_BITWISE_SREG, NFT_REG_1);
    nftnl_expr_set_u32(bits, NFTNL_EXPR_BITWISE_DREG, NFT_REG_1);
    nftnl_expr_set_u32(bits, NFTNL_EXPR_BITWISE_LEN, sizeof(mask));
    nftnl_expr_set(bits, NFTNL_EXPR_BITWISE_MASK, &mask, sizeof(mask));
    nftnl_expr_set(bits, NFTNL_EXPR_BITWISE_XOR, &zero, sizeof(zero));
    addExpr(r, bits);
    nftnl_expr* cmp = nftnl_expr_alloc("cmp");
    nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, c.negate ? NFT_CMP_EQ : NFT_CMP_NEQ);
    nftnl_expr_set(cmp, NFTNL_EXPR_CMP_DATA, &zero, sizeof(zero));
    addExpr(r, cmp);
    return;
  }
  if (isInterface(c.kind)) {
    nftnl_expr* meta = nftnl_expr_alloc("meta");
    nftnl_expr_set_u32(
        meta, NFTNL_EXPR_META_KEY,
        c.kind == Condition::Kind::kInputInterface ? NFT_META_IIFNAME : NFT_META_OIFNAME);
    nftnl_expr_set_u32(meta, NFTNL_EXPR_META_DREG, NFT_REG_1);
    addExpr(r, meta);
    // A name compares with its terminating zeros; "prefix*" compares the prefix bytes only.
    std::vector<char> data(IFNAMSIZ, 0);
    size_t len = IFNAMSIZ;
    if (!c.value.empty() && c.value.back() == '*') {
      len = c.value.size() - 1;
    }
    std::memcpy(data.data(), c.value.data(), std::min(c.value.size(), data.size()));
    nftnl_expr* cmp = nftnl_expr_alloc("cmp");
    nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
    nftnl_expr_set_u32(cmp, NFTNL_EXPR_CMP_OP, c.negate ? NFT_CMP_NEQ : NFT_CMP_EQ);
    nftnl_expr_set(cmp, NFTNL_EXPR_CMP_DATA, data.data(), static_cast<uint32_t>(len));
    addExpr(r, cmp);
    return;
  }
  nftnl_expr* payload = nftnl_expr_alloc("payload");
  nftnl_expr_set_u32(payload, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
  nftnl_expr_set_u32(payload, NFTNL_EXPR_PAYLOAD_BASE, NFT_PAYLOAD_NETWORK_HEADER);
  nftnl_expr_set_u32(payload, NFTNL_EXPR_PAYLOAD_OFFSET,
                     c.kind == Condition::Kind::kSourceInSet ? 12 : 16);
  nftnl_expr_set_u32(payload, NFTNL_EXPR_PAYLOAD_LEN, 4);
  addExpr(r, payload);
  nftnl_expr* lookup = nftnl_expr_alloc("lookup");
  nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
  nftnl_expr_set_str(lookup, NFTNL_EXPR_LOOKUP_SET, c.value.c_str());
  nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_SET_ID, ids.at(c.value));
  if (c.negate) nftnl_expr_set_u32(lookup, NFTNL_EXPR_LOOKUP_FLAGS, NFT_LOOKUP_F_INV);
  addExpr(r, lookup);
}

Status addRule(Batch& b, const std::string& table, const std::string& chain, const Rule& spec,
               const std::map<std::string, uint32_t>& set_ids) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_IPV4);
  for (const auto& c : spec.conditions) addCondition(r.get(), c, set_ids);
  addExpr(r.get(), nftnl_expr_alloc("counter"));  // `nft list` shows what each rule matched
  if (spec.verdict == Verdict::kMasquerade) {
    addExpr(r.get(), nftnl_expr_alloc("masq"));
  } else {
    nftnl_expr* imm = nftnl_expr_alloc("immediate");
    nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
    nftnl_expr_set_u32(imm, NFTNL_EXPR_IMM_VERDICT,
                       spec.verdict == Verdict::kDrop ? NF_DROP : NF_ACCEPT);
    addExpr(r.get(), imm);
  }
  nftnl_rule_nlmsg_build_payload(
      b.begin(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, "add rule to chain " + chain), r.get());
  return b.next();
}

Status checkName(const std::string& what, const std::string& name) {
  if (name.empty() || name.size() >= NFT_NAME_MAXLEN) {
    return invalidArgumentError("nftables: " + what + " name '" + name + "' is empty or too long");
  }
  return okStatus();
}

}  // namespace

std::vector<std::pair<Ipv4Address, bool>> intervalElements(std::vector<Ipv4Prefix> prefixes) {
  // [first, last] ranges, merged when they overlap or touch.
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& p : prefixes) {
    ranges.emplace_back(p.network().value(), p.broadcast().value());
  }
  std::sort(ranges.begin(), ranges.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& r : ranges) {
    if (!merged.empty() && r.first <= merged.back().second + 1) {
      merged.back().second = std::max(merged.back().second, r.second);
    } else {
      merged.push_back(r);
    }
  }
  std::vector<std::pair<Ipv4Address, bool>> out;
  if (!merged.empty() && merged.front().first != 0) out.emplace_back(Ipv4Address(0u), true);
  for (const auto& [first, last] : merged) {
    out.emplace_back(Ipv4Address(static_cast<uint32_t>(first)), false);
    if (last < 0xffffffffu) out.emplace_back(Ipv4Address(static_cast<uint32_t>(last + 1)), true);
  }
  return out;
}

Status validateTable(const Table& table) {
  RETURN_IF_ERROR(checkName("table", table.name));
  std::set<std::string> sets;
  for (const auto& s : table.sets) {
    RETURN_IF_ERROR(checkName("set", s.name));
    if (!sets.insert(s.name).second) {
      return invalidArgumentError("nftables: set " + s.name + " is defined twice");
    }
  }
  std::set<std::string> chains;
  for (const auto& c : table.chains) {
    RETURN_IF_ERROR(checkName("chain", c.name));
    if (!chains.insert(c.name).second) {
      return invalidArgumentError("nftables: chain " + c.name + " is defined twice");
    }
    if (c.type == ChainType::kNat && c.hook == Hook::kForward) {
      return invalidArgumentError("nftables: a nat chain cannot hook forward");
    }
    for (const auto& r : c.rules) {
      if (r.verdict == Verdict::kMasquerade && c.type != ChainType::kNat) {
        return invalidArgumentError("nftables: masquerade outside a nat chain (" + c.name + ")");
      }
      for (const auto& cond : r.conditions) {
        if (cond.kind == Condition::Kind::kDestinationNatted) continue;
        if (isInterface(cond.kind)) {
          if (cond.value.empty() || cond.value.size() >= IFNAMSIZ || cond.value == "*") {
            return invalidArgumentError("nftables: bad interface name '" + cond.value + "'");
          }
        } else if (!sets.count(cond.value)) {
          return invalidArgumentError("nftables: rule in " + c.name + " names unknown set '" +
                                      cond.value + "'");
        }
      }
    }
  }
  return okStatus();
}

Status NftablesImpl::replaceTable(const Table& table) {
  RETURN_IF_ERROR(validateTable(table));
  return netlink::runInNetns(netns_, [&]() -> Status {
    Batch b;
    // Create-if-missing then delete: the delete never fails, and the new table starts empty.
    RETURN_IF_ERROR(addTableMessage(b, NFT_MSG_NEWTABLE, table.name, NLM_F_CREATE));
    RETURN_IF_ERROR(addTableMessage(b, NFT_MSG_DELTABLE, table.name, 0));
    RETURN_IF_ERROR(addTableMessage(b, NFT_MSG_NEWTABLE, table.name, NLM_F_CREATE));
    std::map<std::string, uint32_t> set_ids;
    for (const auto& s : table.sets) {
      uint32_t id = static_cast<uint32_t>(set_ids.size() + 1);
      set_ids[s.name] = id;
      RETURN_IF_ERROR(addSet(b, table.name, s, id));
    }
    for (const auto& c : table.chains) {
      RETURN_IF_ERROR(addChain(b, table.name, c));
      for (const auto& r : c.rules) RETURN_IF_ERROR(addRule(b, table.name, c.name, r, set_ids));
    }
    return b.send();
  });
}

Status NftablesImpl::deleteTable(const std::string& name) {
  RETURN_IF_ERROR(checkName("table", name));
  return netlink::runInNetns(netns_, [&]() -> Status {
    Batch b;
    RETURN_IF_ERROR(addTableMessage(b, NFT_MSG_NEWTABLE, name, NLM_F_CREATE));
    RETURN_IF_ERROR(addTableMessage(b, NFT_MSG_DELTABLE, name, 0));
    return b.send();
  });
}

}  // namespace alcor::netfilter
