// REST: ports (with the streamed bulk create and list filters).

#include "controller/rest/http_util.h"

namespace alcor::controller::rest {

void registerPortHandlers(httplib::Server& server, ControllerServices& services) {
  PortService& ports = services.ports();
  registerCrud<Port>(
      server,
      {.collection = "ports",
       .key = "port",
       .what = "port",
       .list_key = "ports",
       .create = [&ports](Port p) { return ports.create(std::move(p)); },
       .get = [&ports](const std::string& p, const ResourceId& id) { return ports.get(p, id); },
       .list =
           [&ports](const std::string& p, const httplib::Request& req) {
             PortFilter f;
             f.device_id = req.get_param_value("device_id");
             f.host_id = req.get_param_value("binding:host_id");
             f.network_id = req.get_param_value("network_id");
             f.name = req.get_param_value("name");
             f.status = req.get_param_value("status");
             f.device_owner = req.get_param_value("device_owner");
             return ports.list(p, f);
           },
       .update = [&ports](const std::string& p, const ResourceId& id,
                          Port port) { return ports.update(p, id, std::move(port)); },
       .remove = [&ports](const std::string& p,
                          const ResourceId& id) { return ports.remove(p, id); },
       .create_all = [&ports](std::vector<Port> all) { return ports.createMany(std::move(all)); },
       // A node's agent manages the ports bound to its node (binding:host_id), nothing else.
       .authorize =
           [](const Port& p) { return caller().requireNode(p.host_id, "port " + p.id.str()); }});
}

}  // namespace alcor::controller::rest
