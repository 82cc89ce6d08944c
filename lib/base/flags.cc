#include "lib/base/flags.h"

#include <fstream>
#include <sstream>

#include "lib/base/strings.h"
#include "nlohmann/json.hpp"

namespace alcor {
namespace {

std::string describe(const std::string* v) { return v->empty() ? "\"\"" : *v; }
std::string describe(const int64_t* v) { return std::to_string(*v); }
std::string describe(const bool* v) { return *v ? "true" : "false"; }
std::string describe(const double* v) {
  std::ostringstream o;
  o << *v;
  return o.str();
}
std::string describe(const std::vector<std::string>* v) {
  return v->empty() ? "[]" : joinStrings(*v, ",");
}

}  // namespace

FlagSet::FlagSet(std::string program, std::string description)
    : program_(std::move(program)), description_(std::move(description)) {}

void FlagSet::add(const std::string& name, Target target, std::string help) {
  std::string def = std::visit([](auto* p) { return describe(p); }, target);
  flags_[name] = Flag{target, std::move(help), std::move(def)};
}

void FlagSet::addString(const std::string& name, std::string* target, std::string help) {
  add(name, target, std::move(help));
}
void FlagSet::addInt(const std::string& name, int64_t* target, std::string help) {
  add(name, target, std::move(help));
}
void FlagSet::addBool(const std::string& name, bool* target, std::string help) {
  add(name, target, std::move(help));
}
void FlagSet::addDouble(const std::string& name, double* target, std::string help) {
  add(name, target, std::move(help));
}
void FlagSet::addStringList(const std::string& name, std::vector<std::string>* target,
                            std::string help) {
  add(name, target, std::move(help));
}
void FlagSet::enableConfigFile() { config_file_enabled_ = true; }

Status FlagSet::set(const std::string& name, const std::string& value) {
  auto it = flags_.find(name);
  if (it == flags_.end()) return invalidArgumentError("unknown flag --" + name);
  struct Setter {
    const std::string& name;
    const std::string& value;
    Status operator()(std::string* p) const {
      *p = value;
      return okStatus();
    }
    Status operator()(int64_t* p) const {
      if (auto v = parseInt<int64_t>(value)) {
        *p = *v;
      } else {
        return invalidArgumentError("--" + name + " wants an integer, got '" + value + "'");
      }
      return okStatus();
    }
    Status operator()(double* p) const {
      if (auto v = parseDouble(value)) {
        *p = *v;
      } else {
        return invalidArgumentError("--" + name + " wants a number, got '" + value + "'");
      }
      return okStatus();
    }
    Status operator()(bool* p) const {
      std::string v = toLower(value);
      if (v == "true" || v == "1" || v == "yes") {
        *p = true;
      } else if (v == "false" || v == "0" || v == "no") {
        *p = false;
      } else {
        return invalidArgumentError("--" + name + " wants true or false, got '" + value + "'");
      }
      return okStatus();
    }
    Status operator()(std::vector<std::string>* p) const {
      p->push_back(value);
      return okStatus();
    }
  };
  return std::visit(Setter{name, value}, it->second.target);
}

Status FlagSet::loadConfigFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return notFoundError("cannot read config file " + path);
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return invalidArgumentError("config file " + path + " is not a JSON object");
  }
  for (auto& [key, value] : doc.items()) {
    auto it = flags_.find(key);
    if (it == flags_.end()) {
      return invalidArgumentError("config file " + path + ": unknown key '" + key + "'");
    }
    if (auto* list = std::get_if<std::vector<std::string>*>(&it->second.target)) {
      if (!value.is_array()) {
        return invalidArgumentError("config file " + path + ": '" + key + "' wants an array");
      }
      (*list)->clear();
      for (auto& item : value) {
        if (!item.is_string()) {
          return invalidArgumentError("config file " + path + ": '" + key + "' wants strings");
        }
        (*list)->push_back(item.get<std::string>());
      }
      continue;
    }
    std::string text;
    if (value.is_string()) {
      text = value.get<std::string>();
    } else if (value.is_boolean() || value.is_number()) {
      text = value.dump();
    } else {
      return invalidArgumentError("config file " + path + ": '" + key +
                                  "' wants a string, number or boolean");
    }
    if (auto st = set(key, text); !st.ok()) {
      return invalidArgumentError("config file " + path + ": " + std::string(st.message()));
    }
  }
  return okStatus();
}

Status FlagSet::parse(int argc, const char* const* argv) {
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  return parse(args);
}

Status FlagSet::parse(const std::vector<std::string>& args) {
  struct Pending {
    std::string name;
    std::string value;
  };
  std::vector<Pending> pending;
  std::string config_path;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      positional_.insert(positional_.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    if (name == "help" || name == "h") {
      help_requested_ = true;
      continue;
    }
    bool is_config = config_file_enabled_ && name == "config";
    auto it = flags_.find(name);
    if (!is_config && it == flags_.end()) {
      return invalidArgumentError("unknown flag --" + name + " (see --help)");
    }
    bool is_bool = !is_config && std::holds_alternative<bool*>(it->second.target);
    if (!has_value) {
      if (is_bool) {
        value = "true";
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return invalidArgumentError("flag --" + name + " needs a value");
      }
    }
    if (is_config) {
      config_path = value;
    } else {
      pending.push_back({name, value});
    }
  }
  if (!config_path.empty()) RETURN_IF_ERROR(loadConfigFile(config_path));
  for (auto& p : pending) RETURN_IF_ERROR(set(p.name, p.value));
  return okStatus();
}

std::string FlagSet::usage() const {
  std::string out = "Usage: " + program_ + " [flags]\n" + description_ + "\n\nFlags:\n";
  if (config_file_enabled_) {
    out +=
        "  --config FILE\n      JSON object of flag values (keys are flag names); command-line "
        "flags win\n";
  }
  for (const auto& [name, flag] : flags_) {
    bool is_bool = std::holds_alternative<bool*>(flag.target);
    out += "  --" + name + (is_bool ? "" : " VALUE") + "\n      " + flag.help +
           " (default: " + flag.default_value + ")\n";
  }
  out += "  --help\n      Print this help\n";
  return out;
}

}  // namespace alcor
