#include "controller/service/node_service.h"

#include "lib/base/logging.h"

namespace alcor::controller {

void NodeService::announceAddressesLocked() {
  for (const auto& [id, n] : store_.nodes().all()) {
    sink_.setAddress(n.hostIp(), store_.agentAddressOf(n));
  }
}

// Re-places the ports of the node(s) and resyncs the (new) host. `before`/`after` are the node
// as it was and is; the store already holds `after`.
void NodeService::changedLocked(const Node* before, const Node* after) {
  std::vector<PortChange> changes;
  for (const auto& [id, p] : store_.ports().all()) {
    if (!((before && p.host_id == before->name) || (after && p.host_id == after->name))) continue;
    std::optional<PortPlacement> old_pl;
    if (before && before->name == p.host_id) {
      old_pl = PortPlacement{p, before->hostIp(), textOf(before->mac_address)};
    }
    std::optional<PortPlacement> new_pl = store_.placementOf(p);
    // Neighbors carry the host's IP and MAC: a new one re-announces the port.
    const bool same_host = old_pl && new_pl && old_pl->host_ip == new_pl->host_ip &&
                           old_pl->host_mac == new_pl->host_mac;
    if (!same_host && (old_pl || new_pl)) changes.push_back({old_pl, new_pl});
  }
  dpm_.portsChanged(changes);
  if (before) {
    // The agent restarted or left: what it learned on demand is gone with it.
    dpm_.hostReset(before->hostIp());
    if (!after || before->local_ip != after->local_ip) sink_.forget(before->hostIp());
  }
  if (after) {
    dpm_.hostReset(after->hostIp());
    sink_.setAddress(after->hostIp(), store_.agentAddressOf(*after));
    sink_.requestResync(after->hostIp());
  }
}

StatusOr<Node> NodeService::create(Node n) {
  auto lock = store_.lock();
  if (n.id.empty()) n.id = ResourceId::generate();
  if (store_.nodes().find(n.id)) return alreadyExistsError("node " + n.id + " already exists");
  if (store_.nodeByName(n.name)) {
    return alreadyExistsError("a node named " + n.name + " already exists");
  }
  if (store_.findNodeByIp(n.hostIp())) {
    return alreadyExistsError("a node with local_ip " + n.hostIp() + " already exists");
  }
  if (!n.host_dvr_mac) {
    ASSIGN_OR_RETURN(n.host_dvr_mac, store_.dvrMacs().allocate());
  } else {
    RETURN_IF_ERROR(store_.dvrMacs().reserve(*n.host_dvr_mac));
  }
  if (Status st = store_.persist({ResourceStore::putMutation(n)}); !st.ok()) {
    store_.dvrMacs().release(*n.host_dvr_mac);
    return st;
  }
  store_.put(n);
  ALOG(Info, Rest) << "node " << n.name << " registered at " << store_.agentAddressOf(n);
  changedLocked(nullptr, store_.nodes().find(n.id));
  return n;
}

StatusOr<Node> NodeService::update(const ResourceId& id, Node n) {
  auto lock = store_.lock();
  const Node* found = store_.nodes().find(id);
  if (!found) return notFoundError("node " + id + " not found");
  Node before = *found;
  n.id = id;
  if (n.name != before.name && store_.nodeByName(n.name)) {
    return alreadyExistsError("a node named " + n.name + " already exists");
  }
  if (n.local_ip != before.local_ip && store_.findNodeByIp(n.hostIp())) {
    return alreadyExistsError("a node with local_ip " + n.hostIp() + " already exists");
  }
  if (!n.host_dvr_mac) n.host_dvr_mac = before.host_dvr_mac;
  const bool new_mac = n.host_dvr_mac != before.host_dvr_mac;
  if (new_mac) RETURN_IF_ERROR(store_.dvrMacs().reserve(*n.host_dvr_mac));
  if (Status st = store_.persist({ResourceStore::putMutation(n)}); !st.ok()) {
    if (new_mac) store_.dvrMacs().release(*n.host_dvr_mac);
    return st;
  }
  if (new_mac && before.host_dvr_mac) store_.dvrMacs().release(*before.host_dvr_mac);
  store_.put(n);
  ALOG(Info, Rest) << "node " << n.name << " re-registered at " << store_.agentAddressOf(n);
  changedLocked(&before, store_.nodes().find(id));
  return n;
}

StatusOr<Node> NodeService::get(const ResourceId& id) const {
  auto lock = store_.lock();
  const Node* n = store_.nodes().find(id);
  if (!n) return notFoundError("node " + id + " not found");
  return *n;
}

std::vector<Node> NodeService::list() const {
  auto lock = store_.lock();
  std::vector<Node> out;
  for (const auto& [id, n] : store_.nodes().all()) out.push_back(n);
  return out;
}

Status NodeService::remove(const ResourceId& id) {
  auto lock = store_.lock();
  const Node* found = store_.nodes().find(id);
  if (!found) return notFoundError("node " + id + " not found");
  RETURN_IF_ERROR(store_.persist({ResourceStore::eraseMutation<Node>(id)}));
  Node before = *found;
  store_.erase<Node>(id);
  if (before.host_dvr_mac) store_.dvrMacs().release(*before.host_dvr_mac);
  changedLocked(&before, nullptr);
  return okStatus();
}

std::string NodeService::agentAddress(const std::string& host_ip) const {
  auto lock = store_.lock();
  const Node* n = store_.findNodeByIp(host_ip);
  return n ? store_.agentAddressOf(*n) : std::string();
}

std::string NodeService::nodeNameAtAddress(const std::string& address) const {
  auto lock = store_.lock();
  const Node* n = store_.findNodeByIp(address.substr(0, address.rfind(':')));
  return n && store_.agentAddressOf(*n) == address ? n->name : std::string();
}

std::string NodeService::nodeIpByName(const std::string& name) const {
  auto lock = store_.lock();
  const Node* n = store_.nodeByName(name);
  return n ? n->hostIp() : std::string();
}

}  // namespace alcor::controller
