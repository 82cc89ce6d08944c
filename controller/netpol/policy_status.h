#pragma once

// How a NetworkPolicy fared: realized, realized in part (some rules or peers cannot be), or not
// at all. Every change of a policy's state is logged, counted in the controller's metrics and
// posted as a Kubernetes Event on the policy, so a policy is never silently ignored.

#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lib/kubernetes/api_client.h"

namespace alcor::controller::netpol {

enum class Realization { kRealized, kPartial, kFailed };

struct PolicyState {
  std::string ns;
  std::string name;
  std::string uid;
  Realization realization = Realization::kRealized;
  std::vector<std::string> problems;
  std::vector<std::string> groups;  // the security groups it became
  bool operator==(const PolicyState&) const = default;
};

class PolicyStatusSink {
 public:
  virtual ~PolicyStatusSink() = default;
  // The state of every policy after a reconciliation (policies absent from `states` are gone).
  virtual void report(const std::vector<PolicyState>& states) = 0;
};

// Logs changes, posts Events (when `api` is set; from its own thread, so a slow API server never
// delays enforcement) and renders metrics.
class PolicyStatusReporter : public PolicyStatusSink {
 public:
  // `api` null: no Events. `component` is the Event's source.
  PolicyStatusReporter(std::unique_ptr<kubernetes::ApiClient> api, std::string component);
  ~PolicyStatusReporter() override;
  void report(const std::vector<PolicyState>& states) override;
  // Prometheus text: policies by state, events posted and failed.
  std::string metrics() const;

 private:
  void queueEvent(const PolicyState& state, const std::string& type, const std::string& reason,
                  const std::string& message);
  void postLoop();

  std::unique_ptr<kubernetes::ApiClient> api_;
  std::string component_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::deque<nlohmann::json> queue_;         // Events to post
  std::map<std::string, PolicyState> last_;  // by namespace/name
  uint64_t events_posted_ = 0;
  uint64_t events_failed_ = 0;
  std::thread poster_;
};

}  // namespace alcor::controller::netpol
