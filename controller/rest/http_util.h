#pragma once

// Helpers shared by the REST handlers: JSON replies, Status -> HTTP code, body parsing, and
// route patterns with Alcor's optional "/v4" prefix.

#include <httplib.h>

#include <functional>
#include <string>

#include "controller/auth/access.h"
#include "controller/model/json_codec.h"
#include "controller/rest/rest_auth.h"
#include "controller/service/network_service.h"
#include "lib/base/json_util.h"

namespace alcor::controller::rest {

using nlohmann::json;

// 400 bad input, 404 unknown id, 409 conflicts (in use, overlap, exhausted), 503 store busy.
int httpCode(const Status& status);
void replyJson(httplib::Response& res, int code, const json& body);
void replyError(httplib::Response& res, const Status& status);
// The body's `key` member (an object); 400 when the body is not JSON or lacks it.
StatusOr<json> bodyObject(const httplib::Request& req, const char* key);
// The body's `key` member as an array of objects (bulk requests).
StatusOr<json> bodyArray(const httplib::Request& req, const char* key);
// R"(/project/([^/]+)/ports)" -> the same with an optional "/v4" prefix.
std::string route(const std::string& pattern);

// Sends `value` (a StatusOr<T>) as {key: toJson(value)} with `code`, or the error.
template <typename T>
void replyResource(httplib::Response& res, const StatusOr<T>& value, const char* key,
                   int code = 200) {
  if (!value.ok()) return replyError(res, value.status());
  replyJson(res, code, json{{key, toJson(*value)}});
}

template <typename T>
json listJson(const std::vector<T>& items) {
  json a = json::array();
  for (const auto& i : items) a.push_back(toJson(i));
  return a;
}

void registerNetworkHandlers(httplib::Server& server, NetworkService& service);
void registerPortHandlers(httplib::Server& server, NetworkService& service);
void registerPolicyHandlers(httplib::Server& server, NetworkService& service);
void registerCertificateHandlers(httplib::Server& server, const CertificateIssuer* issuer);

}  // namespace alcor::controller::rest

namespace alcor::controller::rest {

// Create/list/get/update/delete under /project/{p}/<collection>, Alcor style: bodies
// {"<key>": {...}}, lists {"<list_key>": [...]}, POST .../bulk with {"<list_key>": [...]}.
// PUT lays the body over the stored resource and re-validates the whole.
template <typename T>
struct Crud {
  std::string collection;
  const char* key;
  const char* list_key;
  std::function<StatusOr<T>(const json&)> parse;
  std::function<StatusOr<T>(T)> create;
  std::function<StatusOr<T>(const std::string&, const std::string&)> get;
  std::function<std::vector<T>(const std::string&, const httplib::Request&)> list;
  std::function<StatusOr<T>(const std::string&, const std::string&, T)> update;
  std::function<Status(const std::string&, const std::string&)> remove;
  // Bulk create; default: one by one, undoing the created ones on the first failure.
  std::function<StatusOr<std::vector<T>>(std::vector<T>)> create_all;
  // May rest::caller() see and change this resource? Null: admins only. Lists are filtered.
  std::function<Status(const T&)> authorize;
};

template <typename T>
Status authorizeFor(const Crud<T>& c, const T& value) {
  if (c.authorize) return c.authorize(value);
  return caller().requireAdmin("manage " + c.collection);
}

template <typename T>
StatusOr<T> parseFor(const Crud<T>& c, const json& j, const std::string& project) {
  ASSIGN_OR_RETURN(T value, c.parse(j));
  value.project_id = project;
  return value;
}

template <typename T>
void registerCrud(httplib::Server& server, Crud<T> c) {
  const std::string base = "/project/([^/]+)/" + c.collection;
  server.Post(route(base), [c](const httplib::Request& req, httplib::Response& res) {
    auto body = bodyObject(req, c.key);
    if (!body.ok()) return replyError(res, body.status());
    auto value = parseFor(c, *body, req.matches[1]);
    if (!value.ok()) return replyError(res, value.status());
    if (Status st = authorizeFor(c, *value); !st.ok()) return replyError(res, st);
    replyResource(res, c.create(std::move(value).value()), c.key, 201);
  });
  server.Post(route(base + "/bulk"), [c](const httplib::Request& req, httplib::Response& res) {
    auto body = bodyArray(req, c.list_key);
    if (!body.ok()) return replyError(res, body.status());
    std::vector<T> values;
    for (const auto& item : *body) {
      auto value = parseFor(c, item, req.matches[1]);
      if (!value.ok()) return replyError(res, value.status());
      if (Status st = authorizeFor(c, *value); !st.ok()) return replyError(res, st);
      values.push_back(std::move(value).value());
    }
    StatusOr<std::vector<T>> created = std::vector<T>{};
    if (c.create_all) {
      created = c.create_all(std::move(values));
    } else {
      for (auto& v : values) {
        auto one = c.create(std::move(v));
        if (!one.ok()) {
          for (const auto& done : *created) (void)c.remove(req.matches[1], done.id);
          created = one.status();
          break;
        }
        created->push_back(std::move(one).value());
      }
    }
    if (!created.ok()) return replyError(res, created.status());
    replyJson(res, 201, json{{c.list_key, listJson(*created)}});
  });
  server.Get(route(base), [c](const httplib::Request& req, httplib::Response& res) {
    std::vector<T> items = c.list(req.matches[1], req);
    std::erase_if(items, [&](const T& item) { return !authorizeFor(c, item).ok(); });
    replyJson(res, 200, json{{c.list_key, listJson(items)}});
  });
  server.Get(route(base + "/([^/]+)"), [c](const httplib::Request& req, httplib::Response& res) {
    auto value = c.get(req.matches[1], req.matches[2]);
    if (value.ok()) {
      if (Status st = authorizeFor(c, *value); !st.ok()) return replyError(res, st);
    }
    replyResource(res, value, c.key);
  });
  server.Put(route(base + "/([^/]+)"), [c](const httplib::Request& req, httplib::Response& res) {
    std::string project = req.matches[1], id = req.matches[2];
    auto body = bodyObject(req, c.key);
    if (!body.ok()) return replyError(res, body.status());
    auto existing = c.get(project, id);
    if (!existing.ok()) return replyError(res, existing.status());
    if (Status st = authorizeFor(c, *existing); !st.ok()) return replyError(res, st);
    auto merged = mergeJson(*existing, *body, [&](const json& j) { return c.parse(j); });
    if (!merged.ok()) return replyError(res, merged.status());
    if (Status st = authorizeFor(c, *merged); !st.ok()) return replyError(res, st);
    // id and project come from the stored resource unless the body tries to change them.
    replyResource(res, c.update(project, id, std::move(merged).value()), c.key);
  });
  server.Delete(route(base + "/([^/]+)"), [c](const httplib::Request& req, httplib::Response& res) {
    // Checked on the stored resource; a missing one gets remove()'s 404.
    if (auto existing = c.get(req.matches[1], req.matches[2]); existing.ok()) {
      if (Status st = authorizeFor(c, *existing); !st.ok()) return replyError(res, st);
    }
    Status st = c.remove(req.matches[1], req.matches[2]);
    if (!st.ok()) return replyError(res, st);
    res.status = 204;
  });
}

}  // namespace alcor::controller::rest
