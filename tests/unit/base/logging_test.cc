#include "lib/base/logging.h"

#include <gtest/gtest.h>

#include <vector>

namespace alcor::log {
namespace {

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setSink([this](Level, Component, std::string_view line) { lines_.emplace_back(line); });
    setLevel(Level::kInfo);
  }
  void TearDown() override {
    setSink(nullptr);
    setLevel(Level::kInfo);
  }
  std::vector<std::string> lines_;
};

TEST_F(LoggingTest, WritesLevelComponentAndMessage) {
  ALOG(Info, Ovsdb) << "connected to " << 42;
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find(" I ovsdb] connected to 42\n"), std::string::npos) << lines_[0];
}

TEST_F(LoggingTest, FiltersByLevelAndComponent) {
  ASSERT_TRUE(configure("warn,dpm=debug").ok());
  ALOG(Info, Ovsdb) << "hidden";
  ALOG(Debug, Dpm) << "shown";
  ALOG(Trace, Dpm) << "hidden";
  ALOG(Error, Ovsdb) << "shown";
  EXPECT_EQ(lines_.size(), 2u);
}

TEST_F(LoggingTest, DoesNotEvaluateArgumentsWhenDisabled) {
  int calls = 0;
  auto expensive = [&] { return ++calls; };
  ALOG(Debug, Main) << expensive();
  EXPECT_EQ(calls, 0);
}

TEST_F(LoggingTest, RejectsBadSpecs) {
  EXPECT_FALSE(configure("loud").ok());
  EXPECT_FALSE(configure("info,nosuch=debug").ok());
  EXPECT_FALSE(configure("info,ovsdb=loud").ok());
}

}  // namespace
}  // namespace alcor::log
