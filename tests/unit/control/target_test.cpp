#include "control/target.hpp"

#include <gtest/gtest.h>

namespace berth::control {
namespace {

TEST(TargetTest, PlainPathAndQuery) {
  auto t = normalise_target("/v1/history?service=web&x=1");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ(t->path, "/v1/history");
  EXPECT_EQ(t->segments, (std::vector<std::string>{"v1", "history"}));
  EXPECT_EQ(t->query.at("service"), "web");
  EXPECT_EQ(t->query.at("x"), "1");
}

TEST(TargetTest, RootHasNoSegments) {
  auto t = normalise_target("/");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/");
  EXPECT_TRUE(t->segments.empty());
}

TEST(TargetTest, PercentDecodingOfOrdinaryCharacters) {
  auto t = normalise_target("/v1/services/%77eb");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->path, "/v1/services/web");
  auto q = normalise_target("/v1/history?service=my%2Dapp+x");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->query.at("service"), "my-app x");
}

TEST(TargetTest, RefusesWhatWouldNeedRepair) {
  for (const char* bad : {"",
                          "v1/health",
                          "http://x/v1/health",
                          "*",
                          "//v1/health",
                          "/v1//health",
                          "/v1/health/",
                          "/v1/./health",
                          "/v1/../v1/health",
                          "/v1/%2e%2e/health",
                          "/v1/%2E/health",
                          "/v1/a%2Fb",
                          "/v1/a%2fb",
                          "/v1/a%5cb",
                          "/v1/a\\b",
                          "/v1/a%00b",
                          "/v1/a%zz",
                          "/v1/a%2",
                          "/v1/a%",
                          "/v1/a;b",
                          "/v1/a%3bb",
                          "/v1/a%20b",
                          "/v1/a b",
                          "/v1/h#x",
                          "/v1/a%252e",
                          "/v1/\x7f",
                          "/v1/caf\xc3\xa9",
                          "/v1/history?a=1&a=2",
                          "/v1/history?=x",
                          "/v1/history?a=%0a"}) {
    EXPECT_FALSE(normalise_target(bad)) << "accepted: " << bad;
  }
}

TEST(TargetTest, LengthAndParameterCaps) {
  EXPECT_FALSE(normalise_target("/" + std::string(kMaxTargetBytes, 'a')));
  std::string many = "/v1/history?";
  for (std::size_t i = 0; i <= kMaxQueryParams; ++i) {
    many += "k" + std::to_string(i) + "=v&";
  }
  EXPECT_FALSE(normalise_target(many));
  EXPECT_TRUE(normalise_target("/v1/history?&&a=1&"));
}

}  // namespace
}  // namespace berth::control
