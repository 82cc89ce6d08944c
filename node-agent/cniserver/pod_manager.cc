#include "node-agent/cniserver/pod_manager.h"

#include <filesystem>

#include "lib/base/logging.h"
#include "lib/netlink/netns.h"

namespace alcor::agent {
namespace {

using cni::CniError;
using cni::Command;
using cni::ErrorCode;
using Clock = std::chrono::steady_clock;

CniResponse failure(ErrorCode code, std::string message, std::string details = "") {
  CniResponse r;
  r.error = {code, std::move(message), std::move(details)};
  return r;
}

// How a controller failure surfaces to the runtime.
ErrorCode codeForController(const Status& st) {
  switch (st.code()) {
    case StatusCode::kUnavailable:
      return ErrorCode::kTryAgainLater;
    case StatusCode::kNotFound:
    case StatusCode::kInvalidArgument:
      return ErrorCode::kInvalidNetworkConfig;
    case StatusCode::kAlreadyExists:
    case StatusCode::kResourceExhausted:
      return ErrorCode::kIpamFailure;
    default:
      return ErrorCode::kControllerFailure;
  }
}

std::string logContext(const CniRequest& r) {
  return "[" + std::string(cni::commandName(r.command)) +
         " cid=" + r.env.container_id.substr(0, 12) + " if=" + r.env.ifname + "] ";
}

}  // namespace

std::string ovsPortNameFor(const std::string& port_id) {
  std::string compact;
  for (char c : port_id) {
    if (c != '-') compact.push_back(c);
  }
  return "tap" + compact.substr(0, 11);
}

PodManager::PodManager(PodManagerOptions options, ControllerClient& controller,
                       InterfacePlumber& plumber, Dataplane& dataplane, Readiness& readiness,
                       PendingReleases& pending, KubernetesClient* kube, HostAccess* host_access)
    : options_(std::move(options)),
      controller_(controller),
      plumber_(plumber),
      dataplane_(dataplane),
      readiness_(readiness),
      pending_(pending),
      kube_(kube),
      host_access_(host_access) {}

CniResponse PodManager::handle(const CniRequest& r) {
  auto config = cni::parseNetworkConfig(r.config);
  if (!config.ok()) return failure(config.error.code, config.error.message);
  if (auto err = cni::validateEnvironment(r.command, r.env); err.code != ErrorCode::kOk) {
    return failure(err.code, err.message);
  }
  auto started = Clock::now();
  CniResponse response;
  switch (r.command) {
    case Command::kAdd:
      response = add(r, *config.value);
      break;
    case Command::kDel:
      response = del(r, *config.value);
      break;
    case Command::kCheck:
      response = check(r, *config.value);
      break;
    case Command::kGc:
      response = gc(*config.value);
      break;
    case Command::kStatus:
      response = status();
      break;
    case Command::kVersion:
      response.result = cni::versionJson(config.value->cni_version);
      break;
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
  if (response.ok()) {
    if (r.command != Command::kStatus) {
      ALOG(Debug, CniServer) << logContext(r) << "done in " << ms << " ms";
    }
  } else {
    ALOG(Warn, CniServer) << logContext(r) << "failed in " << ms << " ms with code "
                          << static_cast<int>(response.error.code) << ": "
                          << response.error.message;
  }
  return response;
}

std::optional<LocalInterface> PodManager::findAttachment(const std::string& container_id,
                                                         const std::string& ifname) const {
  std::optional<LocalInterface> found;
  dataplane_.read([&](const NetworkState& s) {
    for (const auto& [id, iface] : s.interfaces) {
      if (iface.container_id == container_id && iface.ifname == ifname) found = iface;
    }
  });
  return found;
}

CniResponse PodManager::add(const CniRequest& r, const cni::NetworkConfig& config) {
  auto args = cni::parseCniArgs(r.env.args);
  if (!args.ok()) return failure(args.error.code, args.error.message);
  ContainerLockArbiter::Guard lock(locks_, r.env.container_id);
  if (!readiness_.wait(options_.ready_timeout)) {
    return failure(ErrorCode::kTryAgainLater, "alcor-agent is not ready: " + readiness_.reason());
  }
  if (auto existing = findAttachment(r.env.container_id, r.env.ifname)) {
    return failure(ErrorCode::kConfigInterfaceFailure,
                   "container " + r.env.container_id + " already has interface " + r.env.ifname +
                       " (port " + existing->port_id + "); DEL it first");
  }
  if (!std::filesystem::exists(r.env.netns)) {
    return failure(ErrorCode::kInvalidEnvironment, "CNI_NETNS " + r.env.netns + " does not exist");
  }
  if (!netlink::isNetworkNamespace(r.env.netns)) {
    return failure(
        ErrorCode::kInvalidEnvironment,
        "CNI_NETNS " + r.env.netns + " is not a network namespace in alcor-agent's mount namespace",
        "the runtime's namespace mount has not propagated to the agent: mount the "
        "host's /var/run/netns (or /run/netns) into the agent with mountPropagation "
        "HostToContainer");
  }

  auto choice = choosePodNetwork(
      config, *args.value,
      {options_.default_project, options_.default_vpc, options_.default_subnet}, kube_);
  if (!choice.ok()) return failure(choice.error.code, choice.error.message, choice.error.details);
  const cni::PodArgs& pod = *args.value;
  PortRequest req;
  req.project = choice.value->project;
  req.network_id = choice.value->vpc;
  req.subnet_id = choice.value->subnet;
  req.security_groups = choice.value->security_groups;
  req.ip_address = choice.value->ip;
  req.mac_address = choice.value->mac;
  req.name = pod.pod_name.empty() ? r.env.container_id.substr(0, 12)
                                  : pod.pod_namespace + "/" + pod.pod_name;
  req.device_id = pod.pod_uid.empty() ? r.env.container_id : pod.pod_uid;
  req.host_id = options_.node_name;

  auto port = controller_.createPort(req);
  if (!port.ok()) {
    const bool unreachable = port.status().code() == StatusCode::kUnavailable;
    return failure(
        codeForController(port.status()),
        unreachable ? "the controller is unreachable" : "the controller refused the port",
        port.status().message());
  }
  const PortRecord& rec = *port;
  auto mac = MacAddress::parse(rec.mac_address);
  if (!mac.ok()) {
    releasePort(req.project, rec.id);
    return failure(ErrorCode::kControllerFailure,
                   "controller gave port " + rec.id + " an invalid MAC " + rec.mac_address);
  }

  // From here on every failure undoes what was done.
  std::string ovs_port = ovsPortNameFor(rec.id);
  PlugRequest plug{ovs_port, r.env.netns, r.env.ifname, *mac, options_.pod_mtu, {}};
  plug.external_ids = {{ext_ids::kOwner, ext_ids::kOwnerValue},
                       {ext_ids::kPortId, rec.id},
                       {ext_ids::kProject, req.project},
                       {ext_ids::kContainerId, r.env.container_id},
                       {ext_ids::kIfname, r.env.ifname},
                       {ext_ids::kNetns, r.env.netns},
                       {ext_ids::kPodNamespace, pod.pod_namespace},
                       {ext_ids::kPodName, pod.pod_name},
                       {ext_ids::kMac, rec.mac_address},
                       {ext_ids::kIp, rec.fixed_ips.empty() ? "" : rec.fixed_ips[0].ip_address}};
  auto plugged = plumber_.plug(plug);
  if (!plugged.ok()) {
    releasePort(req.project, rec.id);
    return failure(ErrorCode::kConfigInterfaceFailure,
                   "cannot create the pod interface for port " + rec.id,
                   plugged.status().message());
  }
  LocalInterface iface{rec.id,       ovs_port,    plugged->ofport,   r.env.container_id,
                       r.env.ifname, r.env.netns, pod.pod_namespace, pod.pod_name,
                       req.project};
  auto undo = [&](ErrorCode code, const std::string& message, const std::string& details) {
    (void)detach(iface, req.project);
    return failure(code, message, details);
  };
  Status st = dataplane_.update([&](NetworkState& s, ChangeSet& c) {
    s.interfaces[rec.id] = iface;
    c.interfaces.insert(rec.id);
  });
  if (!st.ok()) ALOG(Warn, CniServer) << "programming " << rec.id << " will be retried: " << st;

  auto ready = dataplane_.waitForPorts({rec.id}, Clock::now() + options_.port_ready_timeout);
  if (!ready.count(rec.id)) {
    return undo(ErrorCode::kTryAgainLater,
                "the controller's GoalState for port " + rec.id +
                    " did not arrive (or could "
                    "not be programmed) within " +
                    std::to_string(options_.port_ready_timeout.count()) + " ms",
                "check that the controller reaches this agent's GoalState server; last "
                "programming status: " +
                    st.toString());
  }

  // The node's path to the pod (kubelet probes, hostPort DNAT) exists before ADD returns.
  if (host_access_) {
    Status access = host_access_->ensure(req.project, rec.network_id,
                                         rec.fixed_ips.empty() ? "" : rec.fixed_ips[0].subnet_id);
    if (access.code() == StatusCode::kFailedPrecondition) {
      ALOG(Warn, CniServer) << logContext(r) << "pod " << req.name
                            << " gets no host access: " << access.message();
    } else if (!access.ok()) {
      return undo(ErrorCode::kTryAgainLater,
                  "host access to VPC " + rec.network_id + " could not be set up",
                  access.message());
    }
  }

  // The GoalState brought the subnet: addressing comes from it.
  PodAddressing addressing{r.env.netns, r.env.ifname, {}, {}, {}, options_.pod_mtu};
  cni::Result result;
  result.cni_version = config.cni_version;
  std::string error;
  dataplane_.read([&](const NetworkState& s) {
    auto p = s.ports.find(rec.id);
    if (p == s.ports.end() || p->second.fixed_ips.empty()) {
      error = "port " + rec.id + " lost its GoalState";
      return;
    }
    const PortIp& ip = p->second.fixed_ips.front();
    const Subnet* subnet = s.subnet(ip.subnet_id);
    if (!subnet) {
      error = "subnet " + ip.subnet_id + " of port " + rec.id + " is unknown";
      return;
    }
    addressing.address = Ipv4Prefix(ip.ip, subnet->cidr.length());
    addressing.gateway = subnet->gateway_ip;
    addressing.routes = subnet->host_routes;
    if (config.mtu > 0) addressing.mtu = static_cast<int>(config.mtu);
    if (subnet->mtu > 0) addressing.mtu = std::min(addressing.mtu, subnet->mtu);
    result.interfaces.push_back({ovs_port, plugged->host_mac.toString(), 0, ""});
    result.interfaces.push_back(
        {r.env.ifname, p->second.mac.toString(), addressing.mtu, r.env.netns});
    result.ips.push_back({addressing.address.toString(),
                          subnet->gateway_ip.isUnspecified() ? "" : subnet->gateway_ip.toString(),
                          1});
    if (!subnet->gateway_ip.isUnspecified()) {
      result.routes.push_back({"0.0.0.0/0", subnet->gateway_ip.toString(), 0});
    }
    for (const auto& hr : subnet->host_routes) {
      result.routes.push_back({hr.destination.toString(), hr.next_hop.toString(), 0});
    }
    for (const auto& dns : subnet->dns_servers) result.dns.nameservers.push_back(dns.toString());
    result.dns.domain = subnet->domain_name;
  });
  if (!error.empty()) return undo(ErrorCode::kDataplaneFailure, error, "");
  if (Status cs = plumber_.configure(addressing); !cs.ok()) {
    return undo(ErrorCode::kConfigInterfaceFailure,
                "cannot configure " + r.env.ifname + " in " + r.env.netns, cs.message());
  }
  CniResponse ok;
  ok.result = cni::encodeResult(result, config.cni_version).dump() + "\n";
  ALOG(Info, CniServer) << logContext(r) << "pod " << req.name << " has port " << rec.id << " "
                        << addressing.address.toString() << " " << rec.mac_address << " on "
                        << ovs_port << " (ofport " << plugged->ofport << ")";
  return ok;
}

Status PodManager::detach(const LocalInterface& iface, const std::string& project) {
  // Flows first, so a recycled ofport never loses flows to a stale DEL (Antrea's order).
  Status flows = dataplane_.update([&](NetworkState& s, ChangeSet& c) {
    if (s.interfaces.erase(iface.port_id)) c.interfaces.insert(iface.port_id);
  });
  if (!flows.ok()) ALOG(Warn, CniServer) << "removing flows of " << iface.port_id << ": " << flows;
  Status unplugged = plumber_.unplug(iface.ovs_port, iface.netns, iface.ifname);
  releasePort(project.empty() ? options_.default_project : project, iface.port_id);
  return unplugged;
}

void PodManager::releasePort(const std::string& project, const std::string& port_id) {
  Status st = controller_.deletePort(project, port_id);
  if (st.ok() || st.code() == StatusCode::kNotFound) {
    pending_.remove(project, port_id);
    return;
  }
  ALOG(Warn, CniServer) << "controller delete of port " << port_id << " failed, will retry: " << st;
  pending_.add(project, port_id);
}

CniResponse PodManager::del(const CniRequest& r, const cni::NetworkConfig& config) {
  ContainerLockArbiter::Guard lock(locks_, r.env.container_id);
  auto iface = findAttachment(r.env.container_id, r.env.ifname);
  if (!iface) {
    // Nothing plugged here (never was, or already deleted): still release a controller port an
    // interrupted ADD may have left for this pod.
    auto args = cni::parseCniArgs(r.env.args);
    std::string project = config.project.empty() ? options_.default_project : config.project;
    if (args.ok() && !args.value->pod_uid.empty()) {
      auto ports = controller_.listPorts(project, args.value->pod_uid, options_.node_name);
      if (ports.ok()) {
        for (const auto& p : *ports) releasePort(project, p.id);
      }
    }
    return {};
  }
  Status st = detach(*iface, iface->project.empty() ? config.project : iface->project);
  if (!st.ok()) {
    return failure(ErrorCode::kIoFailure, "cannot remove the interface of port " + iface->port_id,
                   st.message());
  }
  return {};
}

CniResponse PodManager::check(const CniRequest& r, const cni::NetworkConfig& config) {
  ContainerLockArbiter::Guard lock(locks_, r.env.container_id);
  if (config.prev_result.is_null()) {
    return failure(ErrorCode::kInvalidNetworkConfig, "CHECK needs prevResult");
  }
  auto prev = cni::decodeResult(config.prev_result);
  if (!prev.ok()) return failure(prev.error.code, prev.error.message);
  auto iface = findAttachment(r.env.container_id, r.env.ifname);
  if (!iface) {
    return failure(ErrorCode::kCheckInterfaceFailure,
                   "container " + r.env.container_id + " has no interface " + r.env.ifname);
  }
  bool programmed = !dataplane_.waitForPorts({iface->port_id}, Clock::now()).empty();
  if (!programmed) {
    return failure(ErrorCode::kCheckInterfaceFailure,
                   "port " + iface->port_id + " has no installed flows");
  }
  auto live = plumber_.inspect(r.env.netns, r.env.ifname);
  if (!live.ok() || !live->exists) {
    return failure(ErrorCode::kCheckInterfaceFailure,
                   r.env.ifname + " is missing in " + r.env.netns,
                   live.ok() ? "" : live.status().message());
  }
  for (const auto& i : prev.value->interfaces) {
    if (i.name == r.env.ifname && !i.mac.empty() && i.mac != live->mac.toString()) {
      return failure(ErrorCode::kCheckInterfaceFailure,
                     r.env.ifname + " has MAC " + live->mac.toString() + ", expected " + i.mac);
    }
  }
  for (const auto& ip : prev.value->ips) {
    bool found = false;
    for (const auto& a : live->addresses) found |= a.toString() == ip.address;
    if (!found) {
      return failure(ErrorCode::kCheckInterfaceFailure,
                     r.env.ifname + " lacks address " + ip.address);
    }
  }
  return {};
}

CniResponse PodManager::gc(const cni::NetworkConfig& config) {
  ContainerLockArbiter::ExclusiveGuard lock(locks_);
  std::set<cni::Attachment> valid(config.valid_attachments.begin(), config.valid_attachments.end());
  std::vector<LocalInterface> stale;
  dataplane_.read([&](const NetworkState& s) {
    for (const auto& [id, iface] : s.interfaces) {
      if (!valid.count({iface.container_id, iface.ifname})) stale.push_back(iface);
    }
  });
  std::string errors;
  for (const auto& iface : stale) {
    ALOG(Info, CniServer) << "GC: removing attachment " << iface.container_id.substr(0, 12) << "/"
                          << iface.ifname << " (port " << iface.port_id << ")";
    if (Status st = detach(iface, iface.project); !st.ok()) errors += st.message() + "; ";
  }
  releasePending();
  if (!errors.empty())
    return failure(ErrorCode::kIoFailure, "GC could not remove everything", errors);
  return {};
}

CniResponse PodManager::status() {
  if (!readiness_.ready()) {
    return failure(ErrorCode::kPluginNotAvailable,
                   "alcor-agent is not ready: " + readiness_.reason());
  }
  if (Status st = controller_.ping(); !st.ok()) {
    return failure(ErrorCode::kPluginNotAvailable, "the controller is unreachable", st.message());
  }
  return {};
}

void PodManager::releasePending() {
  for (const auto& [project, port_id] : pending_.list()) {
    Status st = controller_.deletePort(project, port_id);
    if (st.ok() || st.code() == StatusCode::kNotFound) {
      pending_.remove(project, port_id);
      ALOG(Info, CniServer) << "released controller port " << port_id;
    }
  }
}

void PodManager::removeStrayVeths(const std::vector<Attachment>& attachments) {
  std::set<std::string> ovs_ports;
  for (const auto& a : attachments) ovs_ports.insert(a.ovs_port);
  auto removed = plumber_.removeStrayVeths(ovs_ports);
  if (!removed.ok()) {
    ALOG(Warn, CniServer) << "listing host veths: " << removed.status().message();
    return;
  }
  for (const auto& name : *removed) {
    ALOG(Info, CniServer) << "removed stray veth " << name << " (an ADD was cut short)";
  }
}

void PodManager::releaseOrphans() {
  ContainerLockArbiter::ExclusiveGuard pause(locks_);
  if (auto attachments = plumber_.listAttachments(); attachments.ok()) {
    removeStrayVeths(*attachments);
  }
  auto ports = controller_.listPorts(options_.default_project, "", options_.node_name);
  if (!ports.ok()) return;  // retried on the next pass
  std::set<std::string> attached;
  dataplane_.read([&](const NetworkState& s) {
    for (const auto& [id, iface] : s.interfaces) attached.insert(id);
  });
  for (const auto& port : *ports) {
    if (port.device_owner != "compute:kubernetes" || attached.count(port.id)) continue;
    Status st = controller_.deletePort(options_.default_project, port.id);
    if (st.ok() || st.code() == StatusCode::kNotFound) {
      ALOG(Info, CniServer) << "released orphaned controller port " << port.id << " (device "
                            << port.device_id << ")";
    }
  }
}

Status PodManager::reconcile() {
  ASSIGN_OR_RETURN(auto attachments, plumber_.listAttachments());
  std::vector<LocalInterface> keep;
  for (const auto& a : attachments) {
    auto get = [&](const char* key) {
      auto it = a.external_ids.find(key);
      return it == a.external_ids.end() ? std::string() : it->second;
    };
    LocalInterface iface{get(ext_ids::kPortId),
                         a.ovs_port,
                         a.ofport,
                         get(ext_ids::kContainerId),
                         get(ext_ids::kIfname),
                         get(ext_ids::kNetns),
                         get(ext_ids::kPodNamespace),
                         get(ext_ids::kPodName),
                         get(ext_ids::kProject)};
    bool broken = iface.port_id.empty() || a.ofport == 0 || !std::filesystem::exists(iface.netns);
    if (broken) {
      ALOG(Info, CniServer) << "reconcile: removing stale OVS port " << a.ovs_port
                            << (iface.port_id.empty() ? " (no port id)" : "")
                            << (a.ofport == 0 ? " (no ofport)" : " (namespace gone)");
      (void)plumber_.unplug(a.ovs_port, iface.netns, iface.ifname);
      if (!iface.port_id.empty()) releasePort(iface.project, iface.port_id);
      continue;
    }
    keep.push_back(iface);
  }
  RETURN_IF_ERROR(dataplane_.update([&](NetworkState& s, ChangeSet& c) {
    for (const auto& iface : keep) {
      s.interfaces[iface.port_id] = iface;
      c.interfaces.insert(iface.port_id);
    }
  }));
  removeStrayVeths(attachments);
  ALOG(Info, CniServer) << "reconcile: " << keep.size() << " attachments kept, "
                        << attachments.size() - keep.size() << " removed";
  return okStatus();
}

}  // namespace alcor::agent
