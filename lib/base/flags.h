#pragma once

// Command-line flags for the three binaries, with an optional JSON config file:
//
//   FlagSet flags("alcor-agent", "Alcor CNI node agent");
//   flags.addString("node-name", &cfg.node_name, "Kubernetes node name (binding:host_id)");
//   flags.enableConfigFile();   // adds --config FILE: a JSON object keyed by flag name
//   if (auto st = flags.parse(argc, argv); !st.ok()) { ... }
//   if (flags.helpRequested()) { std::cout << flags.usage(); return 0; }
//
// Accepted forms: --name=value, --name value, --bool-flag, --bool-flag=false. Values from the
// command line override values from the config file; unknown flags are errors.

#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "lib/base/status.h"

namespace alcor {

class FlagSet {
 public:
  FlagSet(std::string program, std::string description);

  void addString(const std::string& name, std::string* target, std::string help);
  void addInt(const std::string& name, int64_t* target, std::string help);
  void addBool(const std::string& name, bool* target, std::string help);
  void addDouble(const std::string& name, double* target, std::string help);
  // Repeatable flag; each occurrence appends (a JSON array in the config file).
  void addStringList(const std::string& name, std::vector<std::string>* target, std::string help);
  void enableConfigFile();

  Status parse(int argc, const char* const* argv);
  Status parse(const std::vector<std::string>& args);  // args without the program name

  bool helpRequested() const { return help_requested_; }
  std::string usage() const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  using Target = std::variant<std::string*, int64_t*, bool*, double*, std::vector<std::string>*>;
  struct Flag {
    Target target;
    std::string help;
    std::string default_value;
  };
  void add(const std::string& name, Target target, std::string help);
  Status set(const std::string& name, const std::string& value);
  Status loadConfigFile(const std::string& path);

  std::string program_;
  std::string description_;
  std::map<std::string, Flag> flags_;
  bool config_file_enabled_ = false;
  bool help_requested_ = false;
  std::vector<std::string> positional_;
};

}  // namespace alcor
