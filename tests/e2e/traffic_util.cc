#include "tests/e2e/traffic_util.h"

#include <thread>

#include "lib/base/strings.h"

namespace alcor::testing {
namespace {

// UDP answers leave from the address the request was sent to (IP_PKTINFO), as a DNS server does:
// on a node with several addresses the route's source could be another one.
constexpr char kServer[] = R"(
import socket, struct, sys
proto, port, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
IP_PKTINFO = 8
if proto == 'udp':
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
    s.bind(('0.0.0.0', port))
    while True:
        data, anc, flags, peer = s.recvmsg(2048, 64)
        info = [d for (level, kind, d) in anc if level == socket.IPPROTO_IP and kind == IP_PKTINFO]
        local = info[0][8:12] if info else b'\0\0\0\0'
        pktinfo = struct.pack('I4s4s', 0, local, b'\0\0\0\0')
        s.sendmsg([(tag + ' ' + peer[0]).encode()], [(socket.IPPROTO_IP, IP_PKTINFO, pktinfo)], 0, peer)
else:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(('0.0.0.0', port))
    s.listen(64)
    while True:
        c, peer = s.accept()
        c.sendall((tag + ' ' + peer[0]).encode())
        c.close()
)";

// A connected socket: the kernel drops an answer from any other address than the one asked.
constexpr char kClient[] = R"(
import socket, sys
proto, ip, port, timeout, bind = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
kind = socket.SOCK_DGRAM if proto == 'udp' else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind)
s.settimeout(timeout)
if bind:
    s.bind((bind, 0))
s.connect((ip, port))
if proto == 'udp':
    s.send(b'?')
print(s.recv(2048).decode())
)";

}  // namespace

StatusOr<Daemon> startEchoServer(const std::string& netns, const std::string& protocol, int port,
                                 const std::string& tag, const std::string& log_path) {
  RunOptions o;
  o.netns = netns;
  return Daemon::start({"python3", "-u", "-c", kServer, protocol, std::to_string(port), tag},
                       log_path, o);
}

std::string echoRequest(const std::string& netns, const std::string& protocol,
                        const std::string& ip, int port, double timeout_s,
                        const std::string& bind_ip) {
  RunOptions o;
  o.netns = netns;
  o.timeout = std::chrono::milliseconds(static_cast<int64_t>(timeout_s * 1000) + 5000);
  auto r = run({"python3", "-c", kClient, protocol, ip, std::to_string(port),
                std::to_string(timeout_s), bind_ip},
               o);
  return r.ok() ? std::string(trimSpace(r.out)) : "";
}

std::string echoWithin(const std::string& netns, const std::string& protocol, const std::string& ip,
                       int port, int seconds, const std::string& bind_ip) {
  std::string reply;
  waitFor(
      [&] {
        reply = echoRequest(netns, protocol, ip, port, 1, bind_ip);
        return !reply.empty();
      },
      std::chrono::seconds(seconds));
  return reply;
}

Status addHostPorts(Cluster& cluster, const Pod& pod, const std::vector<PortMapping>& mappings) {
  nlohmann::json maps = nlohmann::json::array();
  for (const auto& m : mappings) {
    maps.push_back(
        {{"hostPort", m.host_port}, {"containerPort", m.container_port}, {"protocol", m.protocol}});
  }
  nlohmann::json config = {{"cniVersion", "1.0.0"},
                           {"name", "alcor"},
                           {"type", "portmap"},
                           {"capabilities", {{"portMappings", true}}},
                           {"snat", true},
                           {"runtimeConfig", {{"portMappings", maps}}},
                           {"prevResult", pod.result}};
  RunOptions o;
  o.netns = cluster.node(pod.node).ns->name();
  o.env = {{"CNI_COMMAND", "ADD"},
           {"CNI_CONTAINERID", pod.container_id},
           {"CNI_NETNS", pod.ns->path()},
           {"CNI_IFNAME", pod.ifname},
           {"CNI_PATH", "/usr/lib/cni"}};
  o.stdin_data = config.dump();
  auto r = run({"/usr/lib/cni/portmap"}, o);
  if (!r.ok()) return internalError("portmap ADD: " + r.describe());
  return okStatus();
}

StatusOr<std::unique_ptr<Netns>> addUnderlayHost(Cluster& cluster, const std::string& ip) {
  ASSIGN_OR_RETURN(auto host, Netns::create("out"));
  const std::string bridge_end = "uo" + std::to_string(cluster.size() + 1);
  RETURN_IF_ERROR(addVethPair(cluster.infra().name(), bridge_end, host->name(), "eth0"));
  auto r = cluster.infra().shell("ip link set " + bridge_end + " master ulbr && ethtool -K " +
                                 bridge_end + " tx off >/dev/null");
  if (!r.ok()) return internalError("attach " + bridge_end + ": " + r.describe());
  r = host->shell("ip addr add " + ip + "/24 dev eth0");
  if (!r.ok()) return internalError("address " + ip + ": " + r.describe());
  return host;
}

std::string gatewayIp(ClusterNode& node, const std::string& interface) {
  auto r = node.ns->exec({"ip", "-o", "-4", "addr", "show", "dev", interface});
  // "5: alcor-gw0    inet 10.0.1.3/24 brd ..."
  auto at = r.out.find("inet ");
  if (at == std::string::npos) return "";
  auto start = at + 5;
  return r.out.substr(start, r.out.find('/', start) - start);
}

}  // namespace alcor::testing
