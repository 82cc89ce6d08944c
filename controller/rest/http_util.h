#pragma once

// Helpers shared by the REST handlers: JSON replies, Status -> HTTP code, body parsing, ids from
// paths, route patterns with Alcor's optional "/v4" prefix, and the generic create/list/get/
// update/delete/bulk handlers (registerCrud) that each resource family instantiates.

#include <httplib.h>

#include <functional>
#include <memory>
#include <string>

#include "controller/auth/access.h"
#include "controller/model/json_codec.h"
#include "controller/rest/json_array_stream.h"
#include "controller/rest/rest_auth.h"
#include "controller/service/controller_services.h"
#include "lib/base/json_util.h"

namespace alcor::controller::rest {

using nlohmann::json;

// 400 bad input, 404 unknown id, 409 conflicts (in use, overlap, exhausted), 503 store busy.
int httpCode(const Status& status);
void replyJson(httplib::Response& res, int code, const json& body);
void replyError(httplib::Response& res, const Status& status);
// The body's `key` member (an object); 400 when the body is not JSON or lacks it.
StatusOr<json> bodyObject(const httplib::Request& req, const char* key);
// An id from a path: one that cannot be valid is a 404 "<what> <text> not found".
StatusOr<ResourceId> pathId(const std::string& text, const std::string& what);
// R"(/project/([^/]+)/ports)" -> the same with an optional "/v4" prefix.
std::string route(const std::string& pattern);
// Streams the array member `key` of a request body: each element, parsed, goes to `each` as it
// arrives (bulk requests never hold their whole body or its document tree).
Status readArrayStream(const httplib::ContentReader& reader, const std::string& key,
                       const std::function<Status(const json& element)>& each);
// 201 {key: [...]} written a slice at a time from `items` (chunked transfer).
template <typename T>
void replyList(httplib::Response& res, int code, const char* key,
               std::shared_ptr<const std::vector<T>> items);

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

template <typename T>
void replyList(httplib::Response& res, int code, const char* key,
               std::shared_ptr<const std::vector<T>> items) {
  res.status = code;
  res.set_chunked_content_provider(
      "application/json",
      [items, key = std::string(key), next = size_t{0}](size_t, httplib::DataSink& sink) mutable {
        std::string out;
        if (next == 0) out = "{\"" + key + "\":[";
        const size_t end = std::min(items->size(), next + 256);
        for (; next < end; ++next) {
          if (next > 0) out += ',';
          out += toJson((*items)[next]).dump();
        }
        if (next == items->size()) out += "]}";
        if (!sink.write(out.data(), out.size())) return false;
        if (next == items->size()) sink.done();
        return true;
      });
}

void registerNetworkHandlers(httplib::Server& server, ControllerServices& services);
void registerPortHandlers(httplib::Server& server, ControllerServices& services);
void registerPolicyHandlers(httplib::Server& server, ControllerServices& services);
void registerCertificateHandlers(httplib::Server& server, const CertificateIssuer* issuer);

// Create/list/get/update/delete under /project/{p}/<collection>, Alcor style: bodies
// {"<key>": {...}}, lists {"<list_key>": [...]}, POST .../bulk with {"<list_key>": [...]}.
// PUT lays the body over the stored resource and re-validates the whole.
template <typename T>
struct Crud {
  std::string collection;
  const char* key;
  const char* what;  // for messages: "port", "security group"
  const char* list_key;
  std::function<StatusOr<T>(T)> create;
  std::function<StatusOr<T>(const std::string&, const ResourceId&)> get;
  std::function<std::vector<T>(const std::string&, const httplib::Request&)> list;
  std::function<StatusOr<T>(const std::string&, const ResourceId&, T)> update;
  std::function<Status(const std::string&, const ResourceId&)> remove;
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

// A body element as a resource of `project`, authorized for the caller.
template <typename T>
StatusOr<T> parseFor(const Crud<T>& c, const json& j, const std::string& project) {
  ASSIGN_OR_RETURN(T value, fromJson<T>(j));
  value.project_id = project;
  RETURN_IF_ERROR(authorizeFor(c, value));
  return value;
}

template <typename T>
StatusOr<std::vector<T>> createAll(const Crud<T>& c, const std::string& project,
                                   std::vector<T> values) {
  if (c.create_all) return c.create_all(std::move(values));
  std::vector<T> created;
  for (auto& v : values) {
    auto one = c.create(std::move(v));
    if (!one.ok()) {
      for (const auto& done : created) (void)c.remove(project, done.id);
      return one.status();
    }
    created.push_back(std::move(one).value());
  }
  return created;
}

template <typename T>
void registerCrud(httplib::Server& server, Crud<T> c) {
  const std::string base = "/project/([^/]+)/" + c.collection;
  // Before the single POST: content-reader routes are matched first, by the whole path.
  server.Post(route(base + "/bulk"), [c](const httplib::Request& req, httplib::Response& res,
                                         const httplib::ContentReader& reader) {
    const std::string project = req.matches[1];
    std::vector<T> values;
    Status st = readArrayStream(reader, c.list_key, [&](const json& item) {
      ASSIGN_OR_RETURN(T value, parseFor(c, item, project));
      values.push_back(std::move(value));
      return okStatus();
    });
    if (!st.ok()) return replyError(res, st);
    auto created = createAll(c, project, std::move(values));
    if (!created.ok()) return replyError(res, created.status());
    replyList(res, 201, c.list_key,
              std::make_shared<const std::vector<T>>(std::move(created).value()));
  });
  server.Post(route(base), [c](const httplib::Request& req, httplib::Response& res) {
    auto body = bodyObject(req, c.key);
    if (!body.ok()) return replyError(res, body.status());
    auto value = parseFor(c, *body, req.matches[1]);
    if (!value.ok()) return replyError(res, value.status());
    replyResource(res, c.create(std::move(value).value()), c.key, 201);
  });
  server.Get(route(base), [c](const httplib::Request& req, httplib::Response& res) {
    std::vector<T> items = c.list(req.matches[1], req);
    std::erase_if(items, [&](const T& item) { return !authorizeFor(c, item).ok(); });
    replyJson(res, 200, json{{c.list_key, listJson(items)}});
  });
  server.Get(route(base + "/([^/]+)"), [c](const httplib::Request& req, httplib::Response& res) {
    auto id = pathId(req.matches[2], c.what);
    if (!id.ok()) return replyError(res, id.status());
    auto value = c.get(req.matches[1], *id);
    if (value.ok()) {
      if (Status st = authorizeFor(c, *value); !st.ok()) return replyError(res, st);
    }
    replyResource(res, value, c.key);
  });
  server.Put(route(base + "/([^/]+)"), [c](const httplib::Request& req, httplib::Response& res) {
    const std::string project = req.matches[1];
    auto id = pathId(req.matches[2], c.what);
    if (!id.ok()) return replyError(res, id.status());
    auto body = bodyObject(req, c.key);
    if (!body.ok()) return replyError(res, body.status());
    auto existing = c.get(project, *id);
    if (!existing.ok()) return replyError(res, existing.status());
    if (Status st = authorizeFor(c, *existing); !st.ok()) return replyError(res, st);
    auto merged = mergeJson(*existing, *body, [](const json& j) { return fromJson<T>(j); });
    if (!merged.ok()) return replyError(res, merged.status());
    if (Status st = authorizeFor(c, *merged); !st.ok()) return replyError(res, st);
    // id and project come from the stored resource unless the body tries to change them.
    replyResource(res, c.update(project, *id, std::move(merged).value()), c.key);
  });
  server.Delete(route(base + "/([^/]+)"), [c](const httplib::Request& req, httplib::Response& res) {
    auto id = pathId(req.matches[2], c.what);
    if (!id.ok()) return replyError(res, id.status());
    // Checked on the stored resource; a missing one gets remove()'s 404.
    if (auto existing = c.get(req.matches[1], *id); existing.ok()) {
      if (Status st = authorizeFor(c, *existing); !st.ok()) return replyError(res, st);
    }
    Status st = c.remove(req.matches[1], *id);
    if (!st.ok()) return replyError(res, st);
    res.status = 204;
  });
}

}  // namespace alcor::controller::rest
