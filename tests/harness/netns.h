#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/base/status.h"
#include "tests/harness/process.h"

namespace alcor::testing {

// A network namespace owned by a test: created with a unique name, loopback up, deleted (with
// every link inside it) when destroyed. Processes started in it must be stopped first.
class Netns {
 public:
  static StatusOr<std::unique_ptr<Netns>> create(const std::string& prefix = "ns");
  ~Netns();
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;

  const std::string& name() const { return name_; }
  std::string path() const { return "/var/run/netns/" + name_; }

  CommandResult exec(const std::vector<std::string>& argv, RunOptions options = {}) const;
  CommandResult shell(const std::string& script, RunOptions options = {}) const;

 private:
  explicit Netns(std::string name) : name_(std::move(name)) {}
  std::string name_;
};

bool netnsExists(const std::string& name);
// Names of links in a namespace ("" = the test's own namespace).
std::vector<std::string> linkNames(const std::string& netns);

// A veth pair with one end in each namespace, both up. The `b` end gets tx checksum offload
// switched off, as pod ends need with the userspace datapath.
Status addVethPair(const std::string& ns_a, const std::string& if_a, const std::string& ns_b,
                   const std::string& if_b);

}  // namespace alcor::testing
