#include "controller/dpm/goalstate_messages.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace alcor::controller {
namespace {

// A resource's identity in a message: its type and map key.
struct StateKey {
  schema::ResourceType type;
  std::string_view key;
  bool operator==(const StateKey&) const = default;
};
struct StateKeyHash {
  size_t operator()(const StateKey& k) const noexcept {
    return std::hash<std::string_view>()(k.key) * 31 + static_cast<size_t>(k.type);
  }
};
StateKey keyOf(const EncodedState& s) { return {s.type, s.key}; }

// Field numbers of each state type in GoalStateV2 (maps) and GoalState (repeated), from the
// descriptors so they cannot drift from the protos.
struct Fields {
  int v2[8] = {};
  int v1[8] = {};
  int v2_host_resources = 0;
  Fields() {
    static const std::pair<schema::ResourceType, const char*> kNames[] = {
        {schema::VPC, "vpc_states"},
        {schema::SUBNET, "subnet_states"},
        {schema::PORT, "port_states"},
        {schema::NEIGHBOR, "neighbor_states"},
        {schema::SECURITYGROUP, "security_group_states"},
        {schema::DHCP, "dhcp_states"},
        {schema::ROUTER, "router_states"},
        {schema::GATEWAY, "gateway_states"}};
    for (const auto& [type, name] : kNames) {
      v2[type] = schema::GoalStateV2::descriptor()->FindFieldByName(name)->number();
      v1[type] = schema::GoalState::descriptor()->FindFieldByName(name)->number();
    }
    v2_host_resources =
        schema::GoalStateV2::descriptor()->FindFieldByName("host_resources")->number();
  }
};
const Fields& fields() {
  static const Fields kFields;
  return kFields;
}

// Protobuf wire format: varints and length-delimited fields.
void putVarint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}
size_t varintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}
void putTag(std::string& out, int field, int wire_type) {
  putVarint(out, (static_cast<uint64_t>(field) << 3) | wire_type);
}
constexpr int kVarint = 0;
constexpr int kLengthDelimited = 2;
void putBytes(std::string& out, int field, std::string_view bytes) {
  putTag(out, field, kLengthDelimited);
  putVarint(out, bytes.size());
  out.append(bytes);
}
size_t bytesFieldSize(int field, size_t len) {
  return varintSize(static_cast<uint64_t>(field) << 3) + varintSize(len) + len;
}

// map<string, XState> entry {1: key, 2: value}.
void putMapEntry(std::string& out, int field, std::string_view key, std::string_view value) {
  size_t entry = bytesFieldSize(1, key.size()) + bytesFieldSize(2, value.size());
  putTag(out, field, kLengthDelimited);
  putVarint(out, entry);
  putBytes(out, 1, key);
  putBytes(out, 2, value);
}

// HostResources {repeated ResourceIdType resources = 1 {1: type, 2: id}}.
std::string hostResources(const std::vector<const EncodedState*>& states) {
  std::string out;
  for (const EncodedState* s : states) {
    size_t item = (s->type != 0 ? 1 + varintSize(s->type) : 0) + bytesFieldSize(2, s->key.size());
    putTag(out, 1, kLengthDelimited);
    putVarint(out, item);
    if (s->type != 0) {
      putTag(out, 1, kVarint);
      putVarint(out, s->type);
    }
    putBytes(out, 2, s->key);
  }
  return out;
}

// Adds `state`'s context to `message` (each key once; `present` tracks the message's keys).
// `newest` gives the version of a context state to send.
void addContext(const EncodedState& state,
                const std::unordered_map<StateKey, const EncodedState*, StateKeyHash>& newest,
                std::unordered_set<StateKey, StateKeyHash>& present,
                std::vector<const EncodedState*>& message) {
  for (const StatePtr& c : state.context) {
    auto it = newest.find(keyOf(*c));
    const EncodedState* version = it == newest.end() ? c.get() : it->second;
    if (!present.insert(keyOf(*version)).second) continue;
    addContext(*version, newest, present, message);  // a subnet's VPC first
    message.push_back(version);
  }
}

}  // namespace

std::vector<const EncodedState*> latestStates(const std::vector<StatePtr>& queue) {
  std::vector<const EncodedState*> out;
  out.reserve(queue.size());
  std::unordered_set<StateKey, StateKeyHash> seen;
  seen.reserve(queue.size());
  for (auto it = queue.rbegin(); it != queue.rend(); ++it) {
    if (seen.insert(keyOf(**it)).second) out.push_back(it->get());
  }
  std::reverse(out.begin(), out.end());
  return out;
}

void encodeMessage(const std::string& host_ip, const std::vector<const EncodedState*>& states,
                   int version, EncodedGoalState& msg) {
  const Fields& f = fields();
  msg.bytes.clear();
  msg.version = version;
  msg.resources = states.size();
  size_t size = 16;
  for (const EncodedState* s : states) size += s->key.size() + s->bytes.size() + 16;
  if (version == 2) size += states.size() * 8 + host_ip.size() + 16;
  msg.bytes.reserve(size);
  putTag(msg.bytes, 1, kVarint);  // format_version
  putVarint(msg.bytes, static_cast<uint64_t>(version));
  for (const EncodedState* s : states) {
    if (version == 2) {
      putMapEntry(msg.bytes, f.v2[s->type], s->key, s->bytes);
    } else {
      putBytes(msg.bytes, f.v1[s->type], s->bytes);
    }
  }
  if (version == 2) putMapEntry(msg.bytes, f.v2_host_resources, host_ip, hostResources(states));
}

std::vector<std::vector<const EncodedState*>> planMessages(const std::vector<StatePtr>& queue,
                                                           size_t max_neighbors_per_message) {
  std::vector<const EncodedState*> latest = latestStates(queue);
  // The newest version of every VPC and subnet: the one queued last, as a state of its own or
  // as the context of another (which was built when that one was queued).
  std::unordered_map<StateKey, const EncodedState*, StateKeyHash> newest;
  for (const EncodedState* s : latest) {
    for (const StatePtr& c : s->context) {
      for (const StatePtr& cc : c->context) newest[keyOf(*cc)] = cc.get();
      newest[keyOf(*c)] = c.get();
    }
    if (s->type == schema::VPC || s->type == schema::SUBNET) newest[keyOf(*s)] = s;
  }

  std::vector<const EncodedState*> others, neighbors;
  for (const EncodedState* s : latest) {
    (s->type == schema::NEIGHBOR ? neighbors : others).push_back(s);
  }
  std::vector<std::vector<const EncodedState*>> out;
  auto plan = [&](auto begin, auto end) {
    std::vector<const EncodedState*> message;
    std::unordered_set<StateKey, StateKeyHash> present;
    for (auto it = begin; it != end; ++it) present.insert(keyOf(**it));
    for (auto it = begin; it != end; ++it) addContext(**it, newest, present, message);
    message.insert(message.end(), begin, end);
    out.push_back(std::move(message));
  };
  if (!others.empty()) plan(others.begin(), others.end());
  const size_t max = std::max<size_t>(1, max_neighbors_per_message);
  for (size_t i = 0; i < neighbors.size(); i += max) {
    plan(neighbors.begin() + static_cast<long>(i),
         neighbors.begin() + static_cast<long>(std::min(neighbors.size(), i + max)));
  }
  return out;
}

std::vector<EncodedGoalState> buildMessages(const std::string& host_ip,
                                            const std::vector<StatePtr>& queue,
                                            const MessageOptions& options) {
  std::vector<EncodedGoalState> out;
  for (const auto& states : planMessages(queue, options.max_neighbors_per_message)) {
    encodeMessage(host_ip, states, options.version, out.emplace_back());
  }
  return out;
}

}  // namespace alcor::controller
