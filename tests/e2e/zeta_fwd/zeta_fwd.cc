// A simulated Zeta FWD for the end-to-end tests (tests/e2e/zeta_test.cc). Runs in its own
// namespace on the underlay and does what a Zeta forwarding node does for a VPC:
//   - receives VXLAN (UDP 4789) from the hosts' Zeta select groups;
//   - answers ARP requests for the instances it knows, back through the tunnel;
//   - forwards IPv4 frames to the instance's host (inner destination MAC rewritten) and, unless
//     --oam-port is 0, sends the source host an OAM inject for the flow (oam_codec.h layout);
//   - writes "<ipv4 forwarded> <arp answered>" to --counter after every packet.
// A one-shot mode sends a single OAM datagram instead: --send inject|delete|garbage --to IP:PORT.
//
//   zeta_fwd --ip 10.200.0.201 --instance 10.0.1.5,aa:..:01,10.200.0.11 [--instance ...]
//            --oam-port 8300 --idle-timeout 2 --counter /tmp/fwd1.count
//   zeta_fwd --send delete --to 10.200.0.10:8300 --flow 10.0.1.4,10.0.1.5,1,0,0,700

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "lib/base/net_types.h"
#include "lib/base/strings.h"
#include "node-agent/zeta/oam_codec.h"

using namespace alcor;
using alcor::agent::zeta::OamMessage;
using alcor::agent::zeta::OamOp;

namespace {

struct Instance {
  MacAddress mac;
  Ipv4Address host;
};

[[noreturn]] void die(const std::string& why) {
  std::cerr << "zeta_fwd: " << why << "\n";
  std::exit(2);
}

Ipv4Address ip(const std::string& text) {
  auto a = Ipv4Address::parse(text);
  if (!a.ok()) die("bad IP " + text);
  return *a;
}

MacAddress mac(const std::string& text) {
  auto m = MacAddress::parse(text);
  if (!m.ok()) die("bad MAC " + text);
  return *m;
}

uint32_t be32(const uint8_t* p) { return uint32_t(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
uint16_t be16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
void putMac(uint8_t* p, const MacAddress& m) { std::memcpy(p, m.bytes().data(), 6); }

sockaddr_in endpoint(Ipv4Address a, uint16_t port) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  s.sin_port = htons(port);
  s.sin_addr.s_addr = htonl(a.value());
  return s;
}

void sendTo(int fd, const std::vector<uint8_t>& bytes, Ipv4Address to, uint16_t port) {
  sockaddr_in dst = endpoint(to, port);
  sendto(fd, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&dst), sizeof(dst));
}

// "src,dst,proto,sport,dport,vni"
OamMessage flowMessage(const std::string& spec) {
  std::vector<std::string> f;
  for (auto part : splitString(spec, ',')) f.emplace_back(part);
  if (f.size() != 6) die("--flow wants src,dst,proto,sport,dport,vni");
  OamMessage m;
  m.key.src_ip = ip(f[0]);
  m.key.dst_ip = ip(f[1]);
  m.key.protocol = static_cast<uint8_t>(std::stoi(f[2]));
  m.key.src_port = static_cast<uint16_t>(std::stoi(f[3]));
  m.key.dst_port = static_cast<uint16_t>(std::stoi(f[4]));
  m.key.vni = static_cast<uint32_t>(std::stoul(f[5]));
  return m;
}

int sendOnce(const std::string& what, const std::string& to, const std::string& flow,
             const std::map<Ipv4Address, Instance>& instances, uint16_t idle_timeout) {
  auto colon = to.find(':');
  if (colon == std::string::npos) die("--to wants IP:PORT");
  const Ipv4Address host = ip(to.substr(0, colon));
  const uint16_t port = static_cast<uint16_t>(std::stoi(to.substr(colon + 1)));
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  std::vector<std::vector<uint8_t>> datagrams;
  if (what == "garbage") {
    // Wrong sizes, an unknown op code, an empty datagram, a long one.
    datagrams = {{},
                 {0, 0, 0},
                 std::vector<uint8_t>(20, 0xff),
                 std::vector<uint8_t>(43, 0),
                 std::vector<uint8_t>(300, 0)};
    std::vector<uint8_t> bad_op = agent::zeta::encodeOam(flowMessage(flow));
    bad_op[3] = 7;
    datagrams.push_back(bad_op);
  } else {
    OamMessage m = flowMessage(flow);
    m.op = what == "delete" ? OamOp::kDelete : OamOp::kInject;
    if (m.op == OamOp::kInject) {
      auto it = instances.find(m.key.dst_ip);
      if (it == instances.end()) die("inject needs --instance for the destination");
      m.instance_ip = m.key.dst_ip;
      m.instance_mac = it->second.mac;
      m.node_ip = it->second.host;
      m.idle_timeout = idle_timeout;
    }
    datagrams.push_back(agent::zeta::encodeOam(m));
  }
  for (const auto& d : datagrams) sendTo(fd, d, host, port);
  close(fd);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bind_ip, counter_path, send, to, flow;
  std::map<Ipv4Address, Instance> instances;
  uint16_t oam_port = 0, idle_timeout = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string key = argv[i], value = argv[i + 1];
    if (key == "--ip")
      bind_ip = value;
    else if (key == "--counter")
      counter_path = value;
    else if (key == "--oam-port")
      oam_port = static_cast<uint16_t>(std::stoi(value));
    else if (key == "--idle-timeout")
      idle_timeout = static_cast<uint16_t>(std::stoi(value));
    else if (key == "--send")
      send = value;
    else if (key == "--to")
      to = value;
    else if (key == "--flow")
      flow = value;
    else if (key == "--instance") {
      std::vector<std::string> f;
      for (auto part : splitString(value, ',')) f.emplace_back(part);
      if (f.size() != 3) die("--instance wants ip,mac,host_ip");
      instances[ip(f[0])] = {mac(f[1]), ip(f[2])};
    } else {
      die("unknown flag " + key);
    }
  }
  if (!send.empty()) return sendOnce(send, to, flow, instances, idle_timeout);
  if (bind_ip.empty()) die("--ip is required");

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in local = endpoint(ip(bind_ip), 4789);
  if (bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    die("bind " + bind_ip + ":4789: " + std::strerror(errno));
  }
  uint64_t forwarded = 0, arp_answered = 0;
  std::vector<uint8_t> buf(9000);
  while (true) {
    sockaddr_in from{};
    socklen_t from_len = sizeof(from);
    ssize_t n =
        recvfrom(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n < 8 + 14) continue;
    const Ipv4Address source_host(ntohl(from.sin_addr.s_addr));
    const uint32_t vni = be32(&buf[4]) >> 8;
    uint8_t* eth = &buf[8];
    const size_t eth_len = static_cast<size_t>(n) - 8;
    const uint16_t ethertype = be16(eth + 12);
    uint8_t* l3 = eth + 14;
    if (ethertype == 0x0806 && eth_len >= 14 + 28 && be16(l3 + 6) == 1) {
      auto it = instances.find(Ipv4Address(be32(l3 + 24)));
      if (it == instances.end()) continue;
      // Request -> reply from the instance, back to the asking host.
      uint8_t requester_mac[6], requester_ip[4], target_ip[4];
      std::memcpy(requester_mac, l3 + 8, 6);
      std::memcpy(requester_ip, l3 + 14, 4);
      std::memcpy(target_ip, l3 + 24, 4);
      std::memcpy(eth, requester_mac, 6);
      putMac(eth + 6, it->second.mac);
      l3[7] = 2;
      putMac(l3 + 8, it->second.mac);
      std::memcpy(l3 + 14, target_ip, 4);
      std::memcpy(l3 + 18, requester_mac, 6);
      std::memcpy(l3 + 24, requester_ip, 4);
      sendTo(fd, std::vector<uint8_t>(buf.begin(), buf.begin() + n), source_host, 4789);
      ++arp_answered;
    } else if (ethertype == 0x0800 && eth_len >= 14 + 20) {
      const Ipv4Address src(be32(l3 + 12)), dst(be32(l3 + 16));
      auto it = instances.find(dst);
      if (it == instances.end()) continue;
      putMac(eth, it->second.mac);
      sendTo(fd, std::vector<uint8_t>(buf.begin(), buf.begin() + n), it->second.host, 4789);
      ++forwarded;
      if (oam_port != 0) {
        OamMessage m;
        m.key.src_ip = src;
        m.key.dst_ip = dst;
        m.key.protocol = l3[9];
        const size_t ihl = (l3[0] & 0x0f) * 4u;
        if ((m.key.protocol == 6 || m.key.protocol == 17) && eth_len >= 14 + ihl + 4) {
          m.key.src_port = be16(l3 + ihl);
          m.key.dst_port = be16(l3 + ihl + 2);
        }
        m.key.vni = vni;
        m.instance_ip = dst;
        m.instance_mac = it->second.mac;
        m.node_ip = it->second.host;
        m.idle_timeout = idle_timeout;
        sendTo(fd, agent::zeta::encodeOam(m), source_host, oam_port);
      }
    } else {
      continue;
    }
    if (!counter_path.empty()) {
      std::ofstream(counter_path + ".tmp") << forwarded << " " << arp_answered << "\n";
      std::rename((counter_path + ".tmp").c_str(), counter_path.c_str());
    }
  }
}
