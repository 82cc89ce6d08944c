// The SecurityPolicyWriter over today's NetworkService: the one place the policy component
// touches the controller's resource code (re-point it here when the services change).

#include "controller/netpol/policy_writer.h"
#include "controller/netpol/translator.h"
#include "controller/service/network_service.h"

namespace alcor::controller::netpol {
namespace {

constexpr const char* kPodPortOwner = "compute:kubernetes";  // alcor-agent's pod ports

class NetworkServiceWriter : public SecurityPolicyWriter {
 public:
  explicit NetworkServiceWriter(NetworkService& service) : service_(service) {
    service_.setPolicyHooks(
        kGroupIdPrefix, kPodPortOwner,
        [this](const std::string& device_id, bool has_own) -> std::optional<PolicyMembership> {
          GroupsForNewPort source;
          {
            std::lock_guard lock(mu_);
            source = new_port_;
          }
          if (!source) return std::nullopt;
          auto groups = source(device_id, has_own);
          if (!groups) return std::nullopt;
          return PolicyMembership{groups->filter, groups->address};
        },
        [this] {
          std::function<void()> observer;
          {
            std::lock_guard lock(mu_);
            observer = observer_;
          }
          if (observer) observer();
        });
  }
  ~NetworkServiceWriter() override { service_.setPolicyHooks("", "", nullptr, nullptr); }

  std::vector<SecurityGroup> listGroups(const std::string& prefix) const override {
    return service_.listSecurityGroupsWithPrefix(prefix);
  }

  std::vector<PodPort> listPodPorts() const override {
    std::vector<PodPort> out;
    for (const auto& p : service_.listPortsOfOwner(kPodPortOwner)) {
      out.push_back({p.id,
                     p.device_id,
                     !p.security_groups.empty(),
                     {p.policy_security_groups, p.policy_address_groups}});
    }
    return out;
  }

  Status apply(const SecurityPolicyChange& change) override {
    PolicyGroupsUpdate u{change.put, {}, change.remove};
    for (const auto& [id, groups] : change.ports) {
      u.ports[id] = PolicyMembership{groups.filter, groups.address};
    }
    return service_.applyPolicyGroups(u);
  }

  void setPortObserver(std::function<void()> observer) override {
    std::lock_guard lock(mu_);
    observer_ = std::move(observer);
  }

  void setGroupsForNewPort(GroupsForNewPort source) override {
    std::lock_guard lock(mu_);
    new_port_ = std::move(source);
  }

 private:
  NetworkService& service_;
  std::mutex mu_;
  std::function<void()> observer_;
  GroupsForNewPort new_port_;
};

}  // namespace

std::unique_ptr<SecurityPolicyWriter> networkServiceWriter(NetworkService& service) {
  return std::make_unique<NetworkServiceWriter>(service);
}

}  // namespace alcor::controller::netpol
