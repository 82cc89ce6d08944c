#pragma once

// gtest fixture: a fresh network namespace with its own OVS sandbox; after the test, OVS is
// stopped, its logs must hold no unexpected WARN/ERR lines, and the namespace is deleted.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>

#include "tests/harness/netns.h"
#include "tests/harness/ovs_sandbox.h"

namespace alcor::testing {

class OvsNamespaceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = Netns::create("node");
    ASSERT_TRUE(ns.ok()) << ns.status();
    node_ = std::move(ns).value();
    auto ovs = OvsSandbox::start(node_->name());
    ASSERT_TRUE(ovs.ok()) << ovs.status();
    ovs_ = std::move(ovs).value();
  }

  void TearDown() override {
    if (ovs_) {
      (void)ovs_->stop();
      EXPECT_THAT(ovs_->unexpectedLogLines(), ::testing::IsEmpty())
          << "OVS logged unexpected warnings or errors (run dir " << ovs_->runDir() << ")";
      ovs_.reset();
    }
    node_.reset();
  }

  std::unique_ptr<Netns> node_;
  std::unique_ptr<OvsSandbox> ovs_;
};

}  // namespace alcor::testing
