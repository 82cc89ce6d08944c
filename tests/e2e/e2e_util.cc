#include "tests/e2e/e2e_util.h"

#include <fstream>
#include <iostream>
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

bool canPing(const Pod& from, const std::string& ip, int seconds) {
  // -c 1 with a deadline: ping sends every 200 ms and exits 0 at the first reply.
  auto r = from.ns->exec({"ping", "-c", "1", "-i", "0.2", "-w", std::to_string(seconds + 1), ip});
  return r.ok();
}

bool waitListening(const std::string& netns, const std::string& protocol, int port,
                   std::chrono::milliseconds within) {
  RunOptions o;
  o.netns = netns;
  const std::string flags = protocol == "udp" ? "-Hlun" : "-Hltn";
  const std::string filter = "sport = :" + std::to_string(port);
  return waitFor(
      [&] {
        auto r = run({"ss", flags, filter}, o);
        return r.ok() && !trimSpace(r.out).empty();
      },
      within);
}

namespace {

// Accepts connections for ever; writes what each one sent, once it closed, as one line. Unlike
// `nc -l`, it never half-closes first (nc does on its /dev/null stdin, and a client seeing that
// FIN may quit before it sent anything) and one failed attempt does not end it.
constexpr char kLineServer[] = R"(
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', int(sys.argv[1])))
s.listen(64)
while True:
    c, peer = s.accept()
    c.settimeout(3)
    data = b''
    try:
        while True:
            chunk = c.recv(4096)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    c.close()
    print(peer[0], data.decode(errors='replace').strip(), flush=True)
)";

}  // namespace

std::string readFileOrEmpty(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

bool tcpLineArrives(const Pod& from, const Pod& to, int port, int tries,
                    std::chrono::seconds connect_timeout) {
  TempDir dir;
  const std::string out = dir.path() + "/received";
  const std::string line = "alcor-tcp-" + std::to_string(port);
  RunOptions in_pod;
  in_pod.netns = to.ns->name();
  auto server =
      Daemon::start({"python3", "-u", "-c", kLineServer, std::to_string(port)}, out, in_pod);
  if (!server.ok() || !waitListening(to.ns->name(), "tcp", port)) return false;
  std::string attempts;
  bool arrived = false;
  for (int i = 0; i < tries && !arrived; ++i) {
    auto r = from.ns->shell("echo " + line + " | busybox nc -w " +
                            std::to_string(connect_timeout.count()) + " " + to.ip() + " " +
                            std::to_string(port));
    attempts += " [" + std::to_string(r.exit_code) + " " + std::string(trimSpace(r.err)) + "]";
    // The server logs a connection once it has closed it.
    arrived = waitFor([&] { return readFileOrEmpty(out).find(line) != std::string::npos; },
                      std::chrono::milliseconds(r.ok() ? 1000 : 100));
  }
  server->stop(std::chrono::milliseconds(200));
  if (tries > 1 && !arrived) {  // an expected pass failed: say what each side saw
    std::cerr << "tcp " << from.ip() << " -> " << to.ip() << ":" << port << " clients:" << attempts
              << "; server log '" << readFileOrEmpty(out) << "'\n";
  }
  return arrived;
}

bool tcpWorks(const Pod& from, const Pod& to, int port) {
  return tcpLineArrives(from, to, port, 20, std::chrono::seconds(2));
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
