#include "controller/service/controller_services.h"

#include "lib/base/logging.h"

namespace alcor::controller {

ControllerServices::ControllerServices(Store& store, GoalStateSink& sink, ServiceOptions options)
    : sink_(sink),
      store_(store, options.agent_port),
      dpm_(store_, sink),
      nodes_(store_, dpm_, sink),
      vpcs_(store_, dpm_),
      subnets_(store_, dpm_),
      ports_(store_, dpm_),
      groups_(store_, dpm_),
      policy_(store_, dpm_, groups_),
      routers_(store_, dpm_),
      gateways_(store_, dpm_) {}

StatusOr<std::unique_ptr<ControllerServices>> ControllerServices::create(Store& store,
                                                                         GoalStateSink& sink,
                                                                         ServiceOptions options) {
  std::unique_ptr<ControllerServices> s(new ControllerServices(store, sink, options));
  auto lock = s->store_.lock();
  ASSIGN_OR_RETURN(auto placements, s->store_.load());
  s->dpm_.load(placements);
  s->nodes_.announceAddressesLocked();
  // Ports that never reached ACTIVE on a known host are pushed again; the others are not.
  std::set<std::string> unfinished_hosts;
  for (const auto& pl : placements) {
    if (pl.port.status != PortStatus::kActive) unfinished_hosts.insert(pl.host_ip);
  }
  for (const auto& host : unfinished_hosts) sink.requestResync(host);
  return s;
}

Status ControllerServices::bootstrap(const std::string& project, const std::string& vpc_spec,
                                     const std::string& subnet_spec) {
  struct Spec {
    ResourceId id;
    Ipv4Prefix cidr;
  };
  auto parse = [](const std::string& spec, const char* what) -> StatusOr<Spec> {
    auto colon = spec.find(':');
    auto id = ResourceId::parse(spec.substr(0, colon));
    auto cidr = colon == std::string::npos ? StatusOr<Ipv4Prefix>(invalidArgumentError(""))
                                           : Ipv4Prefix::parse(spec.substr(colon + 1), true);
    if (!id.ok() || !cidr.ok()) {
      return invalidArgumentError(std::string(what) + " \"" + spec + "\" is not ID:CIDR");
    }
    return Spec{*id, *cidr};
  };
  ResourceId vpc_id;
  if (!vpc_spec.empty()) {
    ASSIGN_OR_RETURN(Spec v, parse(vpc_spec, "--bootstrap-vpc"));
    vpc_id = v.id;
    if (!vpcs_.get("", vpc_id).ok()) {
      Vpc vpc;
      vpc.id = v.id;
      vpc.project_id = project;
      vpc.name = v.id.str();
      vpc.cidr = v.cidr;
      RETURN_IF_ERROR(vpcs_.create(vpc).status());
      ALOG(Info, Main) << "bootstrap: created VPC " << vpc_id.str() << " " << v.cidr.toString();
    }
  }
  if (!subnet_spec.empty()) {
    if (vpc_id.empty()) return invalidArgumentError("--bootstrap-subnet needs --bootstrap-vpc");
    ASSIGN_OR_RETURN(Spec s, parse(subnet_spec, "--bootstrap-subnet"));
    if (s.cidr.length() > 30) {
      return invalidArgumentError("--bootstrap-subnet " + s.cidr.toString() + " is too small");
    }
    if (!subnets_.get("", s.id).ok()) {
      Subnet subnet;
      subnet.id = s.id;
      subnet.project_id = project;
      subnet.name = s.id.str();
      subnet.network_id = vpc_id;
      subnet.cidr = s.cidr;
      RETURN_IF_ERROR(subnets_.create(subnet).status());
      ALOG(Info, Main) << "bootstrap: created subnet " << s.id.str() << " " << s.cidr.toString();
    }
  }
  return okStatus();
}

std::vector<StatePtr> ControllerServices::fullState(const std::string& host_ip) {
  auto lock = store_.lock();
  return dpm_.fullState(host_ip);
}

bool ControllerServices::hostInSubnetLocked(const std::string& host_ip,
                                            const std::string& subnet_id) const {
  auto id = ResourceId::parse(subnet_id);
  return id.ok() && dpm_.cache().count(host_ip, *id) > 0;
}

std::optional<std::vector<StatePtr>> ControllerServices::onDemandState(const std::string& host_ip,
                                                                       uint32_t vni,
                                                                       Ipv4Address destination_ip) {
  auto lock = store_.lock();
  return dpm_.onDemandState(host_ip, vni, destination_ip);
}

std::set<std::string> ControllerServices::onDemandHostsOf(const ResourceId& port_id) const {
  auto lock = store_.lock();
  return dpm_.onDemandHostsOf(port_id);
}

ControllerServices::Counts ControllerServices::counts() const {
  auto lock = store_.lock();
  size_t active = 0;
  for (const auto& [id, p] : store_.ports().all()) active += p.status == PortStatus::kActive;
  return {store_.nodes().size(),
          store_.vpcs().size(),
          store_.subnets().size(),
          store_.ports().size(),
          active,
          store_.groups().size(),
          store_.routers().size(),
          store_.gateways().size()};
}

}  // namespace alcor::controller
