// REST: nodes, VPCs (networks), subnets.

#include "controller/rest/http_util.h"

namespace alcor::controller::rest {

void registerNetworkHandlers(httplib::Server& server, ControllerServices& services) {
  NodeService& nodes = services.nodes();
  // Nodes are global (no project).
  server.Post(route("/nodes"), [&nodes](const httplib::Request& req, httplib::Response& res) {
    auto body = bodyObject(req, "host_info");
    if (!body.ok()) return replyError(res, body.status());
    auto node = nodeFromJson(*body);
    if (!node.ok()) return replyError(res, node.status());
    if (Status st = caller().requireNode(node->name, "the record"); !st.ok()) {
      return replyError(res, st);
    }
    replyResource(res, nodes.create(std::move(node).value()), "host_info", 201);
  });
  server.Post(route("/nodes/bulk"), [&nodes](const httplib::Request&, httplib::Response& res,
                                             const httplib::ContentReader& reader) {
    if (Status st = caller().requireAdmin("register nodes in bulk"); !st.ok()) {
      return replyError(res, st);
    }
    std::vector<Node> parsed;
    Status st = readArrayStream(reader, "host_infos", [&](const json& item) {
      ASSIGN_OR_RETURN(Node node, nodeFromJson(item));
      parsed.push_back(std::move(node));
      return okStatus();
    });
    if (!st.ok()) return replyError(res, st);
    auto created = std::make_shared<std::vector<Node>>();
    for (auto& n : parsed) {
      auto one = nodes.create(std::move(n));
      if (!one.ok()) {
        for (const auto& done : *created) (void)nodes.remove(done.id);
        return replyError(res, one.status());
      }
      created->push_back(std::move(one).value());
    }
    replyList<Node>(res, 201, "host_infos", std::move(created));
  });
  server.Get(route("/nodes"), [&nodes](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.get_param_value("name");
    json out = json::array();
    for (const auto& n : nodes.list()) {
      if ((name.empty() || n.name == name) && caller().mayActForNode(n.name)) {
        out.push_back(toJson(n));
      }
    }
    replyJson(res, 200, json{{"host_infos", out}});
  });
  server.Get(route("/nodes/([^/]+)"),
             [&nodes](const httplib::Request& req, httplib::Response& res) {
               auto id = pathId(req.matches[1], "node");
               if (!id.ok()) return replyError(res, id.status());
               auto node = nodes.get(*id);
               if (node.ok()) {
                 if (Status st = caller().requireNode(node->name, "the record"); !st.ok()) {
                   return replyError(res, st);
                 }
               }
               replyResource(res, node, "host_info");
             });
  server.Put(route("/nodes/([^/]+)"),
             [&nodes](const httplib::Request& req, httplib::Response& res) {
               auto id = pathId(req.matches[1], "node");
               if (!id.ok()) return replyError(res, id.status());
               auto body = bodyObject(req, "host_info");
               if (!body.ok()) return replyError(res, body.status());
               auto existing = nodes.get(*id);
               if (!existing.ok()) return replyError(res, existing.status());
               if (Status st = caller().requireNode(existing->name, "the record"); !st.ok()) {
                 return replyError(res, st);
               }
               auto merged = mergeJson(*existing, *body, nodeFromJson);
               if (!merged.ok()) return replyError(res, merged.status());
               if (merged->id != *id)
                 return replyError(res, invalidArgumentError("node_id cannot change"));
               if (Status st = caller().requireNode(merged->name, "the record"); !st.ok()) {
                 return replyError(res, st);
               }
               replyResource(res, nodes.update(*id, std::move(merged).value()), "host_info");
             });
  server.Delete(route("/nodes/([^/]+)"),
                [&nodes](const httplib::Request& req, httplib::Response& res) {
                  if (Status st = caller().requireAdmin("delete nodes"); !st.ok()) {
                    return replyError(res, st);
                  }
                  auto id = pathId(req.matches[1], "node");
                  if (!id.ok()) return replyError(res, id.status());
                  Status st = nodes.remove(*id);
                  if (!st.ok()) return replyError(res, st);
                  res.status = 204;
                });

  VpcService& vpcs = services.vpcs();
  registerCrud<Vpc>(
      server,
      {.collection = "vpcs",
       .key = "network",
       .what = "VPC",
       .list_key = "networks",
       .create = [&vpcs](Vpc v) { return vpcs.create(std::move(v)); },
       .get = [&vpcs](const std::string& p, const ResourceId& id) { return vpcs.get(p, id); },
       .list = [&vpcs](const std::string& p, const httplib::Request&) { return vpcs.list(p); },
       .update = [&vpcs](const std::string& p, const ResourceId& id,
                         Vpc v) { return vpcs.update(p, id, std::move(v)); },
       .remove = [&vpcs](const std::string& p, const ResourceId& id) { return vpcs.remove(p, id); },
       .create_all = nullptr,
       .authorize = nullptr});

  SubnetService& subnets = services.subnets();
  registerCrud<Subnet>(
      server,
      {.collection = "subnets",
       .key = "subnet",
       .what = "subnet",
       .list_key = "subnets",
       .create = [&subnets](Subnet s) { return subnets.create(std::move(s)); },
       .get = [&subnets](const std::string& p, const ResourceId& id) { return subnets.get(p, id); },
       .list = [&subnets](const std::string& p,
                          const httplib::Request&) { return subnets.list(p); },
       .update = [&subnets](const std::string& p, const ResourceId& id,
                            Subnet s) { return subnets.update(p, id, std::move(s)); },
       .remove = [&subnets](const std::string& p,
                            const ResourceId& id) { return subnets.remove(p, id); },
       .create_all = nullptr,
       .authorize = nullptr});
}

}  // namespace alcor::controller::rest
