#include "node-agent/ondemand/ondemand_resolver.h"

#include <algorithm>

#include "lib/base/logging.h"
#include "lib/base/uuid.h"
#include "lib/packet/packet.h"

namespace alcor::agent {

using Clock = std::chrono::steady_clock;

std::optional<OnDemandQuery> queryFromFrame(const std::vector<uint8_t>& frame, uint32_t in_port,
                                            const NetworkState& state) {
  auto parsed = packet::parsePacket(frame);
  if (!parsed.ok()) return std::nullopt;
  OnDemandQuery q;
  q.in_port = in_port;
  auto vniOf = [&](const std::string& port_id) {
    auto port = state.ports.find(port_id);
    if (port != state.ports.end()) q.vni = state.vniOfPort(port->second);
  };
  for (const auto& [port_id, iface] : state.interfaces) {
    if (iface.ofport == in_port) vniOf(port_id);
  }
  // The node asks through its host gateway like a pod does.
  for (const auto& [vpc_id, gateway] : state.host_gateways) {
    if (gateway.ofport == in_port) vniOf(gateway.port_id);
  }
  if (q.vni == 0) return std::nullopt;  // not a pod or gateway port of a known VPC
  if (parsed->arp) {
    if (parsed->arp->op != packet::kArpRequest || parsed->arp->isGratuitous()) return std::nullopt;
    q.arp = true;
    q.source_ip = parsed->arp->sender_ip;
    q.destination_ip = parsed->arp->target_ip;
    return q;
  }
  if (!parsed->ipv4) return std::nullopt;
  q.source_ip = parsed->ipv4->src;
  q.destination_ip = parsed->ipv4->dst;
  q.ip_protocol = parsed->ipv4->protocol;
  if (parsed->tcp) {
    q.source_port = parsed->tcp->src_port;
    q.destination_port = parsed->tcp->dst_port;
  } else if (parsed->udp) {
    q.source_port = parsed->udp->src_port;
    q.destination_port = parsed->udp->dst_port;
  }
  return q;
}

void fillStateRequest(const OnDemandQuery& q, const std::string& request_id,
                      schema::HostRequest::ResourceStateRequest& out) {
  out.set_request_type(schema::ON_DEMAND);
  out.set_request_id(request_id);
  out.set_tunnel_id(q.vni);
  out.set_source_ip(q.source_ip.toString());
  out.set_source_port(q.source_port);
  out.set_destination_ip(q.destination_ip.toString());
  out.set_destination_port(q.destination_port);
  out.set_ethertype(schema::IPV4);
  switch (q.ip_protocol) {
    case 6:
      out.set_protocol(schema::TCP);
      break;
    case 17:
      out.set_protocol(schema::UDP);
      break;
    case 1:
      out.set_protocol(schema::ICMP);
      break;
    default:
      out.set_protocol(schema::ARP);
      break;  // ARP, and Alcor has no "other"
  }
}

bool PortRateLimiter::allow(uint32_t port, Clock::time_point now) {
  auto [it, fresh] = buckets_.try_emplace(port, Bucket{burst_, now});
  Bucket& b = it->second;
  if (!fresh) {
    double elapsed = std::chrono::duration<double>(now - b.last).count();
    b.tokens = std::min(burst_, b.tokens + elapsed * rate_);
    b.last = now;
  }
  if (b.tokens < 1.0) return false;
  b.tokens -= 1.0;
  return true;
}

OnDemandResolver::OnDemandResolver(Dataplane& dataplane, openflow::Connection& openflow,
                                   OnDemandClient& client, OnDemandOptions options)
    : dataplane_(dataplane),
      openflow_(openflow),
      client_(client),
      options_(options),
      limiter_(options.per_port_rate, options.per_port_burst) {
  worker_ = std::thread([this] { workerLoop(); });
}

OnDemandResolver::~OnDemandResolver() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void OnDemandResolver::handlePacketIn(const openflow::PacketIn& packet_in) {
  std::optional<OnDemandQuery> query;
  if (packet_in.match.in_port) {
    dataplane_.read([&](const NetworkState& state) {
      query = queryFromFrame(packet_in.data, *packet_in.match.in_port, state);
    });
  }
  const auto now = Clock::now();
  std::lock_guard lock(mu_);
  ++stats_.packet_ins;
  if (!query) {
    ++stats_.ignored;
    return;
  }
  const Key key{query->vni, query->destination_ip.value()};
  if (auto it = pending_.find(key); it != pending_.end()) {
    ++stats_.merged;
    if (it->second.frames.size() < options_.frames_per_query) {
      it->second.frames.push_back(packet_in.data);
      it->second.frame_ports.push_back(query->in_port);
    }
    return;
  }
  if (auto it = unroutable_until_.find(key); it != unroutable_until_.end()) {
    if (now < it->second) {
      ++stats_.negative_hits;
      return;
    }
    unroutable_until_.erase(it);
  }
  if (!limiter_.allow(query->in_port, now)) {
    ++stats_.rate_limited;
    return;
  }
  if (queue_.size() >= options_.queue_capacity) {
    ++stats_.queue_full;
    return;
  }
  Pending& p = pending_[key];
  p.query = *query;
  p.frames.push_back(packet_in.data);
  p.frame_ports.push_back(query->in_port);
  queue_.push_back(key);
  cv_.notify_one();
}

void OnDemandResolver::workerLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::vector<Key> batch;
    while (!queue_.empty() && batch.size() < options_.max_batch) {
      batch.push_back(queue_.front());
      queue_.pop_front();
      pending_[batch.back()].in_flight = true;
    }
    resolving_ = true;
    lock.unlock();
    resolveBatch(std::move(batch));
    lock.lock();
    resolving_ = false;
    if (idleLocked()) idle_cv_.notify_all();
  }
}

void OnDemandResolver::resolveBatch(std::vector<Key> keys) {
  schema::HostRequest request;
  request.set_format_version(1);
  std::map<std::string, Key> by_id;
  {
    std::lock_guard lock(mu_);
    for (const Key& key : keys) {
      std::string id = newUuid();
      fillStateRequest(pending_.at(key).query, id, *request.add_state_requests());
      by_id.emplace(id, key);
    }
    ++stats_.requests;
  }
  auto reply = client_.requestGoalStates(request);
  std::set<Key> resolved;
  if (reply.ok()) {
    for (const auto& st : reply->operation_statuses()) {
      auto it = by_id.find(st.request_id());
      if (it != by_id.end() && st.operation_status() == schema::SUCCESS)
        resolved.insert(it->second);
    }
  } else {
    ALOG(Warn, OnDemand) << "on-demand request failed: " << reply.status().message();
  }
  std::vector<std::pair<uint32_t, std::vector<uint8_t>>> frames;
  {
    std::lock_guard lock(mu_);
    if (!reply.ok()) ++stats_.errors;
    const auto until = Clock::now() + options_.negative_ttl;
    for (const Key& key : keys) {
      Pending p = std::move(pending_.at(key));
      pending_.erase(key);
      if (!resolved.count(key)) {
        ++stats_.unresolved;
        unroutable_until_[key] = until;
        continue;
      }
      ++stats_.resolved;
      for (size_t i = 0; i < p.frames.size(); ++i) {
        frames.emplace_back(p.frame_ports[i], std::move(p.frames[i]));
      }
    }
  }
  for (auto& [port, frame] : frames) reinject(port, std::move(frame));
  ALOG(Debug, OnDemand) << "on-demand: " << keys.size() << " quer(ies), " << resolved.size()
                        << " resolved";
}

// Back in at table 0 as if the pod sent it again: the flows the controller just pushed answer.
void OnDemandResolver::reinject(uint32_t in_port, std::vector<uint8_t> frame) {
  openflow::PacketOut out;
  out.in_port = in_port;
  out.actions = {openflow::output(openflow::kPortTable)};
  out.data = std::move(frame);
  Status s = openflow_.packetOut(out);
  std::lock_guard lock(mu_);
  if (s.ok()) {
    ++stats_.reinjected;
  } else {
    ALOG(Warn, OnDemand) << "re-injecting a resolved frame failed: " << s.message();
  }
}

OnDemandStats OnDemandResolver::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

bool OnDemandResolver::waitIdle(Clock::time_point deadline) {
  std::unique_lock lock(mu_);
  return idle_cv_.wait_until(lock, deadline, [&] { return idleLocked(); });
}

bool OnDemandResolver::idleLocked() const {
  // Not while a batch is out: its frames are re-injected after it left pending_.
  return queue_.empty() && pending_.empty() && !resolving_;
}

}  // namespace alcor::agent
