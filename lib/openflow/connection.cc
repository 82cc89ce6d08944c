// ConnectionImpl: an OpenFlow 1.5 controller session over a unix socket to OVS.
//
// Threads: callers write requests themselves (under write_mu_, in large batches); the reader
// thread parses everything OVS sends, completes waiting requests by xid, answers echoes, and
// reconnects with backoff when the socket dies; the delivery thread runs packet-in and
// reconnect handlers, so a handler may itself send (packetOut) without deadlocking the reader.

#include "lib/openflow/connection.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "lib/base/backoff.h"
#include "lib/base/logging.h"

namespace alcor::openflow {
namespace {

using Clock = std::chrono::steady_clock;

// Splits a byte stream into OpenFlow messages.
class FrameBuffer {
 public:
  // Reads what is available (waiting up to timeout). Error on EOF or socket error.
  Status fill(int fd, int extra_fd, std::chrono::milliseconds timeout, bool* timed_out) {
    *timed_out = false;
    pollfd fds[2] = {{fd, POLLIN, 0}, {extra_fd, POLLIN, 0}};
    int n = ::poll(fds, extra_fd >= 0 ? 2 : 1, static_cast<int>(timeout.count()));
    if (n < 0) return errno == EINTR ? okStatus() : unavailableError(strerror(errno));
    if (n == 0) {
      *timed_out = true;
      return okStatus();
    }
    if (extra_fd >= 0 && fds[1].revents) return cancelledError("connection closing");
    if (buf_.size() - end_ < 65536) compactAndGrow();
    ssize_t r = ::recv(fd, buf_.data() + end_, buf_.size() - end_, 0);
    if (r == 0) return unavailableError("OVS closed the connection");
    if (r < 0) {
      return (errno == EINTR || errno == EAGAIN) ? okStatus() : unavailableError(strerror(errno));
    }
    end_ += static_cast<size_t>(r);
    return okStatus();
  }
  // The next complete message, if any. A header announcing < 8 bytes poisons the stream.
  StatusOr<std::optional<std::vector<uint8_t>>> next() {
    std::span<const uint8_t> avail(buf_.data() + start_, end_ - start_);
    if (avail.size() < kOfpHeaderLen) return std::optional<std::vector<uint8_t>>();
    size_t len = messageLength(avail);
    if (len < kOfpHeaderLen) return dataLossError("bad OpenFlow length in stream");
    if (avail.size() < len) return std::optional<std::vector<uint8_t>>();
    std::vector<uint8_t> msg(avail.begin(), avail.begin() + len);
    start_ += len;
    return std::optional<std::vector<uint8_t>>(std::move(msg));
  }

 private:
  void compactAndGrow() {
    std::memmove(buf_.data(), buf_.data() + start_, end_ - start_);
    end_ -= start_;
    start_ = 0;
    if (buf_.size() - end_ < 65536) buf_.resize(buf_.size() * 2);
  }
  std::vector<uint8_t> buf_ = std::vector<uint8_t>(1 << 17);
  size_t start_ = 0;
  size_t end_ = 0;
};

Status writeFd(int fd, const uint8_t* data, size_t len) {
  while (len > 0) {
    ssize_t w = ::send(fd, data, len, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return unavailableError(std::string("write to OVS failed: ") + strerror(errno));
    }
    data += w;
    len -= static_cast<size_t>(w);
  }
  return okStatus();
}

Status errorStatus(const Error& e) {
  return failedPreconditionError("OVS rejected the request: " + errorText(e));
}

}  // namespace

// A request waiting for its reply. Errors for any xid in [lo, hi] land here too.
struct ConnectionImpl::Pending {
  uint32_t lo = 0, hi = 0;
  bool done = false;
  Status status;            // first error
  std::vector<Flow> flows;  // dump replies
  std::condition_variable cv;
};

ConnectionImpl::ConnectionImpl(std::string path, ConnectionOptions options)
    : path_(std::move(path)), options_(options) {}

StatusOr<std::unique_ptr<ConnectionImpl>> ConnectionImpl::connect(const std::string& target,
                                                                  ConnectionOptions options) {
  if (target.rfind("unix:", 0) != 0) {
    return invalidArgumentError("OpenFlow target must be unix:<path>, got \"" + target + "\"");
  }
  std::unique_ptr<ConnectionImpl> c(new ConnectionImpl(target.substr(5), options));
  if (::pipe2(c->wake_pipe_, O_CLOEXEC) != 0) return internalError("pipe2 failed");
  RETURN_IF_ERROR(c->openSocket());
  c->reader_ = std::thread([p = c.get()] { p->readerLoop(); });
  c->delivery_ = std::thread([p = c.get()] { p->deliveryLoop(); });
  return c;
}

ConnectionImpl::~ConnectionImpl() {
  stopping_ = true;
  if (wake_pipe_[1] >= 0) (void)!::write(wake_pipe_[1], "x", 1);
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    if (fd_.valid()) ::shutdown(fd_.get(), SHUT_RDWR);
  }
  if (reader_.joinable()) reader_.join();
  callback_cv_.notify_all();
  if (delivery_.joinable()) delivery_.join();
  for (int fd : wake_pipe_) {
    if (fd >= 0) ::close(fd);
  }
}

Status ConnectionImpl::openSocket() {
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return internalError(std::string("socket: ") + strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path_.size() >= sizeof addr.sun_path) return invalidArgumentError("socket path too long");
  std::memcpy(addr.sun_path, path_.c_str(), path_.size() + 1);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return unavailableError("connect " + path_ + ": " + strerror(errno));
  }
  // A hung peer must not block writers forever.
  timeval tv{static_cast<time_t>(options_.request_timeout.count() / 1000),
             static_cast<suseconds_t>(options_.request_timeout.count() % 1000 * 1000)};
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  int sndbuf = 4 << 20;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  // Handshake, synchronously: hello, then ask for NXT_PACKET_IN2 and packet-ins on this service
  // connection (miss_send_len != 0), read the datapath id, and fence with a barrier.
  std::vector<uint8_t> out;
  encodeTo(Message{0, Hello{}}, out);
  RETURN_IF_ERROR(writeFd(fd.get(), out.data(), out.size()));
  FrameBuffer frames;
  auto deadline = Clock::now() + options_.request_timeout;
  bool hello_seen = false;
  const uint32_t barrier_xid = nextXid();
  while (true) {
    auto raw = frames.next();
    if (!raw.ok()) return raw.status();
    if (!raw->has_value()) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) return deadlineExceededError("OpenFlow handshake timed out");
      bool timed_out;
      RETURN_IF_ERROR(frames.fill(fd.get(), -1, left, &timed_out));
      continue;
    }
    auto msg = decode(**raw);
    if (!msg.ok()) {
      if (!hello_seen) return msg.status().withContext("OpenFlow handshake");
      continue;  // something we do not model; harmless during the handshake
    }
    if (auto* hello = std::get_if<Hello>(&msg->body)) {
      if (msg->version < kOfpVersion15 && !(hello->version_bitmap & (1u << kOfpVersion15))) {
        return failedPreconditionError("OVS does not offer OpenFlow 1.5");
      }
      hello_seen = true;
      out.clear();
      encodeTo(Message{nextXid(), SetPacketInFormat{}}, out);
      encodeTo(Message{nextXid(), SetConfig{}}, out);
      encodeTo(Message{nextXid(), FeaturesRequest{}}, out);
      encodeTo(Message{barrier_xid, BarrierRequest{}}, out);
      RETURN_IF_ERROR(writeFd(fd.get(), out.data(), out.size()));
    } else if (auto* err = std::get_if<Error>(&msg->body)) {
      return errorStatus(*err).withContext("OpenFlow handshake");
    } else if (auto* echo = std::get_if<EchoRequest>(&msg->body)) {
      out = encode(Message{msg->xid, EchoReply{echo->data}});
      RETURN_IF_ERROR(writeFd(fd.get(), out.data(), out.size()));
    } else if (auto* features = std::get_if<FeaturesReply>(&msg->body)) {
      datapath_id_ = features->datapath_id;
    } else if (std::holds_alternative<BarrierReply>(msg->body) && msg->xid == barrier_xid) {
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    fd_ = std::move(fd);
  }
  {
    std::lock_guard<std::mutex> lock(pending_mu_);
    ++connection_epoch_;
  }
  connected_ = true;
  ALOG(Info, Openflow) << "connected to " << path_;
  return okStatus();
}

uint32_t ConnectionImpl::nextXid(uint32_t count) {
  uint32_t xid = xid_.fetch_add(count);
  if (xid == 0 || xid + count < xid) xid = xid_.fetch_add(count);  // skip 0 and wrap
  return xid;
}

Status ConnectionImpl::writeAll(const std::vector<uint8_t>& bytes) {
  std::lock_guard<std::mutex> lock(write_mu_);
  if (!fd_.valid() || !connected_) return unavailableError("not connected to " + path_);
  return writeFd(fd_.get(), bytes.data(), bytes.size());
}

std::shared_ptr<ConnectionImpl::Pending> ConnectionImpl::expect(uint32_t xid) {
  auto p = std::make_shared<Pending>();
  p->lo = p->hi = xid;
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_[xid] = p;
  return p;
}

Status ConnectionImpl::await(const std::shared_ptr<Pending>& p) {
  std::unique_lock<std::mutex> lock(pending_mu_);
  bool done = p->cv.wait_for(lock, options_.request_timeout, [&] { return p->done; });
  pending_.erase(p->lo);
  if (!done) return deadlineExceededError("no reply from OVS within the request timeout");
  return p->status;
}

Status ConnectionImpl::roundTrip(const std::vector<uint8_t>& bytes, uint32_t reply_xid) {
  auto p = expect(reply_xid);
  Status s = writeAll(bytes);
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.erase(reply_xid);
    return s;
  }
  return await(p);
}

Status ConnectionImpl::barrier() {
  uint32_t xid = nextXid();
  return roundTrip(encode(Message{xid, BarrierRequest{}}), xid);
}

Status ConnectionImpl::send(const std::vector<FlowMod>& mods) {
  // Errors for any of the mods' xids are collected by a range entry keyed by the first xid.
  uint32_t first = nextXid(static_cast<uint32_t>(mods.size()) + 1);
  auto errors = expect(first);
  errors->hi = first + static_cast<uint32_t>(mods.size());
  std::vector<uint8_t> buf;
  Status s;
  for (size_t i = 0; i < mods.size() && s.ok(); ++i) {
    encodeTo(Message{first + 1 + static_cast<uint32_t>(i), mods[i]}, buf);
    if (buf.size() >= options_.max_send_buffer) s = writeAll(buf), buf.clear();
  }
  if (s.ok()) s = writeAll(buf);
  if (s.ok()) s = barrier();
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_.erase(first);
  return s.ok() ? errors->status : s;
}

Status ConnectionImpl::bundle(const std::vector<FlowMod>& mods) {
  return bundleOf(mods.size(), [&](size_t i, uint32_t xid, uint32_t bundle_id, uint16_t flags,
                                   std::vector<uint8_t>& out) {
    encodeTo(Message{xid, BundleAdd{bundle_id, flags, mods[i]}}, out);
  });
}

Status ConnectionImpl::bundlePacked(std::span<const PackedFlowMod> mods) {
  return bundleOf(mods.size(), [&](size_t i, uint32_t xid, uint32_t bundle_id, uint16_t flags,
                                   std::vector<uint8_t>& out) {
    encodeBundleAddTo(xid, bundle_id, flags, mods[i], out);
  });
}

Status ConnectionImpl::bundleOf(size_t count, const BundleAddEncoder& encode_add) {
  if (count == 0) return okStatus();
  const uint32_t bundle_id = nextXid();
  const uint16_t flags = kBundleAtomic | kBundleOrdered;
  const uint32_t open_xid = nextXid();
  auto open = expect(open_xid);
  uint32_t first = nextXid(static_cast<uint32_t>(count));
  auto adds = expect(first);
  adds->hi = first + static_cast<uint32_t>(count) - 1;
  auto forget = [&] {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.erase(open_xid);
    pending_.erase(first);
  };

  // Open and every add are pipelined; a barrier then proves OVS has validated all adds.
  std::vector<uint8_t> buf;
  buf.reserve(std::min<size_t>(options_.max_send_buffer + 4096, count * 160 + 64));
  encodeTo(Message{open_xid, BundleControl{bundle_id, BundleControl::kOpenRequest, flags}}, buf);
  Status s;
  for (size_t i = 0; i < count && s.ok(); ++i) {
    encode_add(i, first + static_cast<uint32_t>(i), bundle_id, flags, buf);
    if (buf.size() >= options_.max_send_buffer) s = writeAll(buf), buf.clear();
  }
  if (s.ok()) s = writeAll(buf);
  if (s.ok()) s = barrier();
  if (s.ok()) s = await(open);
  if (!s.ok()) {
    forget();
    return s;
  }
  auto addStatus = [&] {
    std::lock_guard<std::mutex> lock(pending_mu_);
    return adds->status;
  };
  if (Status add_status = addStatus(); !add_status.ok()) {
    forget();
    uint32_t xid = nextXid();
    (void)roundTrip(
        encode(Message{xid, BundleControl{bundle_id, BundleControl::kDiscardRequest, flags}}), xid);
    return add_status;
  }
  // Some checks (e.g. that an output group exists) only run at commit; OVS then reports the
  // offending add's xid before failing the commit, so the adds entry stays registered.
  uint32_t commit_xid = nextXid();
  s = roundTrip(
      encode(Message{commit_xid, BundleControl{bundle_id, BundleControl::kCommitRequest, flags}}),
      commit_xid);
  Status add_status = addStatus();
  forget();
  if (!s.ok() && !add_status.ok()) {
    return Status(s.code(), s.message() + "; " + add_status.message());
  }
  return s;
}

StatusOr<std::vector<Flow>> ConnectionImpl::dumpFlows(uint8_t table, uint64_t cookie,
                                                      uint64_t cookie_mask) {
  uint32_t xid = nextXid();
  FlowStatsRequest req;
  req.table = table;
  req.cookie = cookie;
  req.cookie_mask = cookie_mask;
  auto p = expect(xid);
  Status s = writeAll(encode(Message{xid, req}));
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_.erase(xid);
    return s;
  }
  RETURN_IF_ERROR(await(p));
  return std::move(p->flows);
}

Status ConnectionImpl::requestWithBarrier(const Message& request) {
  std::vector<uint8_t> buf;
  uint32_t xid = nextXid(2);
  Message m = request;
  m.xid = xid;
  encodeTo(m, buf);
  encodeTo(Message{xid + 1, BarrierRequest{}}, buf);
  auto errors = expect(xid);  // an error for the request lands here; the barrier completes
  Status s = roundTrip(buf, xid + 1);
  std::lock_guard<std::mutex> lock(pending_mu_);
  pending_.erase(xid);
  return s.ok() ? errors->status : s;
}

Status ConnectionImpl::groupMod(const GroupMod& mod) { return requestWithBarrier(Message{0, mod}); }

Status ConnectionImpl::packetOut(const PacketOut& packet) {
  return requestWithBarrier(Message{0, packet});
}

void ConnectionImpl::setPacketInHandler(std::function<void(const PacketIn&)> handler) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  packet_in_handler_ = std::move(handler);
}

void ConnectionImpl::setReconnectHandler(std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  reconnect_handler_ = std::move(handler);
}

void ConnectionImpl::setDisconnectHandler(std::function<void()> handler) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  disconnect_handler_ = std::move(handler);
}

void ConnectionImpl::enqueueHandler(std::function<void()> ConnectionImpl::*handler) {
  enqueueCallback(
      [this, handler] {
        std::function<void()> fn;
        {
          std::lock_guard<std::mutex> lock(callback_mu_);
          fn = this->*handler;  // as set when it runs
        }
        if (fn) fn();
      },
      false);
}

void ConnectionImpl::enqueueCallback(std::function<void()> fn, bool is_packet_in) {
  std::lock_guard<std::mutex> lock(callback_mu_);
  if (is_packet_in) {
    if (queued_packet_ins_ >= options_.max_pending_packet_ins) {
      ALOG(Warn, Openflow) << "packet-in queue full; dropping a packet-in";
      return;
    }
    ++queued_packet_ins_;
  }
  callbacks_.emplace_back(is_packet_in, std::move(fn));
  callback_cv_.notify_one();
}

void ConnectionImpl::deliveryLoop() {
  std::unique_lock<std::mutex> lock(callback_mu_);
  while (true) {
    callback_cv_.wait(lock, [&] { return stopping_ || !callbacks_.empty(); });
    if (stopping_) return;
    auto [is_packet_in, fn] = std::move(callbacks_.front());
    callbacks_.pop_front();
    if (is_packet_in) --queued_packet_ins_;
    lock.unlock();
    fn();
    lock.lock();
  }
}

void ConnectionImpl::handleMessage(Message&& msg) {
  if (auto* echo = std::get_if<EchoRequest>(&msg.body)) {
    (void)writeAll(encode(Message{msg.xid, EchoReply{echo->data}}));
    return;
  }
  if (auto* pin = std::get_if<PacketIn>(&msg.body)) {
    auto shared = std::make_shared<PacketIn>(std::move(*pin));
    enqueueCallback(
        [this, shared] {
          std::function<void(const PacketIn&)> handler;
          {
            std::lock_guard<std::mutex> lock(callback_mu_);
            handler = packet_in_handler_;
          }
          if (handler) handler(*shared);
        },
        true);
    return;
  }
  std::lock_guard<std::mutex> lock(pending_mu_);
  std::shared_ptr<Pending> p = findPending(msg.xid);
  if (!p) return;  // late reply for an abandoned request
  if (auto* err = std::get_if<Error>(&msg.body)) {
    // Keep every error text: a failed bundle commit says OFPBFC_MSG_FAILED while the error
    // for the offending flow_mod says why.
    if (p->status.ok()) {
      p->status = errorStatus(*err);
    } else {
      p->status = Status(p->status.code(), p->status.message() + "; " + errorText(*err));
    }
    if (p->lo == p->hi || msg.xid == p->hi) p->done = true;
  } else if (auto* reply = std::get_if<FlowStatsReply>(&msg.body)) {
    for (auto& f : reply->flows) p->flows.push_back(std::move(f));
    if (!reply->more) p->done = true;
  } else if (msg.xid == p->hi) {
    p->done = true;
  }
  if (p->done) p->cv.notify_all();
}

std::shared_ptr<ConnectionImpl::Pending> ConnectionImpl::findPending(uint32_t xid) {
  // Exact xid first, else the range entry (bundle adds, batched flow mods) holding it.
  auto it = pending_.upper_bound(xid);
  if (it == pending_.begin()) return nullptr;
  --it;
  return (it->second->lo <= xid && xid <= it->second->hi) ? it->second : nullptr;
}

void ConnectionImpl::failPending(uint32_t xid, const Status& status) {
  std::lock_guard<std::mutex> lock(pending_mu_);
  auto p = findPending(xid);
  if (!p) return;
  if (p->status.ok()) p->status = status;
  p->done = true;
  p->cv.notify_all();
}

void ConnectionImpl::connectionLost(const Status& why) {
  ALOG(Warn, Openflow) << "connection to " << path_ << " lost: " << why;
  connected_ = false;
  {
    std::lock_guard<std::mutex> lock(write_mu_);
    fd_.reset();
  }
  std::lock_guard<std::mutex> lock(pending_mu_);
  for (auto& [xid, p] : pending_) {
    if (p->status.ok()) p->status = unavailableError("connection to OVS lost: " + why.message());
    p->done = true;
    p->cv.notify_all();
  }
}

void ConnectionImpl::readerLoop() {
  Backoff backoff(options_.reconnect_initial, options_.reconnect_max);
  while (!stopping_) {
    int fd;
    {
      std::lock_guard<std::mutex> lock(write_mu_);
      fd = fd_.get();
    }
    FrameBuffer frames;
    bool echo_outstanding = false;
    Status why;
    while (!stopping_ && why.ok()) {
      bool timed_out = false;
      why = frames.fill(fd, wake_pipe_[0], options_.echo_interval, &timed_out);
      if (!why.ok()) break;
      if (timed_out) {
        if (echo_outstanding) {
          why = unavailableError("no echo reply from OVS");
          break;
        }
        echo_outstanding = true;
        (void)writeAll(encode(Message{nextXid(), EchoRequest{}}));
        continue;
      }
      echo_outstanding = false;
      while (true) {
        auto raw = frames.next();
        if (!raw.ok()) {
          why = raw.status();
          break;
        }
        if (!raw->has_value()) break;
        auto msg = decode(**raw);
        if (!msg.ok()) {
          // A reply we cannot decode must still end the wait of its request.
          const auto& b = **raw;
          uint32_t xid =
              (uint32_t{b[4]} << 24) | (uint32_t{b[5]} << 16) | (uint32_t{b[6]} << 8) | b[7];
          ALOG(Warn, Openflow) << "undecodable message from OVS (type " << int(b[1]) << ", xid "
                               << xid << "): " << msg.status();
          failPending(xid, msg.status().withContext("undecodable reply from OVS"));
          continue;
        }
        handleMessage(std::move(*msg));
      }
    }
    if (stopping_) break;
    connectionLost(why);
    enqueueHandler(&ConnectionImpl::disconnect_handler_);
    if (!options_.reconnect) break;
    backoff.reset();
    while (!stopping_) {
      pollfd pfd{wake_pipe_[0], POLLIN, 0};
      ::poll(&pfd, 1, static_cast<int>(backoff.nextDelay().count()));
      if (stopping_) break;
      Status s = openSocket();
      if (s.ok()) {
        enqueueHandler(&ConnectionImpl::reconnect_handler_);
        break;
      }
      ALOG(Debug, Openflow) << "reconnect to " << path_ << " failed: " << s;
    }
  }
}

}  // namespace alcor::openflow
