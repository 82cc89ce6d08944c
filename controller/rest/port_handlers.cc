// REST: ports (with bulk create and list filters).

#include "controller/rest/http_util.h"

namespace alcor::controller::rest {

void registerPortHandlers(httplib::Server& server, NetworkService& svc) {
  registerCrud<Port>(
      server,
      {.collection = "ports",
       .key = "port",
       .list_key = "ports",
       .parse = portFromJson,
       .create = [&svc](Port p) { return svc.createPort(std::move(p)); },
       .get = [&svc](const std::string& p, const std::string& id) { return svc.getPort(p, id); },
       .list =
           [&svc](const std::string& p, const httplib::Request& req) {
             PortFilter f;
             f.device_id = req.get_param_value("device_id");
             f.host_id = req.get_param_value("binding:host_id");
             f.network_id = req.get_param_value("network_id");
             f.name = req.get_param_value("name");
             f.status = req.get_param_value("status");
             f.device_owner = req.get_param_value("device_owner");
             return svc.listPorts(p, f);
           },
       .update = [&svc](const std::string& p, const std::string& id,
                        Port port) { return svc.updatePort(p, id, std::move(port)); },
       .remove = [&svc](const std::string& p,
                        const std::string& id) { return svc.deletePort(p, id); },
       .create_all = [&svc](std::vector<Port> ports) { return svc.createPorts(std::move(ports)); },
       // A node's agent manages the ports bound to its node (binding:host_id), nothing else.
       .authorize = [](const Port& p) { return caller().requireNode(p.host_id, "port " + p.id); }});
}

}  // namespace alcor::controller::rest
