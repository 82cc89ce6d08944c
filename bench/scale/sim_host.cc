#include "bench/scale/sim_host.h"

#include <grpcpp/support/server_interceptor.h>

#include "lib/base/strings.h"

namespace alcor::bench {
namespace {

int64_t toNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Adds the size of every GoalState a host receives (v2 stream messages and v1 unary pushes).
class ByteCounter final : public grpc::experimental::Interceptor {
 public:
  ByteCounter(std::string method, std::shared_ptr<std::atomic<uint64_t>> bytes)
      : method_(std::move(method)), bytes_(std::move(bytes)) {}
  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    using grpc::experimental::InterceptionHookPoints;
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::POST_RECV_MESSAGE)) {
      void* message = methods->GetRecvMessage();
      if (message && endsWith(method_, "/PushGoalStatesStream")) {
        *bytes_ += static_cast<schema::GoalStateV2*>(message)->ByteSizeLong();
      } else if (message && endsWith(method_, "/PushNetworkResourceStates")) {
        *bytes_ += static_cast<schema::GoalState*>(message)->ByteSizeLong();
      }
    }
    methods->Proceed();
  }

 private:
  std::string method_;
  std::shared_ptr<std::atomic<uint64_t>> bytes_;
};

class ByteCounterFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit ByteCounterFactory(std::shared_ptr<std::atomic<uint64_t>> bytes)
      : bytes_(std::move(bytes)) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new ByteCounter(info->method(), bytes_);
  }

 private:
  std::shared_ptr<std::atomic<uint64_t>> bytes_;
};

}  // namespace

ScaleTracker::ScaleTracker(std::string prefix, size_t ports)
    : prefix_(std::move(prefix)), port_ns_(ports), neighbor_ns_(ports), neighbor_hosts_(ports) {}

long ScaleTracker::indexOf(const std::string& id_or_key) const {
  std::string_view id = id_or_key;
  if (startsWith(id, "L2/") || startsWith(id, "L3/")) id.remove_prefix(3);
  if (!startsWith(id, prefix_)) return -1;
  auto n = parseInt<size_t>(id.substr(prefix_.size()));
  return n && *n < port_ns_.size() ? static_cast<long>(*n) : -1;
}

void ScaleTracker::portApplied(size_t i, Clock::time_point t) {
  port_ns_[i] = toNs(t);
  ++ports_applied_;
}

void ScaleTracker::neighborApplied(size_t i, Clock::time_point t) {
  int64_t ns = toNs(t);
  int64_t seen = neighbor_ns_[i].load();
  while (seen < ns && !neighbor_ns_[i].compare_exchange_weak(seen, ns)) {
  }
  ++neighbor_hosts_[i];
  ++neighbors_applied_;
}

SimDataplane::SimDataplane(ScaleTracker& tracker)
    : tracker_(tracker), port_seen_(tracker.size()), neighbor_seen_(tracker.size()) {}

Status SimDataplane::update(const Mutation& mutation) {
  std::vector<size_t> new_ports, new_neighbors;
  {
    std::lock_guard lock(mu_);
    agent::NetworkState& state = state_;
    agent::ChangeSet changes;
    mutation(state, changes);
    for (const auto& id : changes.ports) {
      if (!state.ports.count(id)) continue;
      if (!state.interfaces.count(id)) {
        // The pod is already there (as after its CNI ADD): plug it so the port can succeed.
        agent::LocalInterface iface;
        iface.port_id = id;
        iface.ovs_port = "sim" + std::to_string(next_ofport_);
        iface.ofport = next_ofport_++;
        state.interfaces[id] = iface;
        changes.interfaces.insert(id);
      }
      long i = tracker_.indexOf(id);
      if (i >= 0 && !port_seen_[static_cast<size_t>(i)]) {
        port_seen_[static_cast<size_t>(i)] = true;
        new_ports.push_back(static_cast<size_t>(i));
      }
    }
    for (const auto& key : changes.neighbors) {
      if (!state.neighbors.count(key)) continue;
      long i = tracker_.indexOf(key);
      if (i >= 0 && !neighbor_seen_[static_cast<size_t>(i)]) {
        neighbor_seen_[static_cast<size_t>(i)] = true;
        new_neighbors.push_back(static_cast<size_t>(i));
      }
    }
  }
  // Programmed = the update (the real agent's bundle commit) has returned.
  auto now = Clock::now();
  for (size_t i : new_ports) tracker_.portApplied(i, now);
  for (size_t i : new_neighbors) tracker_.neighborApplied(i, now);
  return okStatus();
}

void SimDataplane::read(const std::function<void(const agent::NetworkState&)>& reader) const {
  std::lock_guard lock(mu_);
  reader(state_);
}

std::set<std::string> SimDataplane::waitForPorts(const std::set<std::string>& ids,
                                                 std::chrono::steady_clock::time_point) {
  // Every port is plugged by the update that brought it.
  std::lock_guard lock(mu_);
  std::set<std::string> out;
  for (const auto& id : ids) {
    if (state_.portIsPlugged(id)) out.insert(id);
  }
  return out;
}

SimHost::SimHost(int index, ScaleTracker& tracker)
    : index_(index),
      ip_("127.1." + std::to_string(index / 250) + "." + std::to_string(index % 250 + 1)),
      dataplane_(tracker),
      handler_(dataplane_, agent::GoalStateHandlerOptions{ip_, std::chrono::milliseconds(10000)}),
      service_(handler_),
      bytes_(std::make_shared<std::atomic<uint64_t>>(0)) {}

SimHost::~SimHost() { stop(); }

std::string SimHost::mac() const {
  char buf[18];
  std::snprintf(buf, sizeof(buf), "02:5c:00:00:%02x:%02x", (index_ >> 8) & 0xff, index_ & 0xff);
  return buf;
}

bool SimHost::start() {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(ip_ + ":0", grpc::InsecureServerCredentials(), &port_);
  builder.SetMaxReceiveMessageSize(-1);
  builder.RegisterService(&service_);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> counters;
  counters.push_back(std::make_unique<ByteCounterFactory>(bytes_));
  builder.experimental().SetInterceptorCreators(std::move(counters));
  server_ = builder.BuildAndStart();
  return server_ && port_ > 0;
}

namespace {
thread_local bool via_grpc = false;  // counted by the gRPC interceptor already
}  // namespace

Status SimHost::startNats(const std::vector<std::string>& servers, bool grpc_through) {
  nats::NatsOptions o;
  o.servers = servers;
  o.name = nodeName();
  o.ordered_delivery = true;  // as the agent: one delivery thread (shared by every SimHost)
  ASSIGN_OR_RETURN(nats_, nats::NatsConnection::connect(o));
  subscriber_ = std::make_unique<agent::NatsGoalStateSubscriber>(
      *nats_, ip_,
      [this](const schema::GoalStateV2& gs) {
        if (!via_grpc) {
          ++nats_messages_;
          nats_bytes_ += gs.ByteSizeLong();
        }
        return handler_.handle(gs);
      },
      nullptr);  // a gap would show as missing neighbors (the case times out)
  if (grpc_through) {
    service_.setV2Apply([this](schema::GoalStateV2 gs, const std::string& epoch) {
      via_grpc = true;
      auto reply = subscriber_->applyUnicast(std::move(gs), epoch);
      via_grpc = false;
      return reply;
    });
  }
  return subscriber_->start();
}

void SimHost::stop() {
  // The server first: with --southbound=auto its messages go through the subscriber.
  if (server_) server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  server_.reset();
  subscriber_.reset();
  nats_.reset();
}

}  // namespace alcor::bench
