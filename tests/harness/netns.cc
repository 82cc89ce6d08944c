#include "tests/harness/netns.h"

#include <filesystem>

#include "lib/base/strings.h"

namespace alcor::testing {

StatusOr<std::unique_ptr<Netns>> Netns::create(const std::string& prefix) {
  std::string name = uniqueName("at" + prefix.substr(0, 4));
  auto r = run({"ip", "netns", "add", name});
  if (!r.ok()) return internalError("ip netns add " + name + ": " + r.err);
  std::unique_ptr<Netns> ns(new Netns(name));
  auto up = ns->exec({"ip", "link", "set", "lo", "up"});
  if (!up.ok()) return internalError("lo up in " + name + ": " + up.err);
  return ns;
}

Netns::~Netns() { run({"ip", "netns", "del", name_}); }

CommandResult Netns::exec(const std::vector<std::string>& argv, RunOptions options) const {
  options.netns = name_;
  return run(argv, options);
}

CommandResult Netns::shell(const std::string& script, RunOptions options) const {
  options.netns = name_;
  return alcor::testing::shell(script, options);
}

bool netnsExists(const std::string& name) {
  return std::filesystem::exists("/var/run/netns/" + name);
}

std::vector<std::string> linkNames(const std::string& netns) {
  RunOptions o;
  o.netns = netns;
  auto r = run({"ip", "-o", "link", "show"}, o);
  std::vector<std::string> names;
  for (auto line : splitString(r.out, '\n')) {
    // "12: vethA@if11: <BROADCAST,...> ..."
    auto parts = splitString(line, ':');
    if (parts.size() < 2) continue;
    std::string name(trimSpace(parts[1]));
    if (auto at = name.find('@'); at != std::string::npos) name.resize(at);
    names.push_back(name);
  }
  return names;
}

Status addVethPair(const std::string& ns_a, const std::string& if_a, const std::string& ns_b,
                   const std::string& if_b) {
  auto r = run({"ip", "link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b,
                "netns", ns_b});
  if (!r.ok()) return internalError("veth " + if_a + "/" + if_b + ": " + r.err);
  for (auto [ns, ifname] : {std::pair{ns_a, if_a}, std::pair{ns_b, if_b}}) {
    RunOptions o;
    o.netns = ns;
    r = run({"ip", "link", "set", ifname, "up"}, o);
    if (!r.ok()) return internalError("link up " + ifname + ": " + r.err);
  }
  RunOptions o;
  o.netns = ns_b;
  r = run({"ethtool", "-K", if_b, "tx", "off"}, o);
  if (!r.ok()) return internalError("ethtool tx off " + if_b + ": " + r.err);
  return okStatus();
}

}  // namespace alcor::testing
