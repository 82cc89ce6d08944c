#include "node-agent/host/host_gateways.h"

#include <cctype>
#include <fstream>
#include <set>
#include <thread>

#include "lib/base/logging.h"

namespace alcor::agent {
namespace {

using Clock = std::chrono::steady_clock;

std::string joinPrefixes(const std::vector<Ipv4Prefix>& prefixes) {
  std::string out;
  for (const auto& p : prefixes) out += (out.empty() ? "" : ", ") + p.toString();
  return out;
}

// "alcor-gw0" -> "alcor-gw": the stem other VPCs' gateways number from.
std::string nameStem(const std::string& name) {
  size_t end = name.size();
  while (end > 0 && std::isdigit(static_cast<unsigned char>(name[end - 1]))) --end;
  return name.substr(0, end);
}

std::string valueOr(const std::map<std::string, std::string>& m, const std::string& key) {
  auto it = m.find(key);
  return it == m.end() ? "" : it->second;
}

}  // namespace

HostGatewayManager::HostGatewayManager(HostGatewayOptions options, ControllerClient& controller,
                                       ovsdb::BridgeClient& bridges, netlink::LinkManager& links,
                                       Dataplane& dataplane, NodeNat* nat,
                                       RefusalListener on_refused)
    : options_(std::move(options)),
      controller_(controller),
      bridges_(bridges),
      links_(links),
      dataplane_(dataplane),
      nat_(nat),
      on_refused_(std::move(on_refused)) {}

std::optional<Status> HostGatewayManager::activeOrRefused(const std::string& vpc_id) {
  std::lock_guard lock(mu_);
  if (active_.count(vpc_id)) return okStatus();
  auto refused = refused_.find(vpc_id);
  if (refused == refused_.end()) return std::nullopt;
  // Refused because of a VPC that has lost host access since: try again.
  if (!active_.count(refused->second.overlaps)) {
    refused_.erase(refused);
    return std::nullopt;
  }
  return failedPreconditionError(refused->second.reason);
}

Status HostGatewayManager::ensure(const std::string& project, const std::string& vpc_id,
                                  const std::string& subnet_id) {
  if (vpc_id.empty()) return invalidArgumentError("host access: no VPC given");
  if (auto known = activeOrRefused(vpc_id)) return *known;
  std::lock_guard setup(setup_mu_);
  if (auto known = activeOrRefused(vpc_id)) return *known;  // set up while we waited
  return setUp(project.empty() ? options_.cluster_project : project, vpc_id, subnet_id);
}

std::vector<Ipv4Prefix> HostGatewayManager::cidrsOf(const std::string& vpc_id) const {
  std::vector<Ipv4Prefix> out;
  dataplane_.read([&](const NetworkState& s) {
    const Vpc* vpc = s.vpc(vpc_id);
    if (vpc && vpc->cidr) {
      out.push_back(Ipv4Prefix(vpc->cidr->network(), vpc->cidr->length()));
      return;
    }
    for (const auto& [id, subnet] : s.subnets) {
      if (subnet.vpc_id == vpc_id) out.push_back(subnet.cidr);
    }
  });
  return out;
}

std::optional<std::string> HostGatewayManager::overlapping(
    const std::string& vpc_id, const std::vector<Ipv4Prefix>& cidrs) const {
  std::lock_guard lock(mu_);
  for (const auto& [other, g] : active_) {
    if (other == vpc_id) continue;
    for (const auto& a : g.info.cidrs) {
      for (const auto& b : cidrs) {
        if (a.overlaps(b)) return other;
      }
    }
  }
  return std::nullopt;
}

Status HostGatewayManager::refuse(const std::string& vpc_id, const std::string& other,
                                  const std::vector<Ipv4Prefix>& cidrs) {
  HostAccessInfo info;
  info.vpc_id = vpc_id;
  info.cidrs = cidrs;
  info.overlaps = other;
  info.reason = "VPC " + vpc_id + " (" + joinPrefixes(cidrs) + ") is refused host access on " +
                options_.node_name + ": it overlaps VPC " + other +
                ", which has it; its pods cannot reach the node, Services or DNS";
  {
    std::lock_guard lock(mu_);
    refused_[vpc_id] = info;
    ++refusals_;
  }
  ALOG(Warn, Main) << info.reason;
  if (on_refused_) on_refused_(info);
  return failedPreconditionError(info.reason);
}

Status HostGatewayManager::setUp(const std::string& project, const std::string& vpc_id,
                                 const std::string& subnet_id) {
  if (auto cidrs = cidrsOf(vpc_id); !cidrs.empty()) {
    if (auto other = overlapping(vpc_id, cidrs)) return refuse(vpc_id, *other, cidrs);
  }
  ASSIGN_OR_RETURN(PortRecord port, findOrCreatePort(project, vpc_id, subnet_id));
  ASSIGN_OR_RETURN(std::string name, portNameFor(vpc_id));
  ASSIGN_OR_RETURN(uint32_t ofport, plug(name, project, vpc_id, port));
  RETURN_IF_ERROR(dataplane_.update([&](NetworkState& s, ChangeSet& c) {
    s.host_gateways[vpc_id] = HostGateway{vpc_id, port.id, name, ofport};
    c.host_gateways.insert(vpc_id);
  }));
  if (dataplane_.waitForPorts({port.id}, Clock::now() + options_.ready_timeout).empty()) {
    return unavailableError("host gateway " + name + " of VPC " + vpc_id +
                            ": the GoalState of port " + port.id +
                            " did not arrive (or could not be programmed) within " +
                            std::to_string(options_.ready_timeout.count()) + " ms");
  }
  Gateway g;
  std::string error;
  dataplane_.read([&](const NetworkState& s) {
    const Port& p = s.ports.at(port.id);
    const Subnet* subnet = p.fixed_ips.empty() ? nullptr : s.subnet(p.fixed_ips[0].subnet_id);
    if (!subnet) {
      error = "host gateway port " + port.id + " has no known subnet";
      return;
    }
    g.address = Ipv4Prefix(p.fixed_ips[0].ip, subnet->cidr.length());
  });
  if (!error.empty()) return unavailableError(error);
  std::vector<Ipv4Prefix> cidrs = cidrsOf(vpc_id);
  if (auto other = overlapping(vpc_id, cidrs)) {
    teardown(project, vpc_id, port.id, name);
    return refuse(vpc_id, *other, cidrs);
  }
  g.info = {vpc_id, true, project, port.id, name, g.address.toString(), cidrs, "", ""};
  g.ofport = ofport;
  g.mac = *MacAddress::parse(port.mac_address);  // checked by plug()
  const Ipv4Prefix connected(g.address.network(), g.address.length());
  for (const auto& c : cidrs) {
    if (Ipv4Prefix(c.network(), c.length()) == connected) continue;  // the address covers it
    g.routes.push_back(
        {netlink::IpPrefix(c), std::nullopt, netlink::IpAddress(g.address.address())});
  }
  RETURN_IF_ERROR(configureHost(g));
  enableForwarding();
  ALOG(Info, Main) << "host access to VPC " << vpc_id << " (" << joinPrefixes(cidrs) << ") through "
                   << name << " " << g.info.address << " (port " << port.id << ")";
  {
    std::lock_guard lock(mu_);
    active_[vpc_id] = std::move(g);
    refused_.erase(vpc_id);
  }
  applyNat();
  return okStatus();
}

StatusOr<PortRecord> HostGatewayManager::findOrCreatePort(const std::string& project,
                                                          const std::string& vpc_id,
                                                          const std::string& subnet_id) {
  ASSIGN_OR_RETURN(auto ports,
                   controller_.listPorts(project, options_.node_name, options_.node_name));
  for (const auto& p : ports) {
    if (p.device_owner == kHostGatewayOwner && p.network_id == vpc_id) return p;
  }
  PortRequest req;
  req.project = project;
  req.network_id = vpc_id;
  req.subnet_id = subnet_id;
  req.name = "host-gateway/" + options_.node_name;
  req.device_id = options_.node_name;
  req.device_owner = kHostGatewayOwner;
  req.host_id = options_.node_name;
  auto port = controller_.createPort(req);
  if (!port.ok()) return port.status().withContext("host gateway port for VPC " + vpc_id);
  return port;
}

StatusOr<std::string> HostGatewayManager::portNameFor(const std::string& vpc_id) {
  ASSIGN_OR_RETURN(auto ports, bridges_.listPorts(options_.bridge));
  std::set<std::string> taken;
  for (const auto& p : ports) {
    if (valueOr(p.external_ids, kHostGatewayVpcKey) == vpc_id) return p.name;
    taken.insert(p.name);
  }
  // The cluster VPC's name is kept for it (another VPC's gateway may hold it after the flag
  // changed: then it counts up like the others).
  if (vpc_id == options_.cluster_vpc && !taken.count(options_.port_name)) return options_.port_name;
  taken.insert(options_.port_name);
  const std::string stem = nameStem(options_.port_name);
  for (int i = 1; i < 1000; ++i) {
    std::string name = stem + std::to_string(i);
    if (!taken.count(name) && name.size() < 16) return name;
  }
  return resourceExhaustedError("no free host gateway port name after " + stem + "999");
}

StatusOr<uint32_t> HostGatewayManager::plug(const std::string& name, const std::string& project,
                                            const std::string& vpc_id, const PortRecord& port) {
  ASSIGN_OR_RETURN(MacAddress mac, MacAddress::parse(port.mac_address));
  const auto deadline = Clock::now() + options_.ready_timeout;
  ovsdb::PortSpec spec;
  spec.name = name;
  spec.type = "internal";
  spec.mtu_request = options_.mtu;
  spec.mac = mac.toString();  // kept by OVS when it recreates the device
  spec.external_ids = {{kHostGatewayVpcKey, vpc_id},
                       {kHostGatewayPortKey, port.id},
                       {kHostGatewayProjectKey, project}};
  RETURN_IF_ERROR(bridges_.addPorts(options_.bridge, {spec}));
  ASSIGN_OR_RETURN(auto ofports, bridges_.waitForOfports({name}, deadline));
  const int64_t ofport = ofports.count(name) ? ofports.at(name) : 0;
  if (ofport <= 0) return internalError("OVS could not attach " + name + " to " + options_.bridge);
  // vswitchd creates the device asynchronously.
  while (true) {
    ASSIGN_OR_RETURN(auto link, links_.getLink("", name));
    if (link) break;
    if (Clock::now() > deadline)
      return deadlineExceededError("interface " + name + " did not appear");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  netlink::LinkConfig config;
  config.ifname = name;
  config.mac = mac;
  config.mtu = options_.mtu;
  RETURN_IF_ERROR(links_.configureLink("", config));
  return static_cast<uint32_t>(ofport);
}

// The MAC too: a device OVS recreated may not have it yet, and the pods' frames to the
// gateway's MAC would not be taken by the node.
Status HostGatewayManager::configureHost(Gateway& g) {
  netlink::LinkConfig config;
  config.ifname = g.info.ovs_port;
  config.mac = g.mac;
  config.mtu = options_.mtu;
  config.addresses = {netlink::IpPrefix(g.address)};
  config.routes = g.routes;
  return links_.configureLink("", config);
}

namespace {

// The OVS port first (the node stops using the address), then the controller port.
Status removeGatewayPorts(ovsdb::BridgeClient& bridges, ControllerClient& controller,
                          const std::string& bridge, const std::string& ovs_port,
                          const std::string& project, const std::string& port_id) {
  Status s = bridges.deletePorts(bridge, {ovs_port});
  if (!s.ok()) return s.withContext("removing " + ovs_port);
  if (port_id.empty()) return okStatus();
  Status released = controller.deletePort(project, port_id);
  if (!released.ok() && released.code() != StatusCode::kNotFound) {
    return released.withContext("releasing host gateway port " + port_id);
  }
  return okStatus();
}

}  // namespace

void HostGatewayManager::teardown(const std::string& project, const std::string& vpc_id,
                                  const std::string& port_id, const std::string& ovs_port) {
  Status flows = dataplane_.update([&](NetworkState& s, ChangeSet& c) {
    if (s.host_gateways.erase(vpc_id)) c.host_gateways.insert(vpc_id);
  });
  if (!flows.ok()) ALOG(Warn, Main) << "removing host gateway flows of " << vpc_id << ": " << flows;
  if (Status s =
          removeGatewayPorts(bridges_, controller_, options_.bridge, ovs_port, project, port_id);
      !s.ok()) {
    ALOG(Warn, Main) << s.message();
  }
}

void HostGatewayManager::applyNat() {
  if (!nat_) return;
  std::vector<HostNetwork> networks;
  {
    std::lock_guard lock(mu_);
    for (const auto& [vpc, g] : active_) networks.push_back({g.info.ovs_port, g.info.cidrs});
  }
  Status s = nat_->apply(networks);
  std::lock_guard lock(mu_);
  nat_dirty_ = !s.ok();
  if (!s.ok()) ALOG(Error, Main) << "node NAT table (retried): " << s;
}

// The node routes between its gateways and the underlay (Services, egress). A node that
// forwards nothing yet is switched on once; the agent never switches it off (other software
// on the node may rely on it).
void HostGatewayManager::enableForwarding() {
  {
    std::lock_guard lock(mu_);
    if (forwarding_on_) return;
  }
  const std::string path = options_.proc_sys + "/net/ipv4/ip_forward";
  std::ofstream out(path);
  out << "1\n";
  out.flush();
  if (!out) {
    ALOG(Error, Main) << "cannot enable IPv4 forwarding (" << path << "): pods will not reach "
                      << "Services on other nodes or the outside";
    return;
  }
  std::lock_guard lock(mu_);
  forwarding_on_ = true;
}

Status HostGatewayManager::start() {
  ASSIGN_OR_RETURN(auto ports, bridges_.listPorts(options_.bridge));
  std::map<std::string, std::string> found;  // VPC -> project, the cluster VPC first
  for (const auto& p : ports) {
    std::string vpc = valueOr(p.external_ids, kHostGatewayVpcKey);
    if (!vpc.empty()) found[vpc] = valueOr(p.external_ids, kHostGatewayProjectKey);
  }
  Status first = okStatus();
  if (!options_.cluster_vpc.empty()) {
    first = ensure(options_.cluster_project, options_.cluster_vpc, "");
    found.erase(options_.cluster_vpc);
  }
  for (const auto& [vpc, project] : found) {
    if (Status s = ensure(project, vpc, ""); !s.ok()) {
      ALOG(Warn, Main) << "host gateway of VPC " << vpc << " after the restart: " << s;
    }
  }
  return first;
}

void HostGatewayManager::retry() {
  bool dirty;
  {
    std::lock_guard lock(mu_);
    dirty = nat_dirty_;
  }
  if (dirty) applyNat();
  // A gateway whose port the controller no longer pushes (deleted behind the agent's back) is
  // set up again from scratch.
  std::vector<std::pair<std::string, std::string>> lost;  // VPC, project
  {
    std::lock_guard setup(setup_mu_);
    std::set<std::string> known;
    dataplane_.read([&](const NetworkState& s) {
      for (const auto& [id, port] : s.ports) known.insert(id);
    });
    std::vector<Gateway> gone;
    {
      std::lock_guard lock(mu_);
      for (auto it = active_.begin(); it != active_.end();) {
        if (known.count(it->second.info.port_id)) {
          ++it;
          continue;
        }
        gone.push_back(std::move(it->second));
        it = active_.erase(it);
      }
    }
    for (const auto& g : gone) {
      ALOG(Warn, Main) << "host gateway port " << g.info.port_id << " of VPC " << g.info.vpc_id
                       << " is gone from the controller: setting host access up again";
      teardown(g.info.project, g.info.vpc_id, g.info.port_id, g.info.ovs_port);
      lost.emplace_back(g.info.vpc_id, g.info.project);
    }
  }
  if (!options_.cluster_vpc.empty() && !activeOrRefused(options_.cluster_vpc)) {
    lost.emplace_back(options_.cluster_vpc, options_.cluster_project);
  }
  for (const auto& [vpc, project] : lost) {
    if (Status s = ensure(project, vpc, ""); !s.ok()) {
      ALOG(Warn, Main) << "host access to VPC " << vpc << " (retried): " << s;
    }
  }
}

// Not under setup_mu_: it runs on the OpenFlow connection's reconnect, which a set-up waiting for
// its flows would otherwise block.
void HostGatewayManager::reapplyAddresses() {
  std::vector<Gateway> gateways;
  {
    std::lock_guard lock(mu_);
    for (const auto& [vpc, g] : active_) gateways.push_back(g);
  }
  for (auto& g : gateways) {
    if (Status s = configureHost(g); !s.ok()) {
      ALOG(Error, Main) << "host gateway " << g.info.ovs_port << " address: " << s;
    }
  }
}

void HostGatewayManager::releaseUnused() {
  std::lock_guard setup(setup_mu_);
  std::vector<std::string> candidates;
  {
    std::lock_guard lock(mu_);
    for (const auto& [vpc, g] : active_) {
      if (vpc != options_.cluster_vpc) candidates.push_back(vpc);
    }
  }
  for (const auto& vpc : candidates) {
    // Out of active_ first: an ADD that plugs a pod from now on sets the gateway up again
    // (after this release), and one that plugged before is seen below.
    Gateway g;
    {
      std::lock_guard lock(mu_);
      g = std::move(active_.at(vpc));
      active_.erase(vpc);
    }
    bool used = false;
    dataplane_.read([&](const NetworkState& s) {
      for (const auto& [id, port] : s.ports) {
        used = used || (port.vpc_id == vpc && s.portIsPlugged(id));
      }
    });
    if (used) {
      std::lock_guard lock(mu_);
      active_[vpc] = std::move(g);
      continue;
    }
    ALOG(Info, Main) << "VPC " << vpc << " has no pod on this node any more: removing its host "
                     << "gateway " << g.info.ovs_port;
    teardown(g.info.project, vpc, g.info.port_id, g.info.ovs_port);
    applyNat();
  }
}

std::vector<HostAccessInfo> HostGatewayManager::status() const {
  std::lock_guard lock(mu_);
  std::vector<HostAccessInfo> out;
  for (const auto& [vpc, g] : active_) out.push_back(g.info);
  for (const auto& [vpc, info] : refused_) out.push_back(info);
  return out;
}

uint64_t HostGatewayManager::refusals() const {
  std::lock_guard lock(mu_);
  return refusals_;
}

Status removeHostAccess(ovsdb::BridgeClient& bridges, ControllerClient& controller, NodeNat& nat,
                        const std::string& bridge, const std::string& default_project) {
  ASSIGN_OR_RETURN(auto ports, bridges.listPorts(bridge));
  for (const auto& p : ports) {
    if (valueOr(p.external_ids, kHostGatewayVpcKey).empty()) continue;
    std::string project = valueOr(p.external_ids, kHostGatewayProjectKey);
    RETURN_IF_ERROR(removeGatewayPorts(bridges, controller, bridge, p.name,
                                       project.empty() ? default_project : project,
                                       valueOr(p.external_ids, kHostGatewayPortKey)));
    ALOG(Info, Main) << "removed host gateway " << p.name;
  }
  return nat.remove();
}

}  // namespace alcor::agent
