// The SecurityPolicyWriter over the controller's services (docs/controller.md, "Internal API"):
// listGroups -> securityPolicy().groupsWithPrefix, listPodPorts -> portsOfOwner, apply ->
// securityPolicy().apply; PortService's policy hooks tell the component about pod ports, and
// SecurityGroupService keeps REST off the groups it owns.

#include "controller/netpol/policy_writer.h"
#include "controller/netpol/translator.h"
#include "controller/service/controller_services.h"

namespace alcor::controller::netpol {
namespace {

constexpr const char* kPodPortOwner = "compute:kubernetes";  // alcor-agent's pod ports

std::vector<std::string> texts(const std::vector<ResourceId>& ids) {
  std::vector<std::string> out;
  out.reserve(ids.size());
  for (const auto& id : ids) out.push_back(id.str());
  return out;
}

StatusOr<std::vector<ResourceId>> idsOf(const std::vector<std::string>& texts) {
  std::vector<ResourceId> out;
  out.reserve(texts.size());
  for (const auto& t : texts) {
    ASSIGN_OR_RETURN(auto id, ResourceId::parse(t));
    out.push_back(std::move(id));
  }
  return out;
}

StatusOr<PolicyMembership> membershipOf(const PortPolicyGroups& groups) {
  PolicyMembership m;
  ASSIGN_OR_RETURN(m.filter, idsOf(groups.filter));
  ASSIGN_OR_RETURN(m.address, idsOf(groups.address));
  return m;
}

class ServicesWriter : public SecurityPolicyWriter {
 public:
  explicit ServicesWriter(ControllerServices& services) : services_(services) {
    services_.securityGroups().setManagedPrefix(kGroupIdPrefix);
    PolicyPortHooks hooks;
    hooks.owner = kPodPortOwner;
    hooks.groups_for_new_port = [this](const std::string& device_id,
                                       bool has_own) -> std::optional<PolicyMembership> {
      auto groups = callbacks_.groupsForNewPort(device_id, has_own);
      if (!groups) return std::nullopt;
      auto m = membershipOf(*groups);
      if (!m.ok()) return std::nullopt;
      return *m;
    };
    hooks.ports_changed = [this] { callbacks_.notify(); };
    services_.ports().setPolicyHooks(std::move(hooks));
  }
  ~ServicesWriter() override {
    services_.ports().setPolicyHooks({});
    services_.securityGroups().setManagedPrefix("");
  }

  std::vector<SecurityGroup> listGroups(const std::string& prefix) const override {
    return services_.securityPolicy().groupsWithPrefix(prefix);
  }

  std::vector<PodPort> listPodPorts() const override {
    std::vector<PodPort> out;
    for (const auto& p : services_.securityPolicy().portsOfOwner(kPodPortOwner)) {
      out.push_back({p.id.str(),
                     p.device_id,
                     !p.security_groups.empty(),
                     {texts(p.policy_security_groups), texts(p.policy_address_groups)}});
    }
    return out;
  }

  Status apply(const SecurityPolicyChange& change) override {
    controller::SecurityPolicyChange c;
    c.put = change.put;
    for (const auto& [port, groups] : change.ports) {
      ASSIGN_OR_RETURN(auto id, ResourceId::parse(port));
      ASSIGN_OR_RETURN(c.policy_ports[id], membershipOf(groups));
    }
    ASSIGN_OR_RETURN(c.remove, idsOf(change.remove));
    return services_.securityPolicy().apply(c);
  }

  void setPortObserver(std::function<void()> observer) override {
    callbacks_.setObserver(std::move(observer));
  }
  void setGroupsForNewPort(GroupsForNewPort source) override {
    callbacks_.setSource(std::move(source));
  }

 private:
  ControllerServices& services_;
  PortCallbacks callbacks_;
};

}  // namespace

std::unique_ptr<SecurityPolicyWriter> servicesWriter(ControllerServices& services) {
  return std::make_unique<ServicesWriter>(services);
}

}  // namespace alcor::controller::netpol
