#pragma once

// ControllerClient fake: an in-memory port table with failure injection and a hook that runs
// after a port is created (tests use it to deliver the port's GoalState, as the DPM would).

#include <functional>
#include <map>
#include <mutex>

#include "node-agent/controller_client/controller_client.h"

namespace alcor::agent {

class FakeControllerClient : public ControllerClient {
 public:
  StatusOr<NodeRegistration> registerNode(const NodeRegistration& node) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!down_.ok()) return down_;
    NodeRegistration out = node;
    if (out.host_dvr_mac.empty()) out.host_dvr_mac = "fe:16:11:00:00:01";
    nodes_[node.node_id] = out;
    return out;
  }

  StatusOr<PortRecord> createPort(const PortRequest& r) override {
    PortRecord rec;
    std::function<void(const PortRecord&)> hook;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!down_.ok()) return down_;
      if (!create_error_.ok()) return create_error_;
      ++next_;
      rec.id = "port-" + std::to_string(next_);
      rec.project_id = r.project;
      rec.network_id = r.network_id;
      rec.name = r.name;
      rec.mac_address = r.mac_address.empty() ? "fa:16:3e:00:00:" + hex(next_) : r.mac_address;
      rec.fixed_ips = {
          {r.subnet_id.empty() ? "subnet-1" : r.subnet_id,
           r.ip_address.empty() ? "10.0.1." + std::to_string(10 + next_) : r.ip_address}};
      rec.device_id = r.device_id;
      rec.device_owner = r.device_owner;
      rec.host_id = r.host_id;
      ports_[rec.id] = rec;
      requests_.push_back(r);
      hook = on_create_;
    }
    if (hook) hook(rec);
    return rec;
  }

  Status deletePort(const std::string&, const std::string& port_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!down_.ok()) return down_;
    deleted_.push_back(port_id);
    return ports_.erase(port_id) ? okStatus() : notFoundError("no port " + port_id);
  }

  StatusOr<std::vector<PortRecord>> listPorts(const std::string&, const std::string& device_id,
                                              const std::string& host_id) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!down_.ok()) return down_;
    std::vector<PortRecord> out;
    for (const auto& [id, p] : ports_) {
      if ((device_id.empty() || p.device_id == device_id) &&
          (host_id.empty() || p.host_id == host_id)) {
        out.push_back(p);
      }
    }
    return out;
  }

  Status ping() override {
    std::lock_guard<std::mutex> lock(mu_);
    return down_;
  }

  // Signs with `signer` (set by the test), else answers as a controller without a CA.
  StatusOr<std::string> requestCertificate(const std::string& node_name,
                                           const std::string& csr_pem) override {
    std::function<StatusOr<std::string>(const std::string&, const std::string&)> signer;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!down_.ok()) return down_;
      signer = signer_;
    }
    if (!signer) return unimplementedError("this controller has no CA key to issue with");
    return signer(node_name, csr_pem);
  }
  void setSigner(std::function<StatusOr<std::string>(const std::string&, const std::string&)> s) {
    std::lock_guard<std::mutex> lock(mu_);
    signer_ = std::move(s);
  }

  void setDown(bool down) {
    std::lock_guard<std::mutex> lock(mu_);
    down_ = down ? unavailableError("controller unreachable (connection refused)") : okStatus();
  }
  void failCreates(Status st) {
    std::lock_guard<std::mutex> lock(mu_);
    create_error_ = std::move(st);
  }
  void onCreate(std::function<void(const PortRecord&)> hook) {
    std::lock_guard<std::mutex> lock(mu_);
    on_create_ = std::move(hook);
  }
  std::map<std::string, PortRecord> ports() const {
    std::lock_guard<std::mutex> lock(mu_);
    return ports_;
  }
  std::vector<PortRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  std::vector<std::string> deleted() const {
    std::lock_guard<std::mutex> lock(mu_);
    return deleted_;
  }

 private:
  static std::string hex(int v) {
    char b[3];
    std::snprintf(b, sizeof(b), "%02x", v & 0xff);
    return b;
  }
  mutable std::mutex mu_;
  Status down_;
  Status create_error_;
  int next_ = 0;
  std::map<std::string, NodeRegistration> nodes_;
  std::map<std::string, PortRecord> ports_;
  std::vector<PortRequest> requests_;
  std::vector<std::string> deleted_;
  std::function<void(const PortRecord&)> on_create_;
  std::function<StatusOr<std::string>(const std::string&, const std::string&)> signer_;
};

}  // namespace alcor::agent
