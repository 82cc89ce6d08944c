#include "lib/ovsdb/fake_bridge_client.h"

#include <algorithm>
#include <set>

namespace alcor::ovsdb {

Status FakeBridgeClient::enter(const std::string& method) {
  ++calls_[method];
  auto it = failures_.find(method);
  if (it == failures_.end() || it->second.empty()) return okStatus();
  Status s = it->second.front();
  it->second.erase(it->second.begin());
  return s;
}

const FakeBridgeClient::FakePort* FakeBridgeClient::findPortLocked(const std::string& name) const {
  for (const auto& [bname, b] : bridges_) {
    auto it = b.ports.find(name);
    if (it != b.ports.end()) return &it->second;
  }
  return nullptr;
}

Status FakeBridgeClient::ensureBridge(const BridgeSpec& spec) {
  std::lock_guard<std::mutex> l(mu_);
  RETURN_IF_ERROR(enter("ensureBridge"));
  if (spec.name.empty()) return invalidArgumentError("ensureBridge: empty bridge name");
  auto it = bridges_.find(spec.name);
  if (it == bridges_.end()) {
    FakeBridge b;
    b.spec = spec;
    FakePort local;
    local.spec.name = spec.name;
    local.spec.type = "internal";
    local.ofport = 65534;  // OFPP_LOCAL
    local.uuid = "fake-port-" + std::to_string(next_uuid_++);
    b.ports[spec.name] = local;
    bridges_[spec.name] = std::move(b);
  } else {
    BridgeSpec& cur = it->second.spec;
    cur.datapath_type = spec.datapath_type;
    cur.fail_mode = spec.fail_mode;
    cur.protocols = spec.protocols;
    for (const auto& [k, v] : spec.other_config) cur.other_config[k] = v;
    for (const auto& [k, v] : spec.external_ids) cur.external_ids[k] = v;
  }
  changed_.notify_all();
  return okStatus();
}

Status FakeBridgeClient::addPorts(const std::string& bridge, const std::vector<PortSpec>& ports) {
  std::lock_guard<std::mutex> l(mu_);
  RETURN_IF_ERROR(enter("addPorts"));
  auto bit = bridges_.find(bridge);
  if (bit == bridges_.end()) return notFoundError("addPorts: no bridge " + bridge);
  FakeBridge& b = bit->second;
  std::set<std::string> names;
  std::set<int64_t> used;
  for (const auto& [n, p] : b.ports) used.insert(p.ofport);
  // Validate everything first: the real call is one transaction, all or nothing.
  for (const auto& spec : ports) {
    if (spec.name.empty()) return invalidArgumentError("addPorts: a port has no name");
    if (!names.insert(spec.name).second) {
      return invalidArgumentError("addPorts: port " + spec.name + " given twice");
    }
    const FakePort* other = findPortLocked(spec.name);
    if (other && !b.ports.count(spec.name)) {
      return failedPreconditionError("addPorts: " + spec.name + " already exists outside bridge " +
                                     bridge);
    }
    if (spec.ofport_request && !b.ports.count(spec.name) && used.count(*spec.ofport_request)) {
      return failedPreconditionError("addPorts: ofport_request " +
                                     std::to_string(*spec.ofport_request) + " is taken");
    }
  }
  for (const auto& spec : ports) {
    auto existing = b.ports.find(spec.name);
    if (existing != b.ports.end()) {
      existing->second.spec = spec;
      continue;
    }
    FakePort p;
    p.spec = spec;
    p.uuid = "fake-port-" + std::to_string(next_uuid_++);
    auto err = port_errors_.find(spec.name);
    if (err != port_errors_.end()) {
      p.ofport = -1;
      p.error = err->second;
    } else if (spec.ofport_request) {
      p.ofport = *spec.ofport_request;
    } else {
      int64_t n = 1;
      while (used.count(n)) ++n;
      p.ofport = n;
    }
    used.insert(p.ofport);
    b.ports[spec.name] = std::move(p);
  }
  changed_.notify_all();
  return okStatus();
}

Status FakeBridgeClient::deletePorts(const std::string& bridge,
                                     const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> l(mu_);
  RETURN_IF_ERROR(enter("deletePorts"));
  auto bit = bridges_.find(bridge);
  if (bit == bridges_.end()) return okStatus();
  for (const auto& n : names) bit->second.ports.erase(n);
  changed_.notify_all();
  return okStatus();
}

StatusOr<std::vector<PortInfo>> FakeBridgeClient::listPorts(
    const std::string& bridge, const std::map<std::string, std::string>& external_ids_filter) {
  std::lock_guard<std::mutex> l(mu_);
  RETURN_IF_ERROR(enter("listPorts"));
  auto bit = bridges_.find(bridge);
  if (bit == bridges_.end()) return notFoundError("listPorts: no bridge " + bridge);
  std::vector<PortInfo> out;
  for (const auto& [name, p] : bit->second.ports) {
    const auto& ids = p.spec.external_ids;  // clang 14 cannot capture structured bindings
    bool match =
        std::all_of(external_ids_filter.begin(), external_ids_filter.end(), [&](const auto& kv) {
          auto it = ids.find(kv.first);
          return it != ids.end() && it->second == kv.second;
        });
    if (!match) continue;
    PortInfo info;
    info.name = name;
    info.type = p.spec.type;
    info.port_uuid = p.uuid;
    info.interface_uuid = p.uuid + "-if";
    info.options = p.spec.options;
    info.external_ids = p.spec.external_ids;
    info.ofport = p.ofport;
    info.error = p.error;
    out.push_back(std::move(info));
  }
  return out;
}

StatusOr<std::map<std::string, int64_t>> FakeBridgeClient::waitForOfports(
    const std::vector<std::string>& names, std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> l(mu_);
  RETURN_IF_ERROR(enter("waitForOfports"));
  while (true) {
    std::map<std::string, int64_t> found;
    std::vector<std::string> missing;
    for (const auto& n : names) {
      const FakePort* p = findPortLocked(n);
      if (!p) {
        missing.push_back(n);
        continue;
      }
      if (p->ofport < 0) {
        return failedPreconditionError("interface " + n + " has no ofport: " + p->error);
      }
      found[n] = p->ofport;
    }
    if (missing.empty()) return found;
    if (changed_.wait_until(l, deadline) == std::cv_status::timeout) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      return deadlineExceededError("no ofport yet for " + list);
    }
  }
}

Status FakeBridgeClient::waitApplied(std::chrono::steady_clock::time_point) {
  std::lock_guard<std::mutex> l(mu_);
  return enter("waitApplied");
}

Status FakeBridgeClient::setFlowRestoreWait(bool on) {
  std::lock_guard<std::mutex> l(mu_);
  RETURN_IF_ERROR(enter("setFlowRestoreWait"));
  flow_restore_wait_ = on;
  return okStatus();
}

StatusOr<bool> FakeBridgeClient::bridgeExists(const std::string& bridge) {
  std::lock_guard<std::mutex> l(mu_);
  RETURN_IF_ERROR(enter("bridgeExists"));
  return bridges_.count(bridge) > 0;
}

Status FakeBridgeClient::deleteBridge(const std::string& bridge) {
  std::lock_guard<std::mutex> l(mu_);
  RETURN_IF_ERROR(enter("deleteBridge"));
  bridges_.erase(bridge);
  changed_.notify_all();
  return okStatus();
}

void FakeBridgeClient::injectFailure(const std::string& method, Status status, int times) {
  std::lock_guard<std::mutex> l(mu_);
  for (int i = 0; i < times; ++i) failures_[method].push_back(status);
}

void FakeBridgeClient::failPortCreation(const std::string& port_name, const std::string& error) {
  std::lock_guard<std::mutex> l(mu_);
  port_errors_[port_name] = error;
}

std::vector<std::string> FakeBridgeClient::bridgeNames() const {
  std::lock_guard<std::mutex> l(mu_);
  std::vector<std::string> out;
  for (const auto& [name, b] : bridges_) out.push_back(name);
  return out;
}

std::optional<BridgeSpec> FakeBridgeClient::bridge(const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = bridges_.find(name);
  if (it == bridges_.end()) return std::nullopt;
  return it->second.spec;
}

std::optional<PortSpec> FakeBridgeClient::port(const std::string& bridge,
                                               const std::string& name) const {
  std::lock_guard<std::mutex> l(mu_);
  auto bit = bridges_.find(bridge);
  if (bit == bridges_.end()) return std::nullopt;
  auto it = bit->second.ports.find(name);
  if (it == bit->second.ports.end()) return std::nullopt;
  return it->second.spec;
}

bool FakeBridgeClient::flowRestoreWait() const {
  std::lock_guard<std::mutex> l(mu_);
  return flow_restore_wait_;
}

int FakeBridgeClient::callCount(const std::string& method) const {
  std::lock_guard<std::mutex> l(mu_);
  auto it = calls_.find(method);
  return it == calls_.end() ? 0 : it->second;
}

}  // namespace alcor::ovsdb
