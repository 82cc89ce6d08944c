#pragma once

// Controller ports the agent must still delete: DEL succeeded locally while the controller was
// unreachable. Kept in a small JSON file so a restart does not forget them; retried until the
// controller confirms (or says the port is already gone).

#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "lib/base/status.h"

namespace alcor::agent {

class PendingReleases {
 public:
  // Empty path: memory only.
  explicit PendingReleases(std::string path);

  using Entry = std::pair<std::string, std::string>;  // project, port id
  void add(const std::string& project, const std::string& port_id);
  void remove(const std::string& project, const std::string& port_id);
  std::set<Entry> list() const;
  size_t size() const;

 private:
  void save() const;  // with mu_ held

  std::string path_;
  mutable std::mutex mu_;
  std::set<Entry> entries_;
};

}  // namespace alcor::agent
