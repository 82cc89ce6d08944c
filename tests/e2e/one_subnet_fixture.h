#pragma once

// Where most end-to-end tests start: a cluster (ClusterOptions: nodes, NATS, agent flags...)
// with one VPC, 10.0.0.0/16, and its subnet 10.0.1.0/24.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "tests/e2e/e2e_util.h"

namespace alcor::testing {

struct OneSubnetCluster {
  std::unique_ptr<Cluster> cluster;
  std::string vpc, subnet;
};

inline StatusOr<OneSubnetCluster> startOneSubnetCluster(ClusterOptions options) {
  OneSubnetCluster out;
  ASSIGN_OR_RETURN(out.cluster, Cluster::start(std::move(options)));
  ASSIGN_OR_RETURN(auto net, out.cluster->createVpcAndSubnet("10.0.0.0/16", "10.0.1.0/24"));
  std::tie(out.vpc, out.subnet) = net;
  return out;
}

class OneSubnetTest : public ::testing::Test {
 protected:
  explicit OneSubnetTest(ClusterOptions options) : options_(std::move(options)) {}
  void SetUp() override {
    auto c = startOneSubnetCluster(options_);
    ASSERT_TRUE(c.ok()) << c.status().message();
    cluster = std::move(c->cluster);
    vpc = c->vpc;
    subnet = c->subnet;
  }

  std::unique_ptr<Cluster> cluster;
  std::string vpc, subnet;

 private:
  ClusterOptions options_;
};

}  // namespace alcor::testing
