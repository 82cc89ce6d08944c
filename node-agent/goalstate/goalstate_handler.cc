#include "node-agent/goalstate/goalstate_handler.h"

#include <algorithm>
#include <variant>

#include "lib/base/logging.h"
#include "node-agent/goalstate/conversion.h"

namespace alcor::agent {
namespace {

using schema::GoalStateOperationReply;
using schema::OperationStatus;
using schema::OperationType;
using schema::ResourceType;
using Clock = std::chrono::steady_clock;

// Alcor's processing order: context, then router, port, neighbor, DHCP.
int rank(ResourceType t) {
  switch (t) {
    case schema::VPC:
      return 0;
    case schema::SUBNET:
      return 1;
    case schema::GATEWAY:
      return 2;
    case schema::SECURITYGROUP:
      return 3;
    case schema::ROUTER:
      return 4;
    case schema::PORT:
      return 5;
    case schema::NEIGHBOR:
      return 6;
    case schema::DHCP:
      return 7;
    default:
      return 8;
  }
}

uint32_t micros(Clock::duration d) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

using Model = std::variant<std::monostate, Vpc, Subnet, Port, Neighbor, DhcpEntry, Router, Gateway,
                           SecurityGroup>;

// Converted item: model plus what happened to it.
struct Work {
  GoalStateHandler::Item item;
  Model model;
  std::string id;  // model id (for deletes: configuration id)
  OperationStatus status = schema::SUCCESS;
  std::string error;
  bool applied = false;
  bool waits_for_interface = false;
  Clock::duration config_time{};
};

StatusOr<Model> convert(const GoalStateHandler::Item& item) {
  auto wrap = [](auto r) -> StatusOr<Model> {
    if (!r.ok()) return r.status();
    return Model(std::move(r).value());
  };
  switch (item.type) {
    case schema::VPC:
      return wrap(toVpc(static_cast<const schema::VpcConfiguration&>(*item.config)));
    case schema::SUBNET:
      return wrap(toSubnet(static_cast<const schema::SubnetConfiguration&>(*item.config)));
    case schema::PORT:
      return wrap(toPort(static_cast<const schema::PortConfiguration&>(*item.config)));
    case schema::NEIGHBOR:
      return wrap(
          toNeighbor(static_cast<const schema::NeighborConfiguration&>(*item.config), item.key));
    case schema::DHCP:
      return wrap(toDhcp(static_cast<const schema::DHCPConfiguration&>(*item.config)));
    case schema::ROUTER:
      return wrap(toRouter(static_cast<const schema::RouterConfiguration&>(*item.config)));
    case schema::GATEWAY:
      return wrap(toGateway(static_cast<const schema::GatewayConfiguration&>(*item.config)));
    case schema::SECURITYGROUP:
      return wrap(
          toSecurityGroup(static_cast<const schema::SecurityGroupConfiguration&>(*item.config)));
    default:
      return invalidArgumentError("unknown resource type");
  }
}

// The id field of any configuration (all carry `id` as field 3).
std::string configId(const google::protobuf::Message& m) {
  const auto* field = m.GetDescriptor()->FindFieldByName("id");
  return field ? m.GetReflection()->GetString(m, field) : std::string();
}

bool isUnplug(const GoalStateHandler::Item& item) {
  if (item.type != schema::PORT || item.op != schema::UPDATE) return false;
  const auto& c = static_cast<const schema::PortConfiguration&>(*item.config);
  return c.device_id().empty() && c.device_owner().empty();
}

template <typename T>
void eraseFrom(std::map<std::string, T>& m, const std::string& key, std::set<std::string>& dirty) {
  if (m.erase(key) > 0) dirty.insert(key);
}

// Stores `value` under `key` and names it in `dirty` when that changed the state: resent
// context (a VPC or subnet with every port) makes no owner dirty.
template <typename T>
void store(std::map<std::string, T>& m, const std::string& key, T value,
           std::set<std::string>& dirty) {
  auto it = m.find(key);
  if (it != m.end() && it->second == value) return;
  m.insert_or_assign(key, std::move(value));
  dirty.insert(key);
}

// Checks references against the state (which already holds earlier items of this message) and
// applies one item. Returns an error text for INVALID_ARG.
std::string applyOne(Work& w, const std::string& node_ip, NetworkState& s, ChangeSet& c) {
  OperationType op = w.item.op;
  bool remove = op == schema::DELETE || isUnplug(w.item);
  bool context_only = (op == schema::INFO || op == schema::GET);
  switch (w.item.type) {
    case schema::VPC:
      if (remove) return eraseFrom(s.vpcs, w.id, c.vpcs), "";
      if (op == schema::GET) return "";
      store(s.vpcs, w.id, std::get<Vpc>(w.model), c.vpcs);
      return "";
    case schema::SUBNET: {
      if (remove) return eraseFrom(s.subnets, w.id, c.subnets), "";
      if (op == schema::GET) return "";
      Subnet sub = std::get<Subnet>(w.model);
      if (sub.vni == 0) {
        const Vpc* v = s.vpc(sub.vpc_id);
        if (!v || v->vni == 0) return "subnet " + sub.id + " has no tunnel_id and its VPC none";
        sub.vni = v->vni;
      }
      store(s.subnets, w.id, std::move(sub), c.subnets);
      return "";
    }
    case schema::GATEWAY:
      if (remove) return eraseFrom(s.gateways, w.id, c.gateways), "";
      if (op == schema::GET) return "";
      store(s.gateways, w.id, std::get<Gateway>(w.model), c.gateways);
      return "";
    case schema::SECURITYGROUP:
      if (remove) return eraseFrom(s.security_groups, w.id, c.security_groups), "";
      if (op == schema::GET) return "";
      store(s.security_groups, w.id, std::get<SecurityGroup>(w.model), c.security_groups);
      return "";
    case schema::ROUTER: {
      if (remove) return eraseFrom(s.routers, w.id, c.routers), "";
      if (op == schema::GET) return "";
      const Router& r = std::get<Router>(w.model);
      for (const auto& rs : r.subnets) {
        if (!s.subnet(rs.subnet_id)) return "router " + r.id + ": unknown subnet " + rs.subnet_id;
      }
      store(s.routers, w.id, r, c.routers);
      return "";
    }
    case schema::PORT: {
      if (remove) return eraseFrom(s.ports, w.id, c.ports), "";
      if (context_only) return "";
      Port p = std::move(std::get<Port>(w.model));  // the model is not read again
      if (!node_ip.empty() && !p.host_ip.isUnspecified() && p.host_ip.toString() != node_ip) {
        return "port " + p.id + " is bound to host " + p.host_ip.toString() + ", not this node (" +
               node_ip + ")";
      }
      for (const auto& ip : p.fixed_ips) {
        const Subnet* sub = s.subnet(ip.subnet_id);
        if (!sub) return "port " + p.id + ": unknown subnet " + ip.subnet_id;
        if (!sub->cidr.contains(ip.ip)) {
          return "port " + p.id + ": " + ip.ip.toString() + " is outside subnet " +
                 sub->cidr.toString();
        }
        if (p.vpc_id.empty()) p.vpc_id = sub->vpc_id;
      }
      store(s.ports, w.id, std::move(p), c.ports);
      w.waits_for_interface = true;
      return "";
    }
    case schema::NEIGHBOR: {
      if (remove) {
        // v1 deletes name the port id; the key may be L2/ or L3/.
        if (s.neighbors.count(w.item.key))
          return eraseFrom(s.neighbors, w.item.key, c.neighbors), "";
        eraseFrom(s.neighbors, "L2/" + w.id, c.neighbors);
        eraseFrom(s.neighbors, "L3/" + w.id, c.neighbors);
        return "";
      }
      if (context_only) return "";
      Neighbor n = std::move(std::get<Neighbor>(w.model));  // as for ports
      for (const auto& ip : n.ips) {
        const Subnet* sub = s.subnet(ip.subnet_id);
        if (!sub) return "neighbor " + n.id + ": unknown subnet " + ip.subnet_id;
        if (n.vpc_id.empty()) n.vpc_id = sub->vpc_id;
      }
      const std::string key = n.key;
      store(s.neighbors, key, std::move(n), c.neighbors);
      return "";
    }
    case schema::DHCP: {
      if (remove) return eraseFrom(s.dhcp, w.id, c.dhcp), "";
      if (context_only) return "";
      const DhcpEntry& d = std::get<DhcpEntry>(w.model);
      const Subnet* sub = s.subnet(d.subnet_id);
      if (!sub) return "dhcp " + d.id + ": unknown subnet " + d.subnet_id;
      if (!sub->cidr.contains(d.ip)) return "dhcp " + d.id + ": address outside its subnet";
      store(s.dhcp, w.id, d, c.dhcp);
      return "";
    }
    default:
      return "unsupported resource type";
  }
}

}  // namespace

GoalStateOperationReply GoalStateHandler::handle(const schema::GoalState& gs) {
  std::vector<Item> items;
  auto add = [&](ResourceType type, const auto& states) {
    for (const auto& st : states) {
      items.push_back(
          {type, st.operation_type(), configId(st.configuration()), &st.configuration()});
    }
  };
  add(schema::VPC, gs.vpc_states());
  add(schema::SUBNET, gs.subnet_states());
  add(schema::PORT, gs.port_states());
  add(schema::NEIGHBOR, gs.neighbor_states());
  add(schema::SECURITYGROUP, gs.security_group_states());
  add(schema::DHCP, gs.dhcp_states());
  add(schema::ROUTER, gs.router_states());
  add(schema::GATEWAY, gs.gateway_states());
  return process(std::move(items), gs.format_version());
}

GoalStateOperationReply GoalStateHandler::handle(const schema::GoalStateV2& gs) {
  std::vector<Item> items;
  auto add = [&](ResourceType type, const auto& states) {
    for (const auto& [key, st] : states) {
      items.push_back({type, st.operation_type(), key, &st.configuration()});
    }
  };
  add(schema::VPC, gs.vpc_states());
  add(schema::SUBNET, gs.subnet_states());
  add(schema::PORT, gs.port_states());
  add(schema::NEIGHBOR, gs.neighbor_states());
  add(schema::SECURITYGROUP, gs.security_group_states());
  add(schema::DHCP, gs.dhcp_states());
  add(schema::ROUTER, gs.router_states());
  add(schema::GATEWAY, gs.gateway_states());
  return process(std::move(items), gs.format_version());
}

GoalStateOperationReply GoalStateHandler::process(std::vector<Item> items,
                                                  uint32_t format_version) {
  auto start = Clock::now();
  std::stable_sort(items.begin(), items.end(),
                   [](const Item& a, const Item& b) { return rank(a.type) < rank(b.type); });

  // Convert and validate everything before touching the state.
  std::vector<Work> work;
  work.reserve(items.size());
  for (auto& item : items) {
    auto t0 = Clock::now();
    Work w{item, {}, configId(*item.config)};
    bool needs_model = item.op != schema::DELETE && item.op != schema::GET && !isUnplug(item);
    if (needs_model) {
      auto model = convert(item);
      if (!model.ok()) {
        w.status = schema::INVALID_ARG;
        w.error = model.status().message();
      } else {
        w.model = std::move(model).value();
      }
    } else if (w.id.empty() && item.type != schema::NEIGHBOR) {
      w.status = schema::INVALID_ARG;
      w.error = "delete without id";
    }
    if (w.id.empty()) w.id = item.key;
    w.config_time = Clock::now() - t0;
    work.push_back(std::move(w));
  }

  auto apply_start = Clock::now();
  Status programmed = dataplane_.update([&](NetworkState& state, ChangeSet& changes) {
    for (auto& w : work) {
      if (w.status != schema::SUCCESS) continue;
      auto t0 = Clock::now();
      std::string error = applyOne(w, options_.node_ip, state, changes);
      if (!error.empty()) {
        w.status = schema::INVALID_ARG;
        w.error = error;
        w.waits_for_interface = false;
      } else {
        w.applied = true;
      }
      w.config_time += Clock::now() - t0;
    }
  });
  auto dataplane_time = Clock::now() - apply_start;

  if (!programmed.ok()) {
    ALOG(Error, GoalState) << "programming the data plane failed: " << programmed;
    for (auto& w : work) {
      if (w.applied) {
        w.status = schema::FAILURE;
        w.error = programmed.message();
      }
    }
  } else {
    std::set<std::string> waiting;
    for (const auto& w : work) {
      if (w.applied && w.waits_for_interface) waiting.insert(w.id);
    }
    if (!waiting.empty()) {
      auto ready = dataplane_.waitForPorts(waiting, Clock::now() + options_.port_wait);
      for (auto& w : work) {
        if (w.applied && w.waits_for_interface && !ready.count(w.id)) {
          w.status = schema::PENDING;
          w.error = "interface not plugged yet; programmed when it appears";
        }
      }
    }
  }

  GoalStateOperationReply reply;
  reply.set_format_version(format_version);
  int invalid = 0, pending = 0, failed = 0;
  for (const auto& w : work) {
    auto* st = reply.add_operation_statuses();
    st->set_resource_id(w.item.key);
    st->set_resource_type(w.item.type);
    st->set_operation_type(w.item.op);
    st->set_operation_status(w.status);
    st->set_network_configuration_time(micros(w.config_time));
    st->set_dataplane_programming_time(w.applied ? micros(dataplane_time) : 0);
    st->set_state_elapse_time(
        micros(w.config_time + (w.applied ? dataplane_time : Clock::duration{})));
    if (w.status == schema::INVALID_ARG) {
      ++invalid;
      ALOG(Warn, GoalState) << "rejected " << schema::ResourceType_Name(w.item.type) << " "
                            << w.item.key << ": " << w.error;
    }
    if (w.status == schema::PENDING) ++pending;
    if (w.status == schema::FAILURE) ++failed;
  }
  reply.set_message_total_operation_time(micros(Clock::now() - start));
  ALOG(Info, GoalState) << "goal state v" << format_version << ": " << work.size() << " resources, "
                        << invalid << " invalid, " << pending << " pending, " << failed
                        << " failed, " << micros(Clock::now() - start) << " us";
  return reply;
}

}  // namespace alcor::agent
