#include "node-agent/zeta/oam_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "lib/base/logging.h"
#include "node-agent/pipeline/zeta_flows.h"

namespace alcor::agent::zeta {

namespace {

// Logs the 1st, 2nd, 4th, 8th ... occurrence: a flood of garbage cannot flood the log.
bool worthLogging(uint64_t count) { return (count & (count - 1)) == 0; }

pipeline::DirectPath toDirectPath(const OamMessage& m) {
  pipeline::DirectPath p;
  p.vni = m.key.vni;
  p.src_ip = m.key.src_ip;
  p.dst_ip = m.key.dst_ip;
  p.protocol = m.key.protocol;
  p.src_port = m.key.src_port;
  p.dst_port = m.key.dst_port;
  p.instance_mac = m.instance_mac;
  p.node_ip = m.node_ip;
  p.idle_timeout = m.idle_timeout;
  return p;
}

// The Zeta gateway serving `vni` on this host, if the VNI has a local port.
const Gateway* localZetaGateway(const NetworkState& state, uint32_t vni) {
  if (!state.localVnis().count(vni)) return nullptr;
  const Vpc* vpc = pipeline::vpcOfVni(state, vni);
  return vpc ? pipeline::zetaGatewayOf(state, *vpc) : nullptr;
}

}  // namespace

void OamHandler::drop(uint64_t OamStats::*counter, const std::string& why) {
  uint64_t count;
  {
    std::lock_guard lock(mu_);
    count = ++(stats_.*counter);
  }
  if (worthLogging(count)) ALOG(Warn, Zeta) << "dropped OAM message (" << count << "): " << why;
}

void OamHandler::countMalformed() { drop(&OamStats::malformed, "oversized datagram"); }

void OamHandler::handle(const uint8_t* data, size_t size, Ipv4Address sender, uint16_t local_port) {
  {
    std::lock_guard lock(mu_);
    ++stats_.received;
  }
  auto decoded = decodeOam(data, size);
  if (!decoded.ok()) return drop(&OamStats::malformed, decoded.status().message());
  const OamMessage& m = *decoded;

  std::string refused;
  dataplane_.read([&](const NetworkState& state) {
    const Gateway* gw = localZetaGateway(state, m.key.vni);
    if (!gw) {
      refused = "VNI " + std::to_string(m.key.vni) + " has no local port behind a Zeta gateway";
      return;
    }
    bool from_fwd = false;
    for (const auto& d : gw->destinations) from_fwd = from_fwd || d.ip == sender;
    if (!from_fwd)
      refused = "sender " + sender.toString() + " is not a FWD of " + gw->id;
    else if (gw->oam_port != local_port) {
      refused = "port " + std::to_string(local_port) + " is not the OAM port of " + gw->id;
    }
  });
  if (!refused.empty()) return drop(&OamStats::unexpected, refused + ": " + formatOam(m));

  const pipeline::DirectPath path = toDirectPath(m);
  Status s = m.op == OamOp::kInject ? paths_.inject(path) : paths_.remove(path);
  std::lock_guard lock(mu_);
  if (!s.ok()) {
    ++stats_.failed;
    ALOG(Error, Zeta) << "direct path " << formatOam(m) << ": " << s.message();
    return;
  }
  if (m.op == OamOp::kInject) {
    ++stats_.injected;
    vnis_with_paths_.insert(m.key.vni);
  } else {
    ++stats_.deleted;
  }
  ALOG(Debug, Zeta) << "applied " << formatOam(m);
}

void OamHandler::prune() {
  std::set<uint32_t> candidates;
  {
    std::lock_guard lock(mu_);
    candidates = vnis_with_paths_;
  }
  std::set<uint32_t> gone;
  dataplane_.read([&](const NetworkState& state) {
    for (uint32_t vni : candidates) {
      if (!localZetaGateway(state, vni)) gone.insert(vni);
    }
  });
  for (uint32_t vni : gone) {
    if (Status s = paths_.removeVni(vni); !s.ok()) {
      ALOG(Error, Zeta) << "removing direct paths of VNI " << vni << ": " << s.message();
      continue;
    }
    ALOG(Info, Zeta) << "removed the direct paths of VNI " << vni;
    std::lock_guard lock(mu_);
    vnis_with_paths_.erase(vni);
  }
}

std::set<uint16_t> OamHandler::wantedPorts() const {
  std::set<uint16_t> ports;
  dataplane_.read([&](const NetworkState& state) {
    for (uint32_t vni : state.localVnis()) {
      const Gateway* gw = localZetaGateway(state, vni);
      if (gw && gw->oam_port != 0) ports.insert(gw->oam_port);
    }
  });
  return ports;
}

OamStats OamHandler::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

OamServer::~OamServer() { stop(); }

Status OamServer::start() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) {
    return internalError(std::string("pipe: ") + std::strerror(errno));
  }
  wake_read_.reset(fds[0]);
  wake_write_.reset(fds[1]);
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
  return okStatus();
}

void OamServer::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  const char byte = 1;
  [[maybe_unused]] auto n = write(wake_write_.get(), &byte, 1);
  thread_.join();
  sockets_.clear();
  std::lock_guard lock(mu_);
  listening_.clear();
}

std::set<uint16_t> OamServer::listeningPorts() const {
  std::lock_guard lock(mu_);
  return listening_;
}

namespace {

StatusOr<UniqueFd> openUdpSocket(const std::string& bind_ip, uint16_t port) {
  UniqueFd fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return internalError(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_ANY);
  if (!bind_ip.empty()) {
    ASSIGN_OR_RETURN(Ipv4Address ip, Ipv4Address::parse(bind_ip));
    addr.sin_addr.s_addr = htonl(ip.value());
  }
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return unavailableError("bind " + (bind_ip.empty() ? "*" : bind_ip) + ":" +
                            std::to_string(port) + ": " + std::strerror(errno));
  }
  return fd;
}

}  // namespace

void OamServer::refresh() {
  handler_.prune();
  const std::set<uint16_t> wanted = handler_.wantedPorts();
  for (auto it = sockets_.begin(); it != sockets_.end();) {
    if (wanted.count(it->first)) {
      ++it;
      continue;
    }
    ALOG(Info, Zeta) << "no Zeta gateway uses OAM port " << it->first << " any more";
    it = sockets_.erase(it);
  }
  for (uint16_t port : wanted) {
    if (sockets_.count(port)) continue;
    auto fd = openUdpSocket(options_.bind_ip, port);
    if (!fd.ok()) {
      if (failed_ports_.insert(port).second) ALOG(Error, Zeta) << fd.status().message();
      continue;  // retried on the next refresh
    }
    failed_ports_.erase(port);
    ALOG(Info, Zeta) << "listening for Zeta OAM messages on UDP port " << port;
    sockets_[port] = std::move(*fd);
  }
  std::lock_guard lock(mu_);
  listening_.clear();
  for (const auto& [port, fd] : sockets_) listening_.insert(port);
}

void OamServer::receive(uint16_t port, int fd) {
  // Larger than any OAM message: anything longer is counted as malformed.
  uint8_t buffer[256];
  for (int i = 0; i < 64; ++i) {  // bounded: other sockets and refreshes get their turn
    sockaddr_in from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(fd, buffer, sizeof(buffer), MSG_TRUNC, reinterpret_cast<sockaddr*>(&from),
                         &from_len);
    if (n < 0) return;  // EAGAIN (drained) or a transient error
    if (static_cast<size_t>(n) > sizeof(buffer)) {
      handler_.countMalformed();
      continue;
    }
    handler_.handle(buffer, static_cast<size_t>(n), Ipv4Address(ntohl(from.sin_addr.s_addr)), port);
  }
}

void OamServer::loop() {
  auto next_refresh = std::chrono::steady_clock::now();
  while (!stopping_) {
    if (std::chrono::steady_clock::now() >= next_refresh) {
      refresh();
      next_refresh = std::chrono::steady_clock::now() + options_.refresh;
    }
    std::vector<pollfd> fds;
    std::vector<uint16_t> ports;
    fds.push_back({wake_read_.get(), POLLIN, 0});
    for (const auto& [port, fd] : sockets_) {
      fds.push_back({fd.get(), POLLIN, 0});
      ports.push_back(port);
    }
    const int timeout = static_cast<int>(options_.refresh.count());
    if (poll(fds.data(), fds.size(), timeout) <= 0) continue;
    if (fds[0].revents) break;
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].revents & POLLIN) receive(ports[i - 1], fds[i].fd);
    }
  }
}

}  // namespace alcor::agent::zeta
