#pragma once

// A two-node cluster with one VPC (10.0.0.0/16) holding two subnets, a = 10.0.1.0/24 and
// b = 10.0.2.0/24, and no router: the starting point of the routing and on-demand tests.

#include <gtest/gtest.h>

#include "tests/e2e/one_subnet_fixture.h"

namespace alcor::testing {

class TwoSubnetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = startOneSubnetCluster({.nodes = 2});
    ASSERT_TRUE(c.ok()) << c.status().message();
    cluster = std::move(c->cluster);
    std::tie(vpc, subnet_a) = std::tie(c->vpc, c->subnet);
    auto b = cluster->rest("POST", "/project/" + cluster->project() + "/subnets",
                           {{"subnet",
                             {{"name", "subnet-b"},
                              {"network_id", vpc},
                              {"cidr", "10.0.2.0/24"},
                              {"ip_version", 4}}}});
    ASSERT_TRUE(b.status == 201 || b.status == 200) << b.raw;
    subnet_b = b.body["subnet"]["id"];
  }

  std::unique_ptr<Cluster> cluster;
  std::string vpc, subnet_a, subnet_b;
};

}  // namespace alcor::testing
