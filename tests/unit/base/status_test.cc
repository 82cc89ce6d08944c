#include "lib/base/status.h"

#include <gtest/gtest.h>

#include <memory>

namespace alcor {
namespace {

StatusOr<int> half(int x) {
  if (x % 2) return invalidArgumentError("odd: " + std::to_string(x));
  return x / 2;
}

StatusOr<int> quarter(int x) {
  ASSIGN_OR_RETURN(int h, half(x));
  ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

Status check(int x) {
  RETURN_IF_ERROR(half(x).status());
  return okStatus();
}

TEST(StatusTest, CarriesCodeAndMessage) {
  Status s = notFoundError("port p1");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(s.toString(), "NOT_FOUND: port p1");
  EXPECT_EQ(s.withContext("DEL").message(), "DEL: port p1");
  EXPECT_TRUE(okStatus().ok());
  EXPECT_EQ(okStatus().toString(), "OK");
}

TEST(StatusOrTest, PropagatesErrorsThroughMacros) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).status().message(), "odd: 3");
  EXPECT_TRUE(check(4).ok());
  EXPECT_EQ(check(5).code(), StatusCode::kInvalidArgument);
}

TEST(StatusOrTest, HoldsMoveOnlyValues) {
  StatusOr<std::unique_ptr<int>> p = std::make_unique<int>(7);
  ASSERT_TRUE(p.ok());
  std::unique_ptr<int> v = std::move(p).value();
  EXPECT_EQ(*v, 7);
}

TEST(StatusOrTest, OkStatusIsNotAValue) {
  StatusOr<int> s = okStatus();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInternal);
}

}  // namespace
}  // namespace alcor
