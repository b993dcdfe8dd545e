#include "config/disk_space.hpp"
#include "config/agent_config.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

constexpr std::int64_t kGiB = std::int64_t{1} << 30;
constexpr std::int64_t kMiB = std::int64_t{1} << 20;

TEST(MinFree, TheDefaultKeepsTenPercentAndTwoGibibytes) {
  const AgentConfig config;
  EXPECT_EQ(config.disk.min_free, (MinFree{10, 2 * kGiB}));
  const auto loaded = load_agent_config(R"({"disk": {"min_free": "10%, 2GiB"}})", "agent.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
  EXPECT_EQ(loaded.value->disk.min_free, config.disk.min_free);
}

TEST(MinFree, ReadsAPercentageAnAmountOrBoth) {
  EXPECT_EQ(*parse_min_free("15%").value, (MinFree{15, 0}));
  EXPECT_EQ(*parse_min_free("500MiB").value, (MinFree{0, 500 * kMiB}));
  EXPECT_EQ(*parse_min_free("3 GB").value, (MinFree{0, 3'000'000'000}));
  EXPECT_EQ(*parse_min_free("1TiB, 5%").value, (MinFree{5, 1024 * kGiB}));
  EXPECT_EQ(*parse_min_free("0").value, (MinFree{0, 0}));
  EXPECT_EQ(*parse_min_free("100%").value, (MinFree{100, 0}));
}

TEST(MinFree, RefusesWhatItCannotRead) {
  for (const char* bad : {"", "%", "10", "10 %%", "101%", "2 gib", "5%, 6%", "1GiB, 2GiB", "1,2,3", "-1GiB", "1.5GiB",
                          "99999999999999999TiB"}) {
    EXPECT_FALSE(parse_min_free(bad).value) << bad;
    EXPECT_FALSE(parse_min_free(bad).error.empty()) << bad;
  }
  const auto loaded = load_agent_config(R"({"disk": {"min_free": "2 gigs"}})", "agent.json");
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.problems.to_string().find("agent.json: disk.min_free: \"2 gigs\": \"gigs\" is not a unit"),
            std::string::npos)
      << loaded.problems.to_string();
}

TEST(DiskGuard, RefusesAPullThatWouldLeaveLessThanBothLimits) {
  const MinFree min{10, 2 * kGiB};
  // 100 GiB disk: 10 % (10 GiB) is the larger limit.
  const DiskSpace big{12 * kGiB, 100 * kGiB};
  EXPECT_FALSE(disk_guard_refusal(big, 1 * kGiB, min, "/var/lib/docker"));
  const auto refusal = disk_guard_refusal(big, 3 * kGiB, min, "/var/lib/docker");
  ASSERT_TRUE(refusal);
  EXPECT_EQ(*refusal,
            "not enough disk space: 12 GiB free on /var/lib/docker, the image needs 3.0 GiB and disk.min_free keeps "
            "10% of 100 GiB and 2.0 GiB free; nothing was pulled");
  // 8 GiB disk: the 2 GiB amount is the larger limit.
  const DiskSpace small{2 * kGiB + 100 * kMiB, 8 * kGiB};
  EXPECT_FALSE(disk_guard_refusal(small, 50 * kMiB, min, "/d"));
  EXPECT_TRUE(disk_guard_refusal(small, 200 * kMiB, min, "/d"));
  // Already below the limit: even an image of unknown size (0) is refused.
  EXPECT_TRUE(disk_guard_refusal(DiskSpace{1 * kGiB, 8 * kGiB}, 0, min, "/d"));
  // "0" turns the guard off.
  EXPECT_FALSE(disk_guard_refusal(DiskSpace{0, 8 * kGiB}, 5 * kGiB, MinFree{0, 0}, "/d"));
}

TEST(DiskGuard, BytesReadForPeople) {
  EXPECT_EQ(format_bytes(512), "512 B");
  EXPECT_EQ(format_bytes(1536), "1.5 KiB");
  EXPECT_EQ(format_bytes(300 * kMiB), "300 MiB");
  EXPECT_EQ(format_bytes(2 * kGiB), "2.0 GiB");
}

}  // namespace
}  // namespace berth::config
