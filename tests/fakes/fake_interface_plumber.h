#pragma once

// InterfacePlumber fake: records plugged ports in memory; any step can be made to fail.

#include <map>
#include <mutex>

#include "node-agent/cniserver/interface_plumber.h"

namespace alcor::agent {

class FakeInterfacePlumber : public InterfacePlumber {
 public:
  StatusOr<PlugResult> plug(const PlugRequest& r) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!plug_error_.ok()) return plug_error_;
    if (ports_.count(r.ovs_port)) return alreadyExistsError("port " + r.ovs_port + " exists");
    Attachment a{r.ovs_port, next_ofport_++, r.external_ids};
    ports_[r.ovs_port] = a;
    requests_[r.ovs_port] = r;
    return PlugResult{a.ofport, MacAddress::fromUint64(0x0200000000ULL + a.ofport)};
  }
  Status configure(const PodAddressing& a) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!configure_error_.ok()) return configure_error_;
    addressing_[a.netns + "/" + a.ifname] = a;
    return okStatus();
  }
  Status unplug(const std::string& ovs_port, const std::string&, const std::string&) override {
    std::lock_guard<std::mutex> lock(mu_);
    ports_.erase(ovs_port);
    ++unplugs_;
    return okStatus();
  }
  StatusOr<std::vector<Attachment>> listAttachments() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Attachment> out;
    for (const auto& [name, a] : ports_) out.push_back(a);
    return out;
  }
  StatusOr<std::vector<std::string>> removeStrayVeths(
      const std::set<std::string>& ovs_ports) override {
    std::vector<std::string> removed;
    for (const auto& name : stray_veths) {
      if (!ovs_ports.count(name)) removed.push_back(name);
    }
    stray_veths.clear();
    return removed;
  }
  std::vector<std::string> stray_veths;  // host veths without an OVS port (test input)

  StatusOr<PodInterfaceInfo> inspect(const std::string& netns, const std::string& ifname) override {
    std::lock_guard<std::mutex> lock(mu_);
    PodInterfaceInfo info;
    auto it = addressing_.find(netns + "/" + ifname);
    if (it == addressing_.end()) return info;
    info.exists = true;
    info.addresses = {it->second.address};
    info.mtu = it->second.mtu;
    for (const auto& [name, r] : requests_) {
      if (r.netns == netns && r.ifname == ifname) info.mac = r.mac;
    }
    return info;
  }

  void failPlug(Status st) { plug_error_ = std::move(st); }
  void failConfigure(Status st) { configure_error_ = std::move(st); }
  void addExisting(Attachment a) { ports_[a.ovs_port] = std::move(a); }
  size_t portCount() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ports_.size();
  }
  int unplugs() const { return unplugs_; }
  std::map<std::string, PodAddressing> addressing() const {
    std::lock_guard<std::mutex> lock(mu_);
    return addressing_;
  }

 private:
  mutable std::mutex mu_;
  Status plug_error_, configure_error_;
  uint32_t next_ofport_ = 1;
  std::map<std::string, Attachment> ports_;
  std::map<std::string, PlugRequest> requests_;
  std::map<std::string, PodAddressing> addressing_;
  int unplugs_ = 0;
};

}  // namespace alcor::agent
