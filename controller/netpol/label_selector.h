#pragma once

// Kubernetes label selectors (metav1.LabelSelector): matchLabels and matchExpressions with In,
// NotIn, Exists and DoesNotExist, all of which must hold. An empty selector matches everything.

#include <map>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "nlohmann/json.hpp"

namespace alcor::controller::netpol {

using Labels = std::map<std::string, std::string>;

class LabelSelector {
 public:
  enum class Operator { kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Operator op = Operator::kExists;
    std::vector<std::string> values;  // sorted, unique
    auto operator<=>(const Requirement&) const = default;
  };

  // Everything (the empty selector).
  LabelSelector() = default;
  // `what` names the field in errors, e.g. "spec.podSelector".
  static StatusOr<LabelSelector> parse(const nlohmann::json& j, const std::string& what);

  bool matches(const Labels& labels) const;
  bool matchesEverything() const { return match_labels_.empty() && expressions_.empty(); }
  // Stable text, equal for equal selectors: "app=db,tier in (a,b),!legacy"; "" for everything.
  std::string canonical() const;

  bool operator==(const LabelSelector&) const = default;

 private:
  Labels match_labels_;
  std::vector<Requirement> expressions_;  // sorted
};

}  // namespace alcor::controller::netpol
