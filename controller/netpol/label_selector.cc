#include "controller/netpol/label_selector.h"

#include <algorithm>

namespace alcor::controller::netpol {

StatusOr<LabelSelector> LabelSelector::parse(const nlohmann::json& j, const std::string& what) {
  LabelSelector s;
  if (j.is_null()) return s;
  if (!j.is_object()) return invalidArgumentError(what + " is not an object");
  if (auto it = j.find("matchLabels"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return invalidArgumentError(what + ".matchLabels is not an object");
    for (const auto& [key, value] : it->items()) {
      if (!value.is_string()) {
        return invalidArgumentError(what + ".matchLabels." + key + " is not a string");
      }
      s.match_labels_[key] = value.get<std::string>();
    }
  }
  if (auto it = j.find("matchExpressions"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) return invalidArgumentError(what + ".matchExpressions is not an array");
    for (size_t i = 0; i < it->size(); ++i) {
      const auto& e = (*it)[i];
      const std::string where = what + ".matchExpressions[" + std::to_string(i) + "]";
      if (!e.is_object() || !e["key"].is_string() || !e["operator"].is_string()) {
        return invalidArgumentError(where + " needs a key and an operator");
      }
      Requirement r;
      r.key = e["key"].get<std::string>();
      const std::string op = e["operator"].get<std::string>();
      if (op == "In") {
        r.op = Operator::kIn;
      } else if (op == "NotIn") {
        r.op = Operator::kNotIn;
      } else if (op == "Exists") {
        r.op = Operator::kExists;
      } else if (op == "DoesNotExist") {
        r.op = Operator::kDoesNotExist;
      } else {
        return invalidArgumentError(where + " has the unknown operator \"" + op + "\"");
      }
      if (auto v = e.find("values"); v != e.end() && !v->is_null()) {
        if (!v->is_array()) return invalidArgumentError(where + ".values is not an array");
        for (const auto& x : *v) {
          if (!x.is_string()) return invalidArgumentError(where + ".values has a non-string");
          r.values.push_back(x.get<std::string>());
        }
      }
      const bool set_op = r.op == Operator::kIn || r.op == Operator::kNotIn;
      if (set_op && r.values.empty()) {
        return invalidArgumentError(where + ": " + op + " needs values");
      }
      if (!set_op && !r.values.empty()) {
        return invalidArgumentError(where + ": " + op + " takes no values");
      }
      std::sort(r.values.begin(), r.values.end());
      r.values.erase(std::unique(r.values.begin(), r.values.end()), r.values.end());
      s.expressions_.push_back(std::move(r));
    }
    std::sort(s.expressions_.begin(), s.expressions_.end());
    s.expressions_.erase(std::unique(s.expressions_.begin(), s.expressions_.end()),
                         s.expressions_.end());
  }
  return s;
}

bool LabelSelector::matches(const Labels& labels) const {
  for (const auto& [key, value] : match_labels_) {
    auto it = labels.find(key);
    if (it == labels.end() || it->second != value) return false;
  }
  for (const auto& r : expressions_) {
    auto it = labels.find(r.key);
    const bool has = it != labels.end();
    const bool listed = has && std::binary_search(r.values.begin(), r.values.end(), it->second);
    switch (r.op) {
      case Operator::kIn:
        if (!listed) return false;
        break;
      case Operator::kNotIn:  // a missing label is "not in" any set
        if (listed) return false;
        break;
      case Operator::kExists:
        if (!has) return false;
        break;
      case Operator::kDoesNotExist:
        if (has) return false;
        break;
    }
  }
  return true;
}

std::string LabelSelector::canonical() const {
  std::vector<std::string> parts;
  for (const auto& [key, value] : match_labels_) parts.push_back(key + "=" + value);
  for (const auto& r : expressions_) {
    std::string values;
    for (const auto& v : r.values) values += (values.empty() ? "" : ",") + v;
    switch (r.op) {
      case Operator::kIn:
        parts.push_back(r.key + " in (" + values + ")");
        break;
      case Operator::kNotIn:
        parts.push_back(r.key + " notin (" + values + ")");
        break;
      case Operator::kExists:
        parts.push_back(r.key);
        break;
      case Operator::kDoesNotExist:
        parts.push_back("!" + r.key);
        break;
    }
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

}  // namespace alcor::controller::netpol
