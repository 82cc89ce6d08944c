#include "lib/ovsdb/ovsdb_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <future>
#include <map>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "lib/base/backoff.h"
#include "lib/base/logging.h"
#include "lib/base/strings.h"
#include "lib/base/unique_fd.h"
#include "lib/ovsdb/jsonrpc.h"

namespace alcor::ovsdb {
namespace {

using Clock = std::chrono::steady_clock;
using ReplyHandler = std::function<void(StatusOr<Json>)>;

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

StatusOr<UniqueFd> connectStream(const std::string& target) {
  if (startsWith(target, "unix:")) {
    std::string path = target.substr(5);
    sockaddr_un addr{};
    if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
      return invalidArgumentError("bad unix socket path in " + target);
    }
    UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return unavailableError(errnoText("socket"));
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, path.data(), path.size());
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return unavailableError(errnoText("connect " + target));
    }
    return fd;
  }
  if (startsWith(target, "tcp:")) {
    std::string rest = target.substr(4);
    auto colon = rest.rfind(':');
    std::optional<uint16_t> port;
    if (colon != std::string::npos) port = parseInt<uint16_t>(rest.substr(colon + 1));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    if (!port || inet_pton(AF_INET, rest.substr(0, colon).c_str(), &addr.sin_addr) != 1) {
      return invalidArgumentError("bad tcp target " + target + " (want tcp:IPV4:PORT)");
    }
    addr.sin_port = htons(*port);
    UniqueFd fd(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return unavailableError(errnoText("socket"));
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      return unavailableError(errnoText("connect " + target));
    }
    return fd;
  }
  return invalidArgumentError("unsupported OVSDB target \"" + target + "\" (want unix: or tcp:)");
}

}  // namespace

struct OvsdbClientImpl::State {
  struct Monitor {
    std::string db;
    std::string method;  // "monitor" or "monitor_cond"
    Json requests;
    MonitorCallback callback;
  };

  std::string target;
  OvsdbClientOptions options;
  bool can_reconnect = false;

  // Lock order: write_mu before mu.
  std::mutex write_mu;  // serialises writes and guards fd replacement
  UniqueFd fd;
  mutable std::mutex mu;
  std::condition_variable cv;  // connected / stopping changes
  bool connected = false;
  bool stopping = false;
  uint64_t generation = 0;  // bumped on every (re)connect
  int connect_count = 0;
  int64_t next_id = 1;
  std::map<int64_t, ReplyHandler> pending;
  std::map<std::string, Monitor> monitors;

  UniqueFd wake;  // eventfd that interrupts the reader's poll
  std::thread reader;

  // Reader-thread only.
  JsonStreamSplitter splitter;
  Clock::time_point last_rx;
  bool echo_outstanding = false;

  // Writes one message to the connection of `gen`; false if that connection is gone.
  bool send(const Json& msg, uint64_t gen) {
    std::string bytes = msg.dump();
    std::lock_guard<std::mutex> wl(write_mu);
    {
      std::lock_guard<std::mutex> l(mu);
      if (!connected || generation != gen) return false;
    }
    ALOG(Trace, Ovsdb) << "send " << bytes;
    size_t off = 0;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd.get(), bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        ALOG(Warn, Ovsdb) << errnoText("write to " + target);
        ::shutdown(fd.get(), SHUT_RDWR);  // the reader sees EOF and fails what is pending
        return false;
      }
      off += static_cast<size_t>(n);
    }
    return true;
  }

  // Registers `handler` for a request and sends it; returns the request id.
  StatusOr<int64_t> startRequest(const std::string& method, const Json& params,
                                 ReplyHandler handler) {
    int64_t id;
    uint64_t gen;
    {
      std::lock_guard<std::mutex> l(mu);
      if (!connected) return unavailableError("ovsdb: not connected to " + target);
      id = next_id++;
      gen = generation;
      pending[id] = std::move(handler);
    }
    send(makeJsonRpcRequest(method, params, id), gen);
    return id;
  }

  // Forgets a request whose caller gave up. False if its handler already ran or is running (then
  // its result is about to arrive and the caller should take it).
  bool abandon(int64_t id) {
    std::lock_guard<std::mutex> l(mu);
    return pending.erase(id) == 1;
  }

  // Without reconnection a lost connection is final, so there is nothing to wait for.
  bool waitConnected(Clock::time_point deadline) {
    std::unique_lock<std::mutex> l(mu);
    return cv.wait_until(l, deadline, [&] { return connected || stopping || !can_reconnect; }) &&
           connected;
  }

  // A blocking call from the reader thread (a monitor callback) could never see its reply.
  Status checkNotReaderThread(const std::string& method) const {
    if (std::this_thread::get_id() != reader.get_id()) return okStatus();
    return failedPreconditionError("ovsdb: " + method +
                                   " called from a monitor callback would deadlock");
  }

  // A blocking call: waits for the connection, then for the reply, until the deadline.
  StatusOr<Json> callSync(const std::string& method, const Json& params) {
    RETURN_IF_ERROR(checkNotReaderThread(method));
    auto deadline = Clock::now() + options.request_timeout;
    if (!waitConnected(deadline)) {
      return unavailableError("ovsdb: not connected to " + target + " (" + method + ")");
    }
    auto promise = std::make_shared<std::promise<StatusOr<Json>>>();
    auto future = promise->get_future();
    ASSIGN_OR_RETURN(int64_t id, startRequest(method, params, [promise](StatusOr<Json> reply) {
                       promise->set_value(std::move(reply));
                     }));
    if (future.wait_until(deadline) != std::future_status::ready && abandon(id)) {
      return deadlineExceededError("ovsdb: no reply to " + method + " within " +
                                   std::to_string(options.request_timeout.count()) + " ms");
    }
    return future.get();
  }

  Status startMonitor(const std::string& db, const std::string& id, const std::string& method,
                      const Json& requests, MonitorCallback callback) {
    if (!callback) return invalidArgumentError("ovsdb: monitor " + id + " needs a callback");
    RETURN_IF_ERROR(checkNotReaderThread(method));
    auto deadline = Clock::now() + options.request_timeout;
    if (!waitConnected(deadline)) return unavailableError("ovsdb: not connected to " + target);
    auto promise = std::make_shared<std::promise<Status>>();
    auto future = promise->get_future();
    bool update2 = method == "monitor_cond";
    int64_t req_id;
    uint64_t gen;
    {
      std::lock_guard<std::mutex> l(mu);
      if (!connected) return unavailableError("ovsdb: not connected to " + target);
      if (monitors.count(id)) return alreadyExistsError("ovsdb: monitor " + id + " exists");
      monitors[id] = Monitor{db, method, requests, callback};
      req_id = next_id++;
      gen = generation;
      pending[req_id] = [this, id, callback, update2, promise](StatusOr<Json> reply) {
        if (reply.ok()) {
          callback(MonitorEvent{true, update2, *reply});
          promise->set_value(okStatus());
        } else {
          std::lock_guard<std::mutex> l2(mu);
          monitors.erase(id);
          promise->set_value(reply.status());
        }
      };
    }
    send(makeJsonRpcRequest(method, Json::array({db, id, requests}), req_id), gen);
    if (future.wait_until(deadline) != std::future_status::ready && abandon(req_id)) {
      std::lock_guard<std::mutex> l(mu);
      monitors.erase(id);
      return deadlineExceededError("ovsdb: no reply to " + method + " " + id);
    }
    return future.get();
  }

  // ---- reader thread ----

  void resendMonitorsLocked(std::vector<std::pair<int64_t, Json>>* out) {
    for (const auto& [id, m] : monitors) {
      int64_t req_id = next_id++;
      std::string mon_id = id;
      MonitorCallback cb = m.callback;
      bool update2 = m.method == "monitor_cond";
      pending[req_id] = [mon_id, cb, update2](StatusOr<Json> reply) {
        if (reply.ok()) {
          cb(MonitorEvent{true, update2, *reply});
        } else {
          ALOG(Warn, Ovsdb) << "re-establishing monitor " << mon_id << ": " << reply.status();
        }
      };
      out->emplace_back(req_id,
                        makeJsonRpcRequest(m.method, Json::array({m.db, id, m.requests}), req_id));
    }
  }

  void installConnection(UniqueFd new_fd) {
    std::vector<std::pair<int64_t, Json>> resend;
    uint64_t gen;
    {
      std::lock_guard<std::mutex> wl(write_mu);
      std::lock_guard<std::mutex> l(mu);
      fd = std::move(new_fd);
      connected = true;
      gen = ++generation;
      ++connect_count;
      resendMonitorsLocked(&resend);
    }
    splitter.reset();
    last_rx = Clock::now();
    echo_outstanding = false;
    cv.notify_all();
    for (const auto& [id, msg] : resend) send(msg, gen);
  }

  void dropConnection(const std::string& why) {
    std::map<int64_t, ReplyHandler> failed;
    bool shutting_down;
    {
      std::lock_guard<std::mutex> wl(write_mu);
      std::lock_guard<std::mutex> l(mu);
      if (!connected) return;
      fd.reset();
      connected = false;
      failed.swap(pending);
      shutting_down = stopping;
    }
    cv.notify_all();  // callers waiting for a connection that will not come back
    if (!shutting_down) ALOG(Warn, Ovsdb) << "connection to " << target << " lost: " << why;
    for (auto& [id, handler] : failed) {
      handler(unavailableError("ovsdb: connection to " + target + " lost: " + why));
    }
  }

  void dispatch(const Json& value, uint64_t gen) {
    auto msg = parseJsonRpcMessage(value);
    if (!msg.ok()) {
      ALOG(Warn, Ovsdb) << "ignoring message from " << target << ": " << msg.status();
      return;
    }
    switch (msg->kind) {
      case JsonRpcMessage::Kind::kReply: {
        if (!msg->id.is_number_integer()) return;  // our echo replies carry a string id
        ReplyHandler handler;
        {
          std::lock_guard<std::mutex> l(mu);
          auto it = pending.find(msg->id.get<int64_t>());
          if (it == pending.end()) return;  // timed out or unknown: dropped
          handler = std::move(it->second);
          pending.erase(it);
        }
        if (msg->error.is_null()) {
          handler(msg->result);
        } else {
          handler(statusFromOvsdbError(msg->error));
        }
        return;
      }
      case JsonRpcMessage::Kind::kRequest:
        if (msg->method == "echo") {
          send(makeJsonRpcReply(msg->params, msg->id), gen);
        } else {
          send(makeJsonRpcErrorReply("unknown method", msg->id), gen);
        }
        return;
      case JsonRpcMessage::Kind::kNotification: {
        if ((msg->method != "update" && msg->method != "update2") || msg->params.size() < 2 ||
            !msg->params[0].is_string()) {
          return;
        }
        MonitorCallback cb;
        {
          std::lock_guard<std::mutex> l(mu);
          auto it = monitors.find(msg->params[0].get<std::string>());
          if (it == monitors.end()) return;
          cb = it->second.callback;
        }
        cb(MonitorEvent{false, msg->method == "update2", msg->params[1]});
        return;
      }
    }
  }

  // Returns false when the connection ended.
  bool pumpOnce() {
    int sock;
    uint64_t gen;
    {
      std::lock_guard<std::mutex> l(mu);
      sock = fd.get();
      gen = generation;
    }
    int timeout_ms = options.echo_interval.count() > 0
                         ? static_cast<int>(std::min<int64_t>(options.echo_interval.count(), 1000))
                         : -1;
    pollfd fds[2] = {{sock, POLLIN, 0}, {wake.get(), POLLIN, 0}};
    int n = ::poll(fds, 2, timeout_ms);
    if (n < 0 && errno != EINTR) {
      dropConnection(errnoText("poll"));
      return false;
    }
    if (fds[1].revents & POLLIN) {
      uint64_t v;
      (void)!::read(wake.get(), &v, sizeof(v));
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[65536];
      ssize_t got = ::recv(sock, buf, sizeof(buf), 0);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) return true;
      if (got <= 0) {
        dropConnection(got == 0 ? "closed by peer" : errnoText("read"));
        return false;
      }
      last_rx = Clock::now();
      echo_outstanding = false;
      std::vector<Json> values;
      Status s = splitter.feed(std::string_view(buf, static_cast<size_t>(got)), &values);
      for (const Json& v : values) dispatch(v, gen);
      if (!s.ok()) {
        dropConnection(s.message());
        return false;
      }
    }
    if (options.echo_interval.count() > 0) {
      auto idle = Clock::now() - last_rx;
      if (idle >= 2 * options.echo_interval) {
        dropConnection("no message for " + std::to_string(2 * options.echo_interval.count()) +
                       " ms");
        return false;
      }
      if (idle >= options.echo_interval && !echo_outstanding) {
        echo_outstanding = true;
        send(makeJsonRpcRequest("echo", Json::array(), "echo"), gen);
      }
    }
    return true;
  }

  void run() {
    Backoff backoff(options.reconnect_initial, options.reconnect_max);
    while (true) {
      bool is_connected;
      {
        std::lock_guard<std::mutex> l(mu);
        if (stopping) break;
        is_connected = connected;
      }
      if (is_connected) {
        if (!pumpOnce()) backoff.reset();
        continue;
      }
      std::unique_lock<std::mutex> l(mu);
      if (!can_reconnect) {
        cv.wait(l, [&] { return stopping; });
        break;
      }
      auto delay = backoff.nextDelay();
      if (cv.wait_for(l, delay, [&] { return stopping; })) break;
      l.unlock();
      auto stream = connectStream(target);
      if (!stream.ok()) {
        ALOG(Debug, Ovsdb) << "reconnect: " << stream.status();
        continue;
      }
      ALOG(Info, Ovsdb) << "reconnected to " << target;
      installConnection(std::move(stream).value());
      backoff.reset();
    }
    closeGracefully();
    dropConnection("client shut down");
  }

  // Half-closes and reads until the server closes too: closing with unread bytes (a late update)
  // would reset the connection, which ovsdb-server logs as a warning.
  void closeGracefully() {
    int sock;
    {
      std::lock_guard<std::mutex> l(mu);
      if (!connected) return;
      sock = fd.get();
    }
    ::shutdown(sock, SHUT_WR);
    auto until = Clock::now() + std::chrono::milliseconds(500);
    char buf[4096];
    while (Clock::now() < until) {
      pollfd p = {sock, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      ssize_t n = ::recv(sock, buf, sizeof(buf), 0);
      if (n == 0 || (n < 0 && errno != EINTR)) return;
    }
  }
};

OvsdbClientImpl::OvsdbClientImpl(std::unique_ptr<State> state) : state_(std::move(state)) {}

StatusOr<std::unique_ptr<OvsdbClientImpl>> OvsdbClientImpl::connect(const std::string& target,
                                                                    OvsdbClientOptions options) {
  ASSIGN_OR_RETURN(UniqueFd fd, connectStream(target));
  ALOG(Info, Ovsdb) << "connected to " << target;
  return start(fd.release(), target, options, options.reconnect);
}

std::unique_ptr<OvsdbClientImpl> OvsdbClientImpl::adoptFd(int fd, OvsdbClientOptions options) {
  return start(fd, "fd:" + std::to_string(fd), options, /*can_reconnect=*/false);
}

std::unique_ptr<OvsdbClientImpl> OvsdbClientImpl::start(int fd, const std::string& target,
                                                        const OvsdbClientOptions& options,
                                                        bool can_reconnect) {
  auto state = std::make_unique<State>();
  state->target = target;
  state->options = options;
  state->can_reconnect = can_reconnect;
  state->wake.reset(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  State* s = state.get();
  std::unique_ptr<OvsdbClientImpl> client(new OvsdbClientImpl(std::move(state)));
  s->installConnection(UniqueFd(fd));
  s->reader = std::thread([s] { s->run(); });
  return client;
}

OvsdbClientImpl::~OvsdbClientImpl() {
  {
    std::lock_guard<std::mutex> l(state_->mu);
    state_->stopping = true;
  }
  state_->cv.notify_all();
  uint64_t one = 1;
  (void)!::write(state_->wake.get(), &one, sizeof(one));
  if (state_->reader.joinable()) state_->reader.join();
}

StatusOr<Json> OvsdbClientImpl::transact(const std::string& db, const Json& ops) {
  if (!ops.is_array()) return invalidArgumentError("ovsdb: transact ops must be a JSON array");
  Json params = Json::array({db});
  for (const Json& op : ops) params.push_back(op);
  ASSIGN_OR_RETURN(Json result, state_->callSync("transact", params));
  RETURN_IF_ERROR(checkTransactResult(ops, result));
  return result;
}

Status OvsdbClientImpl::monitor(const std::string& db, const std::string& monitor_id,
                                const Json& requests, MonitorCallback callback) {
  return state_->startMonitor(db, monitor_id, "monitor", requests, std::move(callback));
}

Status OvsdbClientImpl::monitorCond(const std::string& db, const std::string& monitor_id,
                                    const Json& requests, MonitorCallback callback) {
  return state_->startMonitor(db, monitor_id, "monitor_cond", requests, std::move(callback));
}

Status OvsdbClientImpl::cancelMonitor(const std::string& monitor_id) {
  {
    std::lock_guard<std::mutex> l(state_->mu);
    if (state_->monitors.erase(monitor_id) == 0) {
      return notFoundError("ovsdb: no monitor " + monitor_id);
    }
  }
  auto r = state_->callSync("monitor_cancel", Json::array({monitor_id}));
  return r.ok() ? okStatus() : r.status();
}

StatusOr<Json> OvsdbClientImpl::call(const std::string& method, const Json& params) {
  return state_->callSync(method, params);
}

bool OvsdbClientImpl::connected() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->connected;
}

int OvsdbClientImpl::connectCount() const {
  std::lock_guard<std::mutex> l(state_->mu);
  return state_->connect_count;
}

}  // namespace alcor::ovsdb
