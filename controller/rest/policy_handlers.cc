// REST: security groups and rules, routers (with add/remove_router_interface), gateways.

#include "controller/rest/http_util.h"

namespace alcor::controller::rest {
namespace {

json interfaceJson(const RouterInterface& i, const ResourceId& router_id,
                   const std::string& project) {
  return {{"id", router_id.str()},      {"subnet_id", i.subnet_id.str()},
          {"port_id", i.port_id.str()}, {"project_id", project},
          {"tenant_id", project},       {"subnet_ids", {i.subnet_id.str()}}};
}

void registerRouterInterfaces(httplib::Server& server, RouterService& routers) {
  for (bool add : {true, false}) {
    std::string path = route(std::string("/project/([^/]+)/routers/([^/]+)/") +
                             (add ? "add_router_interface" : "remove_router_interface"));
    auto handler = [&routers, add](const httplib::Request& req, httplib::Response& res) {
      if (Status st = caller().requireAdmin("manage routers"); !st.ok()) {
        return replyError(res, st);
      }
      std::string project = req.matches[1];
      auto router = pathId(req.matches[2], "router");
      if (!router.ok()) return replyError(res, router.status());
      auto doc = parseJson(req.body, "request body");
      if (!doc.ok()) return replyError(res, doc.status());
      if (!doc->is_object() || !(*doc)["subnet_id"].is_string()) {
        return replyError(res, invalidArgumentError("request body needs a \"subnet_id\" string"));
      }
      auto subnet = pathId((*doc)["subnet_id"].get<std::string>(), "subnet");
      if (!subnet.ok()) return replyError(res, subnet.status());
      auto iface = add ? routers.addInterface(project, *router, *subnet)
                       : routers.removeInterface(project, *router, *subnet);
      if (!iface.ok()) return replyError(res, iface.status());
      replyJson(res, 200, interfaceJson(*iface, *router, project));
    };
    server.Put(path, handler);
    server.Post(path, handler);
  }
}

}  // namespace

void registerPolicyHandlers(httplib::Server& server, ControllerServices& services) {
  SecurityGroupService& groups = services.securityGroups();
  registerCrud<SecurityGroup>(
      server,
      {.collection = "security-groups",
       .key = "security_group",
       .what = "security group",
       .list_key = "security_groups",
       .create = [&groups](SecurityGroup g) { return groups.create(std::move(g)); },
       .get = [&groups](const std::string& p, const ResourceId& id) { return groups.get(p, id); },
       .list = [&groups](const std::string& p, const httplib::Request&) { return groups.list(p); },
       .update = [&groups](const std::string& p, const ResourceId& id,
                           SecurityGroup g) { return groups.update(p, id, std::move(g)); },
       .remove = [&groups](const std::string& p,
                           const ResourceId& id) { return groups.remove(p, id); },
       .create_all = nullptr,
       .authorize = nullptr});

  registerCrud<SecurityGroupRule>(
      server, {.collection = "security-group-rules",
               .key = "security_group_rule",
               .what = "security group rule",
               .list_key = "security_group_rules",
               .create = [&groups](SecurityGroupRule r) { return groups.createRule(std::move(r)); },
               .get = [&groups](const std::string& p,
                                const ResourceId& id) { return groups.getRule(p, id); },
               .list = [&groups](const std::string& p,
                                 const httplib::Request&) { return groups.listRules(p); },
               .update = [](const std::string&, const ResourceId&,
                            SecurityGroupRule) -> StatusOr<SecurityGroupRule> {
                 return invalidArgumentError(
                     "security group rules cannot be updated; delete and create instead");
               },
               .remove = [&groups](const std::string& p,
                                   const ResourceId& id) { return groups.removeRule(p, id); },
               .create_all = nullptr,
               .authorize = nullptr});

  RouterService& routers = services.routers();
  registerCrud<Router>(
      server,
      {.collection = "routers",
       .key = "router",
       .what = "router",
       .list_key = "routers",
       .create = [&routers](Router r) { return routers.create(std::move(r)); },
       .get = [&routers](const std::string& p, const ResourceId& id) { return routers.get(p, id); },
       .list = [&routers](const std::string& p,
                          const httplib::Request&) { return routers.list(p); },
       .update = [&routers](const std::string& p, const ResourceId& id,
                            Router r) { return routers.update(p, id, std::move(r)); },
       .remove = [&routers](const std::string& p,
                            const ResourceId& id) { return routers.remove(p, id); },
       .create_all = nullptr,
       .authorize = nullptr});
  registerRouterInterfaces(server, routers);

  GatewayService& gateways = services.gateways();
  registerCrud<Gateway>(
      server, {.collection = "gateways",
               .key = "gateway",
               .what = "gateway",
               .list_key = "gateways",
               .create = [&gateways](Gateway g) { return gateways.create(std::move(g)); },
               .get = [&gateways](const std::string& p,
                                  const ResourceId& id) { return gateways.get(p, id); },
               .list = [&gateways](const std::string& p,
                                   const httplib::Request&) { return gateways.list(p); },
               .update = [&gateways](const std::string& p, const ResourceId& id,
                                     Gateway g) { return gateways.update(p, id, std::move(g)); },
               .remove = [&gateways](const std::string& p,
                                     const ResourceId& id) { return gateways.remove(p, id); },
               .create_all = nullptr,
               .authorize = nullptr});
}

}  // namespace alcor::controller::rest
