// fake_kube_api: the few Kubernetes API calls Alcor makes, answered from a JSON file that is
// read again on every request (tests edit it while the cluster runs):
//   {"namespaces": {"ns": {annotations}}, "pods": {"ns/name": {annotations}},
//    "tokens": {"token": {"username": u, "groups": [...], "extra": {...}, "audiences": [...]}}}
// GET namespaces and pods (404 when absent), POST tokenreviews, and ConfigMaps kept in memory
// (GET, POST, PUT), which is where the controller publishes its CA for the agents.
//
//   fake_kube_api --listen=10.200.0.1:6443 --world=/tmp/world.json

#include <httplib.h>

#include <iostream>
#include <mutex>

#include "lib/base/flags.h"
#include "lib/base/json_util.h"
#include "lib/security/files.h"

namespace {

using nlohmann::json;

json world(const std::string& path) {
  auto text = alcor::security::readTextFile(path);
  auto doc = text.ok() ? alcor::parseJson(*text) : alcor::StatusOr<json>(text.status());
  return doc.ok() && doc->is_object() ? *doc : json::object();
}

void object(httplib::Response& res, const json& section, const std::string& key,
            const std::string& name, const char* field) {
  if (!section.is_object() || !section.contains(key)) {
    res.status = 404;
    res.set_content(json{{"kind", "Status"}, {"message", key + " not found"}}.dump(),
                    "application/json");
    return;
  }
  json obj = {{"metadata", {{"name", name}}}};
  if (std::string(field) == "annotations") {
    obj["metadata"]["annotations"] = section[key];
  } else {
    obj[field] = section[key];
  }
  res.set_content(obj.dump(), "application/json");
}

}  // namespace

int main(int argc, char** argv) {
  std::string listen, file;
  alcor::FlagSet flags("fake_kube_api", "a Kubernetes API answering from a JSON file");
  flags.addString("listen", &listen, "ADDR:PORT");
  flags.addString("world", &file, "the JSON file");
  if (auto st = flags.parse(argc, argv); !st.ok() || listen.empty() || file.empty()) {
    std::cerr << "fake_kube_api: --listen and --world are required\n";
    return 2;
  }
  httplib::Server s;
  s.Get(R"(/api/v1/namespaces/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
    object(res, world(file)["namespaces"], req.matches[1], req.matches[1], "annotations");
  });
  s.Get(R"(/api/v1/namespaces/([^/]+)/pods/([^/]+))",
        [&](const httplib::Request& req, httplib::Response& res) {
          std::string key = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
          object(res, world(file)["pods"], key, req.matches[2], "annotations");
        });
  std::mutex mu;
  json configmaps = json::object();
  s.Get(R"(/api/v1/namespaces/([^/]+)/configmaps/([^/]+))",
        [&](const httplib::Request& req, httplib::Response& res) {
          std::string key = std::string(req.matches[1]) + "/" + std::string(req.matches[2]);
          std::lock_guard lock(mu);
          object(res, configmaps, key, req.matches[2], "data");
        });
  auto store = [&](const httplib::Request& req, httplib::Response& res, const std::string& ns) {
    auto cm = alcor::parseJson(req.body);
    if (!cm.ok() || !cm->is_object() || !(*cm)["metadata"]["name"].is_string()) {
      res.status = 400;
      return;
    }
    std::lock_guard lock(mu);
    configmaps[ns + "/" + (*cm)["metadata"]["name"].get<std::string>()] = (*cm)["data"];
    res.set_content(cm->dump(), "application/json");
  };
  s.Post(R"(/api/v1/namespaces/([^/]+)/configmaps)",
         [&](const httplib::Request& req, httplib::Response& res) {
           store(req, res, req.matches[1]);
         });
  s.Put(R"(/api/v1/namespaces/([^/]+)/configmaps/([^/]+))",
        [&](const httplib::Request& req, httplib::Response& res) {
          store(req, res, req.matches[1]);
        });
  s.Post("/apis/authentication.k8s.io/v1/tokenreviews",
         [&](const httplib::Request& req, httplib::Response& res) {
           auto review = alcor::parseJson(req.body);
           json status = {{"authenticated", false}, {"error", "invalid bearer token"}};
           if (review.ok() && review->is_object()) {
             std::string token = (*review)["spec"].value("token", "");
             json tokens = world(file)["tokens"];
             if (tokens.is_object() && tokens.contains(token)) {
               const json& t = tokens[token];
               json wanted = (*review)["spec"].value("audiences", json::array());
               json has = t.value("audiences", json::array());
               bool bound = wanted.empty();
               for (const auto& a : wanted) {
                 for (const auto& h : has) bound = bound || a == h;
               }
               if (bound) {
                 status = {{"authenticated", true},
                           {"audiences", wanted.empty() ? has : wanted},
                           {"user",
                            {{"username", t.value("username", "")},
                             {"groups", t.value("groups", json::array())},
                             {"extra", t.value("extra", json::object())}}}};
               }
             }
           }
           res.set_content(json{{"apiVersion", "authentication.k8s.io/v1"},
                                {"kind", "TokenReview"},
                                {"status", status}}
                               .dump(),
                           "application/json");
         });
  auto colon = listen.rfind(':');
  if (!s.listen(listen.substr(0, colon), std::stoi(listen.substr(colon + 1)))) {
    std::cerr << "fake_kube_api: cannot listen on " << listen << "\n";
    return 1;
  }
  return 0;
}
