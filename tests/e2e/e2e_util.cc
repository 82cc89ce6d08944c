#include "tests/e2e/e2e_util.h"

#include <thread>

#include "lib/base/strings.h"

namespace alcor::testing {
namespace {

std::vector<std::string> splitLines(const std::string& text) {
  std::vector<std::string> out;
  for (auto line : splitString(text, '\n')) out.emplace_back(trimSpace(line));
  return out;
}

}  // namespace

bool canPing(const Pod& from, const std::string& ip, int count) {
  auto r = from.ns->exec({"ping", "-c", std::to_string(count), "-i", "0.2", "-W", "1", ip});
  return r.ok();
}

bool tcpWorks(const Pod& from, const Pod& to, int port) {
  TempDir dir;
  const std::string out = dir.path() + "/received";
  RunOptions in_pod;
  in_pod.netns = to.ns->name();
  auto server = Daemon::start({"busybox", "nc", "-l", "-p", std::to_string(port)}, out, in_pod);
  if (!server.ok()) return false;
  bool sent = false;
  for (int i = 0; i < 20 && !sent; ++i) {
    auto r = from.ns->shell("echo alcor-tcp-check | busybox nc -w 2 " + to.ip() + " " +
                            std::to_string(port));
    sent = r.ok();
    if (!sent) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  server->wait(std::chrono::milliseconds(3000));
  server->stop();
  auto content = run({"cat", out});
  return sent && content.out.find("alcor-tcp-check") != std::string::npos;
}

std::vector<std::string> podPorts(ClusterNode& node) {
  std::vector<std::string> out;
  for (const auto& p : splitLines(node.ovs->vsctl({"list-ports", "br-int"}).out)) {
    if (!p.empty() && p != "vxlan0") out.push_back(p);
  }
  return out;
}

std::vector<std::string> tapLinks(ClusterNode& node) {
  std::vector<std::string> out;
  for (const auto& l : splitLines(node.ns->exec({"ip", "-o", "link", "show"}).out)) {
    if (l.find(": tap") != std::string::npos) out.push_back(l);
  }
  return out;
}

std::vector<std::string> flowsMentioning(ClusterNode& node, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& f : node.ovs->dumpFlows("br-int")) {
    if (f.find(text) != std::string::npos) out.push_back(f);
  }
  return out;
}

int controllerPortCount(Cluster& cluster) {
  auto r = cluster.rest("GET", "/project/" + cluster.project() + "/ports");
  if (r.status != 200 || !r.body.contains("ports")) return -1;
  return static_cast<int>(r.body["ports"].size());
}

std::string podMac(const Pod& pod) {
  for (const auto& i : pod.result["interfaces"]) {
    if (i.contains("sandbox")) return i["mac"];
  }
  return "";
}

}  // namespace alcor::testing
