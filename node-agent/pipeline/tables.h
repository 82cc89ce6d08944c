#pragma once

// The agent's OpenFlow pipeline on the integration bridge: tables as named objects, in packet
// order. docs/design/ovs-pipeline.md describes each one; change them together.
//
// To add a table: pick an unused id between its neighbours in packet order, add it to kTables,
// document it in ovs-pipeline.md, and give it a default (table-miss) flow in defaultFlows().

#include <array>
#include <cstdint>
#include <string_view>

namespace alcor::agent::pipeline {

struct Table {
  uint8_t id;
  std::string_view name;
};

inline constexpr Table kClassifier{0, "Classifier"};               // source: pod port / tunnel
inline constexpr Table kSpoofGuard{10, "SpoofGuard"};              // port security on pod traffic
inline constexpr Table kArpResponder{20, "ArpResponder"};          // answers ARP from flows
inline constexpr Table kLocalServices{25, "LocalServices"};        // DHCP to the agent
inline constexpr Table kEgressConntrack{30, "EgressConntrack"};    // SG: track pod egress
inline constexpr Table kEgressRules{31, "EgressRules"};            // SG: egress allow rules
inline constexpr Table kHostConntrack{35, "HostConntrack"};        // host VPCs: look up the zone
inline constexpr Table kHostReturn{36, "HostReturn"};              // replies to the node's NAT
inline constexpr Table kL3Forwarding{40, "L3Forwarding"};          // gateway ICMP, DVR routing
inline constexpr Table kL3Routes{41, "L3Routes"};                  // routed: next-hop MACs
inline constexpr Table kDvrRestore{45, "DvrRestore"};              // routed frames from the overlay
inline constexpr Table kL2Forwarding{50, "L2Forwarding"};          // MAC -> local port / tunnel
inline constexpr Table kIngressConntrack{60, "IngressConntrack"};  // SG: track pod ingress
inline constexpr Table kIngressRules{61, "IngressRules"};          // SG: ingress allow rules
inline constexpr Table kOutput{70, "Output"};                      // output to the chosen port

inline constexpr std::array kTables = {
    kClassifier,  kSpoofGuard,    kArpResponder,     kLocalServices, kEgressConntrack,
    kEgressRules, kHostConntrack, kHostReturn,       kL3Forwarding,  kL3Routes,
    kDvrRestore,  kL2Forwarding,  kIngressConntrack, kIngressRules,  kOutput};

std::string_view tableName(uint8_t id);

}  // namespace alcor::agent::pipeline
