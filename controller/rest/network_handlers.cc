// REST: nodes, VPCs (networks), subnets.

#include "controller/rest/http_util.h"

namespace alcor::controller::rest {

void registerNetworkHandlers(httplib::Server& server, NetworkService& svc) {
  // Nodes are global (no project).
  server.Post(route("/nodes"), [&svc](const httplib::Request& req, httplib::Response& res) {
    auto body = bodyObject(req, "host_info");
    if (!body.ok()) return replyError(res, body.status());
    auto node = nodeFromJson(*body);
    if (!node.ok()) return replyError(res, node.status());
    if (Status st = caller().requireNode(node->name, "the record"); !st.ok()) {
      return replyError(res, st);
    }
    replyResource(res, svc.createNode(std::move(node).value()), "host_info", 201);
  });
  server.Post(route("/nodes/bulk"), [&svc](const httplib::Request& req, httplib::Response& res) {
    if (Status st = caller().requireAdmin("register nodes in bulk"); !st.ok()) {
      return replyError(res, st);
    }
    auto body = bodyArray(req, "host_infos");
    if (!body.ok()) return replyError(res, body.status());
    std::vector<Node> nodes;
    for (const auto& item : *body) {
      auto node = nodeFromJson(item);
      if (!node.ok()) return replyError(res, node.status());
      nodes.push_back(std::move(node).value());
    }
    json out = json::array();
    for (auto& n : nodes) {
      auto created = svc.createNode(std::move(n));
      if (!created.ok()) {
        for (const auto& done : out) (void)svc.deleteNode(done["node_id"]);
        return replyError(res, created.status());
      }
      out.push_back(toJson(*created));
    }
    replyJson(res, 201, json{{"host_infos", out}});
  });
  server.Get(route("/nodes"), [&svc](const httplib::Request& req, httplib::Response& res) {
    std::string name = req.get_param_value("name");
    json out = json::array();
    for (const auto& n : svc.listNodes()) {
      if ((name.empty() || n.name == name) && caller().mayActForNode(n.name)) {
        out.push_back(toJson(n));
      }
    }
    replyJson(res, 200, json{{"host_infos", out}});
  });
  server.Get(route("/nodes/([^/]+)"), [&svc](const httplib::Request& req, httplib::Response& res) {
    auto node = svc.getNode(req.matches[1]);
    if (node.ok()) {
      if (Status st = caller().requireNode(node->name, "the record"); !st.ok()) {
        return replyError(res, st);
      }
    }
    replyResource(res, node, "host_info");
  });
  server.Put(route("/nodes/([^/]+)"), [&svc](const httplib::Request& req, httplib::Response& res) {
    std::string id = req.matches[1];
    auto body = bodyObject(req, "host_info");
    if (!body.ok()) return replyError(res, body.status());
    auto existing = svc.getNode(id);
    if (!existing.ok()) return replyError(res, existing.status());
    if (Status st = caller().requireNode(existing->name, "the record"); !st.ok()) {
      return replyError(res, st);
    }
    auto merged = mergeJson(*existing, *body, nodeFromJson);
    if (!merged.ok()) return replyError(res, merged.status());
    if (merged->id != id) return replyError(res, invalidArgumentError("node_id cannot change"));
    if (Status st = caller().requireNode(merged->name, "the record"); !st.ok()) {
      return replyError(res, st);
    }
    replyResource(res, svc.updateNode(id, std::move(merged).value()), "host_info");
  });
  server.Delete(route("/nodes/([^/]+)"),
                [&svc](const httplib::Request& req, httplib::Response& res) {
                  if (Status st = caller().requireAdmin("delete nodes"); !st.ok()) {
                    return replyError(res, st);
                  }
                  Status st = svc.deleteNode(req.matches[1]);
                  if (!st.ok()) return replyError(res, st);
                  res.status = 204;
                });

  registerCrud<Vpc>(
      server,
      {.collection = "vpcs",
       .key = "network",
       .list_key = "networks",
       .parse = vpcFromJson,
       .create = [&svc](Vpc v) { return svc.createVpc(std::move(v)); },
       .get = [&svc](const std::string& p, const std::string& id) { return svc.getVpc(p, id); },
       .list = [&svc](const std::string& p, const httplib::Request&) { return svc.listVpcs(p); },
       .update = [&svc](const std::string& p, const std::string& id,
                        Vpc v) { return svc.updateVpc(p, id, std::move(v)); },
       .remove = [&svc](const std::string& p,
                        const std::string& id) { return svc.deleteVpc(p, id); },
       .create_all = nullptr});

  registerCrud<Subnet>(
      server,
      {.collection = "subnets",
       .key = "subnet",
       .list_key = "subnets",
       .parse = subnetFromJson,
       .create = [&svc](Subnet s) { return svc.createSubnet(std::move(s)); },
       .get = [&svc](const std::string& p, const std::string& id) { return svc.getSubnet(p, id); },
       .list = [&svc](const std::string& p, const httplib::Request&) { return svc.listSubnets(p); },
       .update = [&svc](const std::string& p, const std::string& id,
                        Subnet s) { return svc.updateSubnet(p, id, std::move(s)); },
       .remove = [&svc](const std::string& p,
                        const std::string& id) { return svc.deleteSubnet(p, id); },
       .create_all = nullptr});
}

}  // namespace alcor::controller::rest
