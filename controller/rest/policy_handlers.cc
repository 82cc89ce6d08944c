// REST: security groups and rules, routers (with add/remove_router_interface), gateways.

#include "controller/rest/http_util.h"

namespace alcor::controller::rest {
namespace {

json interfaceJson(const RouterInterface& i, const std::string& router_id,
                   const std::string& project) {
  return {{"id", router_id},       {"subnet_id", i.subnet_id}, {"port_id", i.port_id},
          {"project_id", project}, {"tenant_id", project},     {"subnet_ids", {i.subnet_id}}};
}

void registerRouterInterfaces(httplib::Server& server, NetworkService& svc) {
  for (bool add : {true, false}) {
    std::string path = route(std::string("/project/([^/]+)/routers/([^/]+)/") +
                             (add ? "add_router_interface" : "remove_router_interface"));
    auto handler = [&svc, add](const httplib::Request& req, httplib::Response& res) {
      std::string project = req.matches[1], router = req.matches[2];
      auto doc = parseJson(req.body, "request body");
      if (!doc.ok()) return replyError(res, doc.status());
      if (!doc->is_object() || !(*doc)["subnet_id"].is_string()) {
        return replyError(res, invalidArgumentError("request body needs a \"subnet_id\" string"));
      }
      std::string subnet = (*doc)["subnet_id"];
      auto iface = add ? svc.addRouterInterface(project, router, subnet)
                       : svc.removeRouterInterface(project, router, subnet);
      if (!iface.ok()) return replyError(res, iface.status());
      replyJson(res, 200, interfaceJson(*iface, router, project));
    };
    server.Put(path, handler);
    server.Post(path, handler);
  }
}

}  // namespace

void registerPolicyHandlers(httplib::Server& server, NetworkService& svc) {
  registerCrud<SecurityGroup>(
      server,
      {.collection = "security-groups",
       .key = "security_group",
       .list_key = "security_groups",
       .parse = securityGroupFromJson,
       .create = [&svc](SecurityGroup g) { return svc.createSecurityGroup(std::move(g)); },
       .get = [&svc](const std::string& p,
                     const std::string& id) { return svc.getSecurityGroup(p, id); },
       .list = [&svc](const std::string& p,
                      const httplib::Request&) { return svc.listSecurityGroups(p); },
       .update = [&svc](const std::string& p, const std::string& id,
                        SecurityGroup g) { return svc.updateSecurityGroup(p, id, std::move(g)); },
       .remove = [&svc](const std::string& p,
                        const std::string& id) { return svc.deleteSecurityGroup(p, id); },
       .create_all = nullptr});

  registerCrud<SecurityGroupRule>(
      server,
      {.collection = "security-group-rules",
       .key = "security_group_rule",
       .list_key = "security_group_rules",
       .parse = ruleFromJson,
       .create = [&svc](SecurityGroupRule r) { return svc.createRule(std::move(r)); },
       .get = [&svc](const std::string& p, const std::string& id) { return svc.getRule(p, id); },
       .list = [&svc](const std::string& p, const httplib::Request&) { return svc.listRules(p); },
       .update = [](const std::string&, const std::string&,
                    SecurityGroupRule) -> StatusOr<SecurityGroupRule> {
         return invalidArgumentError(
             "security group rules cannot be updated; delete and "
             "create instead");
       },
       .remove = [&svc](const std::string& p,
                        const std::string& id) { return svc.deleteRule(p, id); },
       .create_all = nullptr});

  registerCrud<Router>(
      server,
      {.collection = "routers",
       .key = "router",
       .list_key = "routers",
       .parse = routerFromJson,
       .create = [&svc](Router r) { return svc.createRouter(std::move(r)); },
       .get = [&svc](const std::string& p, const std::string& id) { return svc.getRouter(p, id); },
       .list = [&svc](const std::string& p, const httplib::Request&) { return svc.listRouters(p); },
       .update = [&svc](const std::string& p, const std::string& id,
                        Router r) { return svc.updateRouter(p, id, std::move(r)); },
       .remove = [&svc](const std::string& p,
                        const std::string& id) { return svc.deleteRouter(p, id); },
       .create_all = nullptr});
  registerRouterInterfaces(server, svc);

  registerCrud<Gateway>(
      server,
      {.collection = "gateways",
       .key = "gateway",
       .list_key = "gateways",
       .parse = gatewayFromJson,
       .create = [&svc](Gateway g) { return svc.createGateway(std::move(g)); },
       .get = [&svc](const std::string& p, const std::string& id) { return svc.getGateway(p, id); },
       .list = [&svc](const std::string& p,
                      const httplib::Request&) { return svc.listGateways(p); },
       .update = [&svc](const std::string& p, const std::string& id,
                        Gateway g) { return svc.updateGateway(p, id, std::move(g)); },
       .remove = [&svc](const std::string& p,
                        const std::string& id) { return svc.deleteGateway(p, id); },
       .create_all = nullptr});
}

}  // namespace alcor::controller::rest
