#include "lib/base/flags.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace alcor {
namespace {

struct Config {
  std::string name = "default";
  int64_t port = 50001;
  bool verbose = false;
  double ratio = 0.5;
  std::vector<std::string> peers;
};

FlagSet makeFlags(Config& c) {
  FlagSet f("prog", "test program");
  f.addString("name", &c.name, "a name");
  f.addInt("port", &c.port, "a port");
  f.addBool("verbose", &c.verbose, "chatty");
  f.addDouble("ratio", &c.ratio, "a ratio");
  f.addStringList("peer", &c.peers, "peers");
  f.enableConfigFile();
  return f;
}

TEST(FlagSetTest, ParsesAllForms) {
  Config c;
  auto f = makeFlags(c);
  ASSERT_TRUE(f.parse({"--name=x", "--port", "9", "--verbose", "--ratio=1.5", "--peer=a", "--peer",
                       "b", "pos"})
                  .ok());
  EXPECT_EQ(c.name, "x");
  EXPECT_EQ(c.port, 9);
  EXPECT_TRUE(c.verbose);
  EXPECT_DOUBLE_EQ(c.ratio, 1.5);
  EXPECT_EQ(c.peers, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(f.positional(), std::vector<std::string>{"pos"});
}

TEST(FlagSetTest, RejectsUnknownAndBadValues) {
  Config c;
  EXPECT_FALSE(makeFlags(c).parse({"--nope=1"}).ok());
  EXPECT_FALSE(makeFlags(c).parse({"--port=abc"}).ok());
  EXPECT_FALSE(makeFlags(c).parse({"--verbose=maybe"}).ok());
  EXPECT_FALSE(makeFlags(c).parse({"--name"}).ok());
}

TEST(FlagSetTest, ConfigFileThenCommandLineWins) {
  std::string path = ::testing::TempDir() + "/flags_test.json";
  {
    std::ofstream out(path);
    out << R"({"name": "from-file", "port": 7, "verbose": true, "peer": ["p1", "p2"]})";
  }
  Config c;
  auto f = makeFlags(c);
  ASSERT_TRUE(f.parse({"--config", path, "--port=8"}).ok());
  EXPECT_EQ(c.name, "from-file");
  EXPECT_EQ(c.port, 8);
  EXPECT_TRUE(c.verbose);
  EXPECT_EQ(c.peers, (std::vector<std::string>{"p1", "p2"}));
  std::remove(path.c_str());
}

TEST(FlagSetTest, ConfigFileErrorsNameTheKey) {
  std::string path = ::testing::TempDir() + "/flags_bad.json";
  {
    std::ofstream out(path);
    out << R"({"bogus": 1})";
  }
  Config c;
  auto st = makeFlags(c).parse({"--config=" + path});
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("bogus"), std::string::npos) << st;
  std::remove(path.c_str());
}

TEST(FlagSetTest, HelpListsFlagsWithDefaults) {
  Config c;
  auto f = makeFlags(c);
  ASSERT_TRUE(f.parse({"--help"}).ok());
  EXPECT_TRUE(f.helpRequested());
  std::string u = f.usage();
  EXPECT_NE(u.find("--port VALUE"), std::string::npos);
  EXPECT_NE(u.find("default: 50001"), std::string::npos);
  EXPECT_NE(u.find("--config FILE"), std::string::npos);
}

}  // namespace
}  // namespace alcor
