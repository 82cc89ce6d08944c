#include "controller/netpol/policy_status.h"

#include <ctime>
#include <sstream>

#include "lib/base/logging.h"

namespace alcor::controller::netpol {
namespace {

constexpr size_t kMaxQueuedEvents = 1000;

std::string utcNow() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "; ") + s;
  return out;
}

const char* stateName(Realization r) {
  switch (r) {
    case Realization::kRealized:
      return "realized";
    case Realization::kPartial:
      return "partial";
    case Realization::kFailed:
      return "failed";
  }
  return "?";
}

}  // namespace

PolicyStatusReporter::PolicyStatusReporter(std::unique_ptr<kubernetes::ApiClient> api,
                                           std::string component)
    : api_(std::move(api)), component_(std::move(component)) {
  if (api_) poster_ = std::thread([this] { postLoop(); });
}

PolicyStatusReporter::~PolicyStatusReporter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (poster_.joinable()) poster_.join();
}

void PolicyStatusReporter::report(const std::vector<PolicyState>& states) {
  std::lock_guard lock(mu_);
  std::map<std::string, PolicyState> now;
  for (const auto& s : states) {
    const std::string key = s.ns + "/" + s.name;
    now[key] = s;
    auto old = last_.find(key);
    const bool known = old != last_.end();
    if (known && old->second.realization == s.realization && old->second.problems == s.problems) {
      continue;
    }
    switch (s.realization) {
      case Realization::kRealized:
        ALOG(Info, NetworkPolicy) << "NetworkPolicy " << key << " realized as " << s.groups.size()
                                  << " security group(s)";
        if (known) {
          queueEvent(s, "Normal", "PolicyRealized",
                     "enforced as security group(s) " + joined(s.groups));
        }
        break;
      case Realization::kPartial:
        ALOG(Warn, NetworkPolicy) << "NetworkPolicy " << key
                                  << " realized in part: " << joined(s.problems);
        queueEvent(
            s, "Warning", "PolicyPartiallyRealized",
            "enforced without what cannot be realized (it allows nothing): " + joined(s.problems));
        break;
      case Realization::kFailed:
        ALOG(Error, NetworkPolicy)
            << "NetworkPolicy " << key << " cannot be realized: " << joined(s.problems);
        queueEvent(s, "Warning", "PolicyNotRealized", joined(s.problems));
        break;
    }
  }
  last_ = std::move(now);
}

void PolicyStatusReporter::queueEvent(const PolicyState& s, const std::string& type,
                                      const std::string& reason, const std::string& message) {
  if (!api_) return;
  if (queue_.size() >= kMaxQueuedEvents) {
    ++events_failed_;
    return;
  }
  const std::string now = utcNow();
  queue_.push_back({{"apiVersion", "v1"},
                    {"kind", "Event"},
                    {"metadata", {{"generateName", s.name + ".alcor-"}, {"namespace", s.ns}}},
                    {"involvedObject",
                     {{"apiVersion", "networking.k8s.io/v1"},
                      {"kind", "NetworkPolicy"},
                      {"namespace", s.ns},
                      {"name", s.name},
                      {"uid", s.uid}}},
                    {"reason", reason},
                    {"message", message.substr(0, 1024)},
                    {"type", type},
                    {"source", {{"component", component_}}},
                    {"reportingComponent", component_},
                    {"reportingInstance", component_},
                    {"firstTimestamp", now},
                    {"lastTimestamp", now},
                    {"count", 1}});
  cv_.notify_one();
}

void PolicyStatusReporter::postLoop() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    nlohmann::json event = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    const std::string ns = event["metadata"]["namespace"].get<std::string>();
    auto posted = api_->post("/api/v1/namespaces/" + ns + "/events", event);
    if (!posted.ok()) {
      ALOG(Warn, NetworkPolicy) << "cannot post the Event " << event["reason"] << " for " << ns
                                << "/" << event["involvedObject"]["name"] << ": "
                                << posted.status().message();
    }
    lock.lock();
    ++(posted.ok() ? events_posted_ : events_failed_);
  }
}

std::string PolicyStatusReporter::metrics() const {
  std::lock_guard lock(mu_);
  std::map<Realization, size_t> by_state = {
      {Realization::kRealized, 0}, {Realization::kPartial, 0}, {Realization::kFailed, 0}};
  for (const auto& [key, s] : last_) ++by_state[s.realization];
  std::ostringstream out;
  out << "# HELP alcor_controller_network_policies NetworkPolicies by realization: realized, "
         "partial (some rules cannot be realized and allow nothing), failed.\n"
         "# TYPE alcor_controller_network_policies gauge\n";
  for (const auto& [state, n] : by_state) {
    out << "alcor_controller_network_policies{state=\"" << stateName(state) << "\"} " << n << "\n";
  }
  out << "# HELP alcor_controller_network_policy_events_total Kubernetes Events about "
         "NetworkPolicies, by result.\n"
         "# TYPE alcor_controller_network_policy_events_total counter\n"
      << "alcor_controller_network_policy_events_total{result=\"posted\"} " << events_posted_
      << "\n"
      << "alcor_controller_network_policy_events_total{result=\"failed\"} " << events_failed_
      << "\n";
  return out.str();
}

}  // namespace alcor::controller::netpol
