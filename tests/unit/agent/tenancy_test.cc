// Tenancy of pod annotations: a pod may choose a project, VPC or security groups only among
// what the cluster admin gave its namespace (its own annotations, else the network
// configuration and agent defaults, plus the alcor.io/allowed-* lists); anything else fails the
// ADD with error 7 that names the annotation and how to allow it.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "node-agent/cniserver/pod_network_choice.h"
#include "tests/fakes/fake_kubernetes_client.h"

namespace alcor::agent {
namespace {

using cni::ErrorCode;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TenancyTest : public ::testing::Test {
 protected:
  cni::CniResultOr<PodNetworkChoice> choose(const std::string& ns, const std::string& pod) {
    cni::PodArgs args;
    args.pod_namespace = ns;
    args.pod_name = pod;
    return choosePodNetwork(config_, args, defaults_, &kube_);
  }
  FakeKubernetesClient kube_;
  cni::NetworkConfig config_;
  PodNetworkDefaults defaults_{"default", "cluster-vpc", "cluster-subnet"};
};

TEST_F(TenancyTest, APodMayNotJoinAVpcItsNamespaceWasNotGiven) {
  kube_.namespaces["blue"] = {{"alcor.io/vpc", "blue-vpc"}, {"alcor.io/subnet", "blue-sub"}};
  kube_.pods["blue/intruder"] = {{"alcor.io/vpc", "red-vpc"}};
  auto c = choose("blue", "intruder");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error.code, ErrorCode::kInvalidNetworkConfig);
  EXPECT_THAT(c.error.message, HasSubstr("alcor.io/vpc chooses VPC \"red-vpc\""));
  EXPECT_THAT(c.error.message, HasSubstr("namespace blue may not use"));
  EXPECT_THAT(c.error.message, HasSubstr("allowed: blue-vpc"));
  EXPECT_THAT(c.error.message, HasSubstr("alcor.io/allowed-vpcs"));

  // Unannotated namespaces: the pod may name only the cluster's VPC.
  kube_.pods["default/intruder"] = {{"alcor.io/vpc", "red-vpc"}};
  EXPECT_FALSE(choose("default", "intruder").ok());
  kube_.pods["default/plain"] = {{"alcor.io/vpc", "cluster-vpc"}};
  EXPECT_TRUE(choose("default", "plain").ok());
  // And a VPC of the network configuration (the admin's) is allowed without a list.
  config_.vpc = "conf-vpc";
  kube_.pods["default/conf"] = {{"alcor.io/vpc", "conf-vpc"}};
  EXPECT_TRUE(choose("default", "conf").ok());
}

TEST_F(TenancyTest, TheAdminsListsWidenTheChoice) {
  kube_.namespaces["blue"] = {{"alcor.io/vpc", "blue-vpc"},
                              {"alcor.io/allowed-vpcs", "green-vpc, shared-vpc"},
                              {"alcor.io/allowed-projects", "shared"},
                              {"alcor.io/security-groups", "sg-default"},
                              {"alcor.io/allowed-security-groups", "sg-web,sg-db"}};
  kube_.pods["blue/web"] = {{"alcor.io/project", "shared"},
                            {"alcor.io/vpc", "shared-vpc"},
                            {"alcor.io/subnet", "shared-sub-2"},
                            {"alcor.io/security-groups", "sg-web, sg-default"}};
  auto c = choose("blue", "web");
  ASSERT_TRUE(c.ok()) << c.error.message;
  EXPECT_EQ(c.value->project, "shared");
  EXPECT_EQ(c.value->vpc, "shared-vpc");
  EXPECT_EQ(c.value->subnet, "shared-sub-2");  // the controller checks it belongs to the VPC
  EXPECT_THAT(c.value->security_groups, ElementsAre("sg-web", "sg-default"));

  kube_.pods["blue/admin"] = {{"alcor.io/security-groups", "sg-web,sg-admin"}};
  auto sg = choose("blue", "admin");
  ASSERT_FALSE(sg.ok());
  EXPECT_THAT(sg.error.message, HasSubstr("security group \"sg-admin\""));
  EXPECT_THAT(sg.error.message, HasSubstr("alcor.io/allowed-security-groups"));

  kube_.pods["blue/proj"] = {{"alcor.io/project", "other-tenant"}};
  auto p = choose("blue", "proj");
  ASSERT_FALSE(p.ok());
  EXPECT_THAT(p.error.message, HasSubstr("project \"other-tenant\""));

  kube_.namespaces["open"] = {{"alcor.io/allowed-vpcs", "*"}};
  kube_.pods["open/any"] = {{"alcor.io/vpc", "whatever-vpc"}};
  EXPECT_TRUE(choose("open", "any").ok());
}

TEST_F(TenancyTest, NamespaceLevelChoicesAreTheAdminsAndStandAsBefore) {
  kube_.namespaces["red"] = {{"alcor.io/project", "red-proj"},
                             {"alcor.io/vpc", "red-vpc"},
                             {"alcor.io/security-groups", "sg-a"}};
  kube_.pods["red/p"] = {{"alcor.io/ip-address", "10.0.0.9"}};
  auto c = choose("red", "p");
  ASSERT_TRUE(c.ok()) << c.error.message;
  EXPECT_EQ(c.value->project, "red-proj");
  EXPECT_EQ(c.value->vpc, "red-vpc");
  EXPECT_THAT(c.value->security_groups, ElementsAre("sg-a"));
  EXPECT_EQ(c.value->ip, "10.0.0.9");
}

}  // namespace
}  // namespace alcor::agent
