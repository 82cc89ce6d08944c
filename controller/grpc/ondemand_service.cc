#include "controller/grpc/ondemand_service.h"

#include "lib/base/logging.h"
#include "lib/security/grpc_tls.h"

namespace alcor::controller {

std::string peerIpv4(const std::string& peer) {
  std::string rest;
  if (peer.rfind("ipv4:", 0) == 0) {
    rest = peer.substr(5);
  } else if (peer.rfind("ipv6:[::ffff:", 0) == 0) {
    rest = peer.substr(13);
    auto bracket = rest.find(']');
    if (bracket == std::string::npos) return "";
    rest = rest.substr(0, bracket) + ":";
  } else {
    return "";
  }
  auto colon = rest.rfind(':');
  std::string ip = colon == std::string::npos ? rest : rest.substr(0, colon);
  return Ipv4Address::parse(ip).ok() ? ip : "";
}

std::string OnDemandService::hostOf(grpc::ServerContext& context) const {
  if (controller_name_.empty()) return peerIpv4(context.peer());
  security::PeerIdentity peer = security::peerIdentity(context);
  if (!peer.verified) return "";
  std::string host;
  for (const auto& name : peer.certificate.dns_names) {
    if (name == controller_name_) return "";  // the controller's own certificate is no node
    std::string ip = services_.nodes().nodeIpByName(name);
    if (ip.empty()) continue;
    if (!host.empty() && host != ip) return "";  // a certificate naming two nodes: neither
    host = ip;
  }
  return host;
}

grpc::Status OnDemandService::RequestGoalStates(grpc::ServerContext* context,
                                                const schema::HostRequest* request,
                                                schema::HostRequestReply* reply) {
  auto start = std::chrono::steady_clock::now();
  std::string host = hostOf(*context);
  if (host.empty() && !controller_name_.empty()) {
    ALOG(Warn, Grpc) << "on-demand request refused: " << security::peerIdentity(*context).describe()
                     << " is no registered node";
    return grpc::Status(grpc::StatusCode::PERMISSION_DENIED,
                        "the client certificate names no registered node");
  }
  reply->set_format_version(request->format_version());
  std::vector<StatePtr> needed;
  std::vector<std::pair<std::string, bool>> routable;
  for (const auto& r : request->state_requests()) {
    if (r.request_type() == schema::AGENT_RESTARTED) {
      // The agent lost track (a gap on a NATS subject, or a restart): its full state goes out
      // on its usual path; the request is answered at once.
      if (!host.empty()) {
        ALOG(Info, Grpc) << "host " << host << " asks for its full state";
        sink_.requestResync(host);
      }
      routable.push_back({r.request_id(), !host.empty()});
      continue;
    }
    auto destination = Ipv4Address::parse(r.destination_ip());
    std::optional<std::vector<StatePtr>> states;
    if (!host.empty() && destination.ok()) {
      states = services_.onDemandState(host, r.tunnel_id(), *destination);
    }
    if (states) needed.insert(needed.end(), states->begin(), states->end());
    routable.push_back({r.request_id(), states.has_value()});
  }
  bool pushed = true;
  if (!needed.empty()) {
    std::future<Status> delivered = sink_.enqueueNow(host, std::move(needed));
    Status st = delivered.wait_for(delivery_timeout_) == std::future_status::ready
                    ? delivered.get()
                    : deadlineExceededError("not delivered within " +
                                            std::to_string(delivery_timeout_.count()) + " ms");
    if (!st.ok()) {
      ALOG(Warn, Grpc) << "on-demand push to " << host << " failed: " << st;
      pushed = false;
    }
  }
  for (const auto& [id, ok] : routable) {
    auto* st = reply->add_operation_statuses();
    st->set_request_id(id);
    st->set_operation_status(ok && pushed ? schema::SUCCESS : schema::FAILURE);
  }
  reply->set_total_operation_time(
      static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                std::chrono::steady_clock::now() - start)
                                .count()));
  ALOG(Debug, Grpc) << "on-demand from " << context->peer() << ": "
                    << request->state_requests_size() << " request(s)";
  return grpc::Status::OK;
}

grpc::Status OnDemandService::PushNetworkResourceStates(grpc::ServerContext*,
                                                        const schema::GoalState*,
                                                        schema::GoalStateOperationReply*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "the controller does not take GoalStates");
}

grpc::Status OnDemandService::PushGoalStatesStream(
    grpc::ServerContext*,
    grpc::ServerReaderWriter<schema::GoalStateOperationReply, schema::GoalStateV2>*) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "the controller does not take GoalStates");
}

}  // namespace alcor::controller
