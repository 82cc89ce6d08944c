#pragma once

// InterfacePlumber on the real host: the veth through lib/netlink, the OVS port through
// lib/ovsdb. No tool is forked.

#include <chrono>
#include <string>

#include "lib/netlink/link_manager.h"
#include "lib/ovsdb/bridge_client.h"
#include "node-agent/cniserver/interface_plumber.h"

namespace alcor::agent {

struct PlumberOptions {
  std::string bridge = "br-int";
  std::chrono::milliseconds ofport_timeout{10000};
};

class InterfacePlumberImpl : public InterfacePlumber {
 public:
  InterfacePlumberImpl(netlink::LinkManager& links, ovsdb::BridgeClient& bridges,
                       PlumberOptions options)
      : links_(links), bridges_(bridges), options_(std::move(options)) {}

  StatusOr<PlugResult> plug(const PlugRequest& request) override;
  Status configure(const PodAddressing& addressing) override;
  Status unplug(const std::string& ovs_port, const std::string& netns,
                const std::string& ifname) override;
  StatusOr<std::vector<Attachment>> listAttachments() override;
  StatusOr<std::vector<std::string>> removeStrayVeths(
      const std::set<std::string>& ovs_ports) override;
  StatusOr<PodInterfaceInfo> inspect(const std::string& netns, const std::string& ifname) override;

 private:
  netlink::LinkManager& links_;
  ovsdb::BridgeClient& bridges_;
  const PlumberOptions options_;
};

}  // namespace alcor::agent
