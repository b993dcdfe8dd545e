#include "docker/api_version.hpp"

#include <gtest/gtest.h>

namespace berth::docker {
namespace {

TEST(ApiVersion, ParsesAndOrders) {
  auto v = parse_api_version("1.41");
  ASSERT_TRUE(v);
  EXPECT_EQ(v->major, 1);
  EXPECT_EQ(v->minor, 41);
  EXPECT_LT(*v, (ApiVersion{1, 44}));
  EXPECT_EQ(v->str(), "1.41");
  EXPECT_LT((ApiVersion{1, 9}), (ApiVersion{1, 10}));  // numeric, not lexical
}

TEST(ApiVersion, RejectsGarbage) {
  for (const char* bad : {"", "1", "1.", ".41", "v1.41", "1.41.2", "1.x", "-1.2"}) {
    EXPECT_FALSE(parse_api_version(bad)) << bad;
  }
}

TEST(ApiVersion, NegotiatesDownToAnOldDaemon) {
  auto v = negotiate_api_version(ApiVersion{1, 41}, std::nullopt);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, (ApiVersion{1, 41}));
}

TEST(ApiVersion, CapsAtOurMaximumForANewDaemon) {
  // Docker 29.0 reports 1.52 and requires at least 1.44: never pin 1.41 there.
  auto v = negotiate_api_version(ApiVersion{1, 52}, ApiVersion{1, 44});
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, kClientMaxVersion);
  EXPECT_GE(*v, (ApiVersion{1, 44}));
}

TEST(ApiVersion, RefusesADaemonTooOld) {
  auto v = negotiate_api_version(ApiVersion{1, 40}, std::nullopt);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("1.40"), std::string::npos);
  EXPECT_NE(v.error().message.find("Docker 20.10"), std::string::npos);
}

TEST(ApiVersion, RefusesWhenTheDaemonMinimumIsAboveOurMaximum) {
  auto v = negotiate_api_version(ApiVersion{1, 60}, ApiVersion{1, 50});
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().message.find("requires API 1.50"), std::string::npos);
}

TEST(ApiVersion, WithoutAnApiVersionHeaderSpeaksOurMaximum) {
  auto v = negotiate_api_version(std::nullopt, std::nullopt);
  ASSERT_TRUE(v);
  EXPECT_EQ(*v, kClientMaxVersion);
}

}  // namespace
}  // namespace berth::docker
