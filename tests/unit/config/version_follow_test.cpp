#include "config/version_follow.hpp"
#include "config/service_policy.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

using Tags = std::vector<std::string>;

SemVer v(const std::string& text) {
  auto parsed = parse_semver(text);
  EXPECT_TRUE(parsed) << text;
  return parsed.value_or(SemVer{});
}

VersionFollow follow(const std::string& text) {
  std::string error;
  auto f = VersionFollow::parse(text, &error);
  EXPECT_TRUE(f) << text << ": " << error;
  return f ? *f : *VersionFollow::parse("regex:^$", nullptr);
}

TEST(SemVer, ParsesTagsAndOrdersByPrecedence) {
  EXPECT_EQ(v("v1.4.2").minor, 4);
  EXPECT_EQ(v("1.4.2+build.7").patch, 2);
  EXPECT_EQ(v("2.0.0-rc.1").prerelease, (std::vector<std::string>{"rc", "1"}));
  for (const char* bad : {"1.4", "1.4.2.1", "01.4.2", "1.4.2-", "1.4.2-01", "latest", "1.4.x", ""}) {
    EXPECT_FALSE(parse_semver(bad)) << bad;
  }
  // The order semver.org gives as its example.
  const Tags ordered{
      "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
      "1.0.0",       "1.1.0",         "1.10.0",           "2.0.0"};
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
    EXPECT_LT(compare(v(ordered[i]), v(ordered[i + 1])), 0) << ordered[i] << " < " << ordered[i + 1];
    EXPECT_GT(compare(v(ordered[i + 1]), v(ordered[i])), 0);
  }
  EXPECT_EQ(compare(v("1.0.0+a"), v("v1.0.0+b")), 0);
}

TEST(SemVer, RangesFollowTheUsualOperators) {
  const Tags tags{"1.3.9", "1.4.0", "1.4.7", "1.5.2", "1.10.0", "2.0.0-rc.1", "2.0.0", "2.3.1", "v3.0.0", "latest"};
  EXPECT_EQ(follow("semver:^1.4").pick(tags), "1.10.0");
  EXPECT_EQ(follow("semver:~1.4").pick(tags), "1.4.7");
  EXPECT_EQ(follow("semver:~2").pick(tags), "2.3.1");
  EXPECT_EQ(follow("semver:>=1.2 <2").pick(tags), "1.10.0");
  EXPECT_EQ(follow("semver:>=1.2 <=1.5").pick(tags), "1.5.2");
  EXPECT_EQ(follow("semver:>1.4 <1.10").pick(tags), "1.5.2");
  EXPECT_EQ(follow("semver:1.4.x").pick(tags), "1.4.7");
  EXPECT_EQ(follow("semver:1.4.0").pick(tags), "1.4.0");
  EXPECT_EQ(follow("semver:^1.4 || ^3").pick(tags), "v3.0.0");
  EXPECT_EQ(follow("semver:*").pick(tags), "v3.0.0");
  EXPECT_EQ(follow("semver:^4").pick(tags), std::nullopt);
  // 0.x: the minor is the breaking part.
  EXPECT_EQ(follow("semver:^0.4").pick({"0.4.1", "0.4.9", "0.5.0"}), "0.4.9");
  EXPECT_EQ(follow("semver:^0.0.3").pick({"0.0.3", "0.0.4"}), "0.0.3");
}

TEST(SemVer, PreReleasesOnlyWhenTheRangeNamesOne) {
  const Tags tags{"1.9.0", "2.0.0-rc.1", "2.0.0-rc.2"};
  EXPECT_EQ(follow("semver:>=1.0").pick(tags), "1.9.0");
  EXPECT_EQ(follow("semver:<2").pick(tags), "1.9.0");
  EXPECT_EQ(follow("semver:>=2.0.0-rc.1").pick(tags), "2.0.0-rc.2");
  EXPECT_EQ(follow("semver:^2.0.0-rc.1").pick({"2.0.0-rc.3", "2.1.0-beta.1", "2.0.5"}), "2.0.5");
  EXPECT_EQ(follow("semver:^2.0.0-rc.1").pick({"2.0.0-rc.3", "2.1.0-beta.1"}), "2.0.0-rc.3");
}

TEST(RegexFollow, PicksTheHighestMatchInNaturalOrder) {
  const auto f = follow("regex:^release-\\d{8}$");
  EXPECT_EQ(f.pick({"release-20240101", "release-20241231", "release-20240615", "release-2025", "latest"}),
            "release-20241231");
  EXPECT_EQ(follow("regex:^build-[0-9]+$").pick({"build-9", "build-10", "build-1"}), "build-10");
  EXPECT_EQ(natural_compare("a-9", "a-10"), -1);
  EXPECT_EQ(natural_compare("a-010", "a-10"), -1);
  EXPECT_EQ(natural_compare("a", "a"), 0);
  EXPECT_EQ(natural_compare("b", "a-1"), 1);
}

TEST(VersionFollowLabel, BadPatternsAreReported) {
  for (const char* bad : {"^1.4", "semver:", "semver:^1.x.4", "semver:>=", "semver:banana", "regex:(", "regex:"}) {
    const auto result = service_policy_from_labels({{"berth.follow", bad}}, "container web");
    EXPECT_FALSE(result.ok()) << bad;
    EXPECT_NE(result.problems.to_string().find("container web: Labels[\"berth.follow\"]: "), std::string::npos)
        << result.problems.to_string();
  }
  const auto ok = service_policy_from_labels({{"berth.follow", "semver:^1.4"}}, "container web");
  ASSERT_TRUE(ok.ok()) << ok.problems.to_string();
  ASSERT_TRUE(ok.value->follow);
  EXPECT_EQ(ok.value->follow->text(), "semver:^1.4");
}

}  // namespace
}  // namespace berth::config
