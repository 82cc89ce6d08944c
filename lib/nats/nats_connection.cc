#include "lib/nats/nats_connection.h"

#include <nats/nats.h>

#include <fstream>
#include <mutex>
#include <sstream>

#include "lib/base/logging.h"

namespace alcor::nats {

namespace {

Status toStatus(natsStatus s, const std::string& what) {
  if (s == NATS_OK) return okStatus();
  std::string text = what + ": " + natsStatus_GetText(s);
  const char* detail = nats_GetLastError(nullptr);
  if (detail && *detail && text.find(detail) == std::string::npos)
    text += " (" + std::string(detail) + ")";
  switch (s) {
    case NATS_TIMEOUT:
      return deadlineExceededError(text);
    case NATS_NO_RESPONDERS:
    case NATS_NO_SERVER:
    case NATS_CONNECTION_CLOSED:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_STALE_CONNECTION:
      return unavailableError(text);
    case NATS_NOT_PERMITTED:
      return permissionDeniedError(text);
    case NATS_CONNECTION_AUTH_FAILED:
      return unauthenticatedError(text);
    case NATS_INVALID_ARG:
    case NATS_INVALID_SUBJECT:
      return invalidArgumentError(text);
    default:
      return unavailableError(text);
  }
}

// Owns a natsMsg.
struct MsgPtr {
  natsMsg* m = nullptr;
  ~MsgPtr() {
    if (m) natsMsg_Destroy(m);
  }
};

Message toMessage(natsMsg* m) {
  Message out;
  out.subject = natsMsg_GetSubject(m);
  if (const char* r = natsMsg_GetReply(m)) out.reply = r;
  out.data.assign(natsMsg_GetData(m), static_cast<size_t>(natsMsg_GetDataLength(m)));
  const char** keys = nullptr;
  int count = 0;
  if (natsMsgHeader_Keys(m, &keys, &count) == NATS_OK) {
    for (int i = 0; i < count; ++i) {
      const char* value = nullptr;
      if (natsMsgHeader_Get(m, keys[i], &value) == NATS_OK && value) {
        out.headers.emplace_back(keys[i], value);
      }
    }
    free(keys);
  }
  return out;
}

StatusOr<natsMsg*> makeMessage(const std::string& subject, const char* reply, std::string_view data,
                               const Headers& headers) {
  if (!validSubject(subject)) return invalidArgumentError("bad subject \"" + subject + "\"");
  natsMsg* m = nullptr;
  natsStatus s =
      natsMsg_Create(&m, subject.c_str(), reply, data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return toStatus(s, "message for " + subject);
  for (const auto& [k, v] : headers) {
    s = natsMsgHeader_Add(m, k.c_str(), v.c_str());
    if (s != NATS_OK) {
      natsMsg_Destroy(m);
      return toStatus(s, "header " + k);
    }
  }
  return m;
}

// What libnats calls back with, shared by the Subscription and the library (whose reference the
// "complete" callback drops after the last handler call).
struct Delivery {
  MessageHandler handler;
  std::recursive_mutex mu;  // the handler may unsubscribe its own subscription
  bool closed = false;
};

using DeliveryPtr = std::shared_ptr<Delivery>;

void onMessage(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  Delivery* d = static_cast<DeliveryPtr*>(closure)->get();
  MsgPtr owned{msg};
  std::lock_guard lock(d->mu);
  if (d->closed) return;
  d->handler(toMessage(msg));
}

void onComplete(void* closure) { delete static_cast<DeliveryPtr*>(closure); }

class NatsSubscription : public Subscription {
 public:
  NatsSubscription(natsSubscription* sub, DeliveryPtr d) : sub_(sub), delivery_(std::move(d)) {}
  ~NatsSubscription() override {
    unsubscribe();
    natsSubscription_Destroy(sub_);
  }
  void unsubscribe() override {
    if (done_) return;
    done_ = true;
    {
      std::lock_guard lock(delivery_->mu);
      delivery_->closed = true;
    }
    natsSubscription_Unsubscribe(sub_);  // fails only when the connection is closed already
  }

 private:
  natsSubscription* sub_;
  DeliveryPtr delivery_;
  bool done_ = false;
};

}  // namespace

StatusOr<NatsOptions> natsOptionsFromFlags(const std::string& servers, const std::string& user,
                                           const std::string& password_file,
                                           const std::string& ca_file) {
  NatsOptions o;
  std::stringstream list(servers);
  for (std::string url; std::getline(list, url, ',');) {
    if (!url.empty()) o.servers.push_back(url);
  }
  if (o.servers.empty()) return invalidArgumentError("no NATS server given");
  o.user = user;
  if (!password_file.empty()) {
    std::ifstream in(password_file);
    if (!in) return notFoundError("cannot read the NATS password file " + password_file);
    std::getline(in, o.password);
    if (!o.password.empty() && o.password.back() == '\r') o.password.pop_back();
  }
  o.ca_file = ca_file;
  return o;
}

void NatsConnection::onReconnected(natsConnection* nc, void* closure) {
  auto* self = static_cast<NatsConnection*>(closure);
  ++self->reconnects_;
  char url[256] = {};
  natsConnection_GetConnectedUrl(nc, url, sizeof(url));
  ALOG(Info, Nats) << "reconnected to " << url;
  std::lock_guard lock(self->handler_mu_);
  if (self->on_reconnect_) self->on_reconnect_();
}

void NatsConnection::setReconnectHandler(std::function<void()> handler) {
  std::lock_guard lock(handler_mu_);
  on_reconnect_ = std::move(handler);
}

StatusOr<std::unique_ptr<NatsConnection>> NatsConnection::connect(const NatsOptions& o) {
  if (o.servers.empty()) return invalidArgumentError("no NATS server given");
  std::unique_ptr<NatsConnection> conn(new NatsConnection(o));
  natsOptions* opts = nullptr;
  natsStatus s = natsOptions_Create(&opts);
  if (s != NATS_OK) return toStatus(s, "NATS options");
  std::vector<const char*> urls;
  for (const auto& u : o.servers) urls.push_back(u.c_str());
  s = natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size()));
  if (s == NATS_OK && !o.name.empty()) s = natsOptions_SetName(opts, o.name.c_str());
  if (s == NATS_OK && !o.user.empty()) {
    s = natsOptions_SetUserInfo(opts, o.user.c_str(), o.password.c_str());
  }
  if (s == NATS_OK && !o.ca_file.empty()) {
    s = natsOptions_SetSecure(opts, true);
    if (s == NATS_OK) s = natsOptions_LoadCATrustedCertificates(opts, o.ca_file.c_str());
  }
  if (s == NATS_OK && !o.cert_file.empty()) {
    s = natsOptions_LoadCertificatesChain(opts, o.cert_file.c_str(), o.key_file.c_str());
  }
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts, o.connect_timeout.count());
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts, o.max_reconnects);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts, o.reconnect_wait.count());
  if (s == NATS_OK)
    s = natsOptions_SetReconnectedCB(opts, &NatsConnection::onReconnected, conn.get());
  if (s == NATS_OK && o.ordered_delivery) {
    s = nats_SetMessageDeliveryPoolSize(1);
    if (s == NATS_OK) s = natsOptions_UseGlobalMessageDelivery(opts, true);
  }
  if (s != NATS_OK) {
    natsOptions_Destroy(opts);
    return toStatus(s, "NATS options");
  }
  s = natsConnection_Connect(&conn->nc_, opts);
  natsOptions_Destroy(opts);
  if (s != NATS_OK) return toStatus(s, "connecting to NATS (" + o.servers.front() + "...)");
  ALOG(Info, Nats) << "connected to " << conn->connectedUrl();
  return conn;
}

NatsConnection::~NatsConnection() {
  if (!nc_) return;
  natsConnection_Close(nc_);
  natsConnection_Destroy(nc_);
}

Status NatsConnection::publish(const std::string& subject, std::string_view data,
                               const Headers& headers) {
  ASSIGN_OR_RETURN(natsMsg * m, makeMessage(subject, nullptr, data, headers));
  MsgPtr owned{m};
  return toStatus(natsConnection_PublishMsg(nc_, m), "publishing on " + subject);
}

StatusOr<Message> NatsConnection::request(const std::string& subject, std::string_view data,
                                          const Headers& headers,
                                          std::chrono::milliseconds timeout) {
  ASSIGN_OR_RETURN(natsMsg * m, makeMessage(subject, nullptr, data, headers));
  MsgPtr owned{m};
  MsgPtr reply;
  natsStatus s = natsConnection_RequestMsg(&reply.m, nc_, m, timeout.count());
  if (s != NATS_OK) return toStatus(s, "request on " + subject);
  return toMessage(reply.m);
}

StatusOr<SubscriptionPtr> NatsConnection::subscribe(const std::string& subject,
                                                    MessageHandler handler) {
  auto d = std::make_shared<Delivery>();
  d->handler = std::move(handler);
  auto* closure = new DeliveryPtr(d);  // the library's reference, dropped by onComplete
  natsSubscription* sub = nullptr;
  natsStatus s = natsConnection_Subscribe(&sub, nc_, subject.c_str(), &onMessage, closure);
  if (s != NATS_OK) {
    delete closure;
    return toStatus(s, "subscribing to " + subject);
  }
  natsSubscription_SetOnCompleteCB(sub, &onComplete, closure);
  natsSubscription_SetPendingLimits(sub, options_.pending_messages_limit, -1);
  return SubscriptionPtr(std::make_unique<NatsSubscription>(sub, std::move(d)));
}

void NatsConnection::close() { natsConnection_Close(nc_); }

Status NatsConnection::flush(std::chrono::milliseconds timeout) {
  return toStatus(natsConnection_FlushTimeout(nc_, timeout.count()), "flushing");
}

std::string NatsConnection::connectedUrl() const {
  char url[256] = {};
  if (natsConnection_GetConnectedUrl(nc_, url, sizeof(url)) != NATS_OK) return "";
  return url;
}

bool NatsConnection::connected() const {
  return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

}  // namespace alcor::nats
