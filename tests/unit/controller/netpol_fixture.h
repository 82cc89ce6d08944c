#pragma once

// The in-memory model the NetworkPolicy semantics matrix runs against: Kubernetes objects fed
// to the reconciler, which writes groups and port memberships into the fake writer, and an
// evaluator that decides a connection the way the security-group data path does
// (docs/design/security-groups.md): a port with filtering groups gets what the union of their
// rules allows in each direction, a remote group matches its members' addresses.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "controller/model/json_fields.h"
#include "controller/netpol/policy_reconciler.h"
#include "lib/base/json_util.h"
#include "tests/fakes/fake_security_policy_writer.h"

namespace alcor::controller::netpol {

class RecordingStatus : public PolicyStatusSink {
 public:
  void report(const std::vector<PolicyState>& states) override {
    last.clear();
    for (const auto& s : states) last[s.ns + "/" + s.name] = s;
  }
  std::map<std::string, PolicyState> last;
};

class NetpolTest : public ::testing::Test {
 protected:
  NetpolTest() {
    // As PolicyController does: new ports start with what the last pass gave their pod.
    writer.setGroupsForNewPort(
        [this](const std::string& uid, bool own) { return reconciler.groupsForNewPort(uid, own); });
  }
  nlohmann::json parse(const std::string& text) {
    auto j = parseJson(text);
    EXPECT_TRUE(j.ok()) << text;
    return j.ok() ? *j : nlohmann::json();
  }

  void ns(const std::string& name, const nlohmann::json& labels = nlohmann::json::object()) {
    nlohmann::json l = labels;
    l["kubernetes.io/metadata.name"] = name;  // the API server adds it to every namespace
    namespaces_[name] = {{"metadata", {{"name", name}, {"labels", l}}}};
    reconciler.applyEvent(ObjectKind::kNamespace, "MODIFIED", namespaces_[name]);
  }

  // A pod "ns/name" with its port, address 10.0.0.N. `ports`: containers[0].ports.
  void pod(const std::string& ns_name, const std::string& name,
           const nlohmann::json& labels = nlohmann::json::object(),
           const nlohmann::json& ports = nlohmann::json::array(),
           std::vector<std::string> own_groups = {}, bool host_network = false) {
    const std::string uid = ns_name + "/" + name;
    if (!ips_.count(uid)) ips_[uid] = "10.0.0." + std::to_string(10 + ips_.size());
    pods_[uid] = {
        {"metadata", {{"name", name}, {"namespace", ns_name}, {"uid", uid}, {"labels", labels}}},
        {"spec",
         {{"hostNetwork", host_network}, {"containers", {{{"name", "c"}, {"ports", ports}}}}}},
        {"status", {{"podIP", ips_[uid]}}}};
    reconciler.applyEvent(ObjectKind::kPod, "MODIFIED", pods_[uid]);
    if (!host_network) writer.addPort("port-" + uid, uid, std::move(own_groups));
  }
  void relabelPod(const std::string& uid, const nlohmann::json& labels) {
    pods_[uid]["metadata"]["labels"] = labels;
    reconciler.applyEvent(ObjectKind::kPod, "MODIFIED", pods_[uid]);
  }
  void deletePod(const std::string& uid) {
    reconciler.applyEvent(ObjectKind::kPod, "DELETED", pods_[uid]);
    writer.removePort("port-" + uid);
  }
  // The pod re-created with another address (its port deleted and created again).
  void readdressPod(const std::string& uid, const std::string& address) {
    const nlohmann::json old = pods_[uid];
    deletePod(uid);
    ips_[uid] = address;
    pod(old["metadata"]["namespace"], old["metadata"]["name"], old["metadata"]["labels"],
        old["spec"]["containers"][0]["ports"]);
  }
  // A NetworkPolicy with this spec (JSON text).
  void policy(const std::string& ns_name, const std::string& name, const std::string& spec) {
    reconciler.applyEvent(
        ObjectKind::kPolicy, "MODIFIED",
        {{"metadata", {{"name", name}, {"namespace", ns_name}, {"uid", "uid-" + name}}},
         {"spec", parse(spec)}});
  }
  void deletePolicy(const std::string& ns_name, const std::string& name) {
    reconciler.applyEvent(ObjectKind::kPolicy, "DELETED",
                          {{"metadata", {{"name", name}, {"namespace", ns_name}}}, {"spec", {}}});
  }
  // A security group of the user's (what a pod's annotation would choose).
  void userGroup(const SecurityGroup& g) { user_groups_[g.id.str()] = g; }

  void reconcile() {
    Status st = reconciler.reconcile();
    ASSERT_TRUE(st.ok()) << st;
  }

  std::string ip(const std::string& endpoint) const {
    auto it = ips_.find(endpoint);
    return it == ips_.end() ? endpoint : it->second;  // a pod "ns/name" or an address
  }

  // Whether a new connection from `from` to `to` (pods "ns/name", or addresses) is allowed.
  bool allowed(const std::string& from, const std::string& to, const std::string& protocol = "tcp",
               int port = 80) {
    reconcile();
    return side(from, "egress", ip(to), protocol, port) &&
           side(to, "ingress", ip(from), protocol, port);
  }

  FakeSecurityPolicyWriter writer;
  RecordingStatus status;
  PolicyReconciler reconciler{writer, "default", &status};

 private:
  // What the data path would hold: the writer's groups, the user's groups, port memberships.
  struct Enforced {
    std::map<std::string, SecurityGroup> groups;
    std::map<std::string, std::vector<std::string>> filtering;  // by pod uid
    std::map<std::string, std::vector<std::string>> members;    // group id -> addresses
  };

  Enforced enforced() const {
    Enforced e{writer.groups(), {}, {}};
    for (const auto& [id, g] : user_groups_) e.groups[id] = g;
    for (const auto& [uid, address] : ips_) {
      if (!pods_.count(uid)) continue;
      auto port = writer.port("port-" + uid);
      if (!port) continue;  // host network: no port
      std::vector<std::string> filtering = writer.ownGroups("port-" + uid);
      filtering.insert(filtering.end(), port->groups.filter.begin(), port->groups.filter.end());
      for (const auto& g : filtering) e.members[g].push_back(address);
      for (const auto& g : port->groups.address) e.members[g].push_back(address);
      e.filtering[uid] = std::move(filtering);
    }
    return e;
  }

  static bool ruleMatches(const Enforced& e, const SecurityGroupRule& r,
                          const std::string& remote_ip, const std::string& protocol, int port) {
    const std::string rule_protocol = enumName(r.protocol);  // "" for any
    if (!rule_protocol.empty() && rule_protocol != protocol) return false;
    if ((rule_protocol == "tcp" || rule_protocol == "udp") && r.port_range_min) {
      if (port < *r.port_range_min || port > r.port_range_max.value_or(65535)) return false;
    }
    if (!r.remote_ip_prefix.empty()) {
      auto prefix = Ipv4Prefix::parse(r.remote_ip_prefix);
      auto address = Ipv4Address::parse(remote_ip);
      return prefix.ok() && address.ok() && prefix->contains(*address);
    }
    if (!r.remote_group_id.empty()) {
      auto it = e.members.find(r.remote_group_id.str());
      return it != e.members.end() &&
             std::find(it->second.begin(), it->second.end(), remote_ip) != it->second.end();
    }
    return true;
  }

  // The data path's check of one side: the port of `endpoint`, when it is a pod with a port.
  bool side(const std::string& endpoint, const std::string& direction, const std::string& remote_ip,
            const std::string& protocol, int port) const {
    const Enforced e = enforced();
    auto it = e.filtering.find(endpoint);
    if (it == e.filtering.end() || it->second.empty()) return true;  // no port, or unfiltered
    for (const auto& id : it->second) {
      auto g = e.groups.find(id);
      if (g == e.groups.end()) continue;  // unknown groups allow nothing
      for (const auto& r : g->second.rules) {
        if (enumName(r.direction) == direction && ruleMatches(e, r, remote_ip, protocol, port))
          return true;
      }
    }
    return false;
  }

  std::map<std::string, nlohmann::json> namespaces_;
  std::map<std::string, nlohmann::json> pods_;
  std::map<std::string, std::string> ips_;
  std::map<std::string, SecurityGroup> user_groups_;
};

}  // namespace alcor::controller::netpol
