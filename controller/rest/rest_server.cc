#include "controller/rest/rest_server.h"

#include "controller/model/json_codec.h"
#include "controller/rest/http_util.h"
#include "controller/rest/rest_auth.h"
#include "lib/base/logging.h"

namespace alcor::controller {

namespace rest {

int httpCode(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition:
    case StatusCode::kResourceExhausted:
    case StatusCode::kAborted:
      return 409;
    case StatusCode::kUnimplemented:
      return 501;
    case StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

void replyJson(httplib::Response& res, int code, const json& body) {
  res.status = code;
  res.set_content(body.dump(), "application/json");
}

void replyError(httplib::Response& res, const Status& status) {
  int code = httpCode(status);
  if (code >= 500) {
    ALOG(Error, Rest) << status;
  } else if (code == 401 || code == 403) {
    ALOG(Info, Rest) << "refused: " << status;  // who tried what (docs/security.md)
  } else {
    ALOG(Debug, Rest) << "rejected: " << status;
  }
  replyJson(
      res, code,
      json{
          {"message", status.message()}, {"code", code}, {"error", statusCodeName(status.code())}});
}

StatusOr<json> bodyObject(const httplib::Request& req, const char* key) {
  ASSIGN_OR_RETURN(json doc, parseJson(req.body, "request body"));
  if (!doc.is_object() || !doc.contains(key) || !doc[key].is_object()) {
    return invalidArgumentError(std::string("request body needs a \"") + key + "\" object");
  }
  return doc[key];
}

StatusOr<ResourceId> pathId(const std::string& text, const std::string& what) {
  auto id = ResourceId::parse(text);
  if (!id.ok()) return notFoundError(what + " " + text.substr(0, 80) + " not found");
  return id;
}

Status readArrayStream(const httplib::ContentReader& reader, const std::string& key,
                       const std::function<Status(const json& element)>& each) {
  JsonArrayStream stream(key, [&](std::string_view text) {
    ASSIGN_OR_RETURN(json element, parseJson(text, "request body"));
    if (!element.is_object()) {
      return invalidArgumentError("request body needs a \"" + key + "\" array of objects");
    }
    return each(element);
  });
  Status status;
  reader([&](const char* data, size_t length) {
    status = stream.feed(std::string_view(data, length));
    return status.ok();
  });
  if (!status.ok()) return status;
  return stream.finish();
}

std::string route(const std::string& pattern) { return "(?:/v4)?" + pattern; }

}  // namespace rest

RestServer::RestServer(ControllerServices& services, PushScheduler& scheduler,
                       RestSecurity security)
    : services_(services), scheduler_(scheduler), security_(std::move(security)) {
  if (security_.cert_file.empty()) {
    server_ = std::make_unique<httplib::Server>();
    return;
  }
  certificate_ =
      std::make_unique<security::ReloadingCertificate>(security_.cert_file, security_.key_file);
  server_ = std::make_unique<httplib::SSLServer>(
      [this](SSL_CTX& ctx) { return certificate_->install(ctx); });
}

RestServer::~RestServer() { stop(); }

namespace {
thread_local std::chrono::steady_clock::time_point request_start;
}

Status RestServer::start(const std::string& host, int port) {
  httplib::Server& s = *server_;
  s.new_task_queue = [] { return new httplib::ThreadPool(16); };
  s.set_tcp_nodelay(true);
  s.set_keep_alive_max_count(100000);
  // Idle keep-alive connections hold stop() for this long.
  s.set_keep_alive_timeout(2);
  s.set_payload_max_length(256 << 20);
  s.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    request_start = std::chrono::steady_clock::now();
    return rest::authenticateRequest(security_, req, res)
               ? httplib::Server::HandlerResponse::Unhandled
               : httplib::Server::HandlerResponse::Handled;
  });
  // Counted before the response is written (the logger runs after), so a client that has its
  // answer always finds its request in /metrics.
  s.set_post_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - request_start).count();
    metrics_.observe(req.method, routeLabel(req.path), res.status, seconds);
    ALOG(Debug, Rest) << req.method << " " << req.path << " -> " << res.status;
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    rest::replyJson(res, 200, {{"status", "ok"}});
  });
  s.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    res.set_content(metrics_.render(scheduler_.stats(), services_.counts()) +
                        (extra_metrics_ ? extra_metrics_() : std::string()),
                    "text/plain; version=0.0.4");
  });
  rest::registerNetworkHandlers(s, services_);
  rest::registerPortHandlers(s, services_);
  rest::registerPolicyHandlers(s, services_);
  rest::registerCertificateHandlers(s, security_.issuer);
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (res.status == 404 && res.body.empty()) {
      rest::replyJson(res, 404,
                      {{"message", "no such path: " + req.method + " " + req.path}, {"code", 404}});
    }
  });

  if (port == 0) {
    port_ = s.bind_to_any_port(host);
  } else {
    port_ = s.bind_to_port(host, port) ? port : -1;
  }
  if (port_ <= 0) {
    return unavailableError("REST: cannot listen on " + host + ":" + std::to_string(port));
  }
  thread_ = std::thread([&s] { s.listen_after_bind(); });
  // A stop() before the accept loop runs would be lost and the thread never join: wait for it.
  const auto ready_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!s.is_running() && std::chrono::steady_clock::now() < ready_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ALOG(Info, Rest) << "REST API on " << (security_.cert_file.empty() ? "http://" : "https://")
                   << host << ":" << port_
                   << (security_.authenticator ? " (bearer tokens)" : " (NO AUTHENTICATION)");
  return okStatus();
}

void RestServer::stop() {
  if (server_) server_->stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace alcor::controller
