#include "control/throttle.hpp"

#include <gtest/gtest.h>

namespace berth::control {
namespace {

using std::chrono::seconds;

TEST(ThrottleTest, TenFailuresInAMinuteThrottleUntilTheOldestExpires) {
  AuthThrottle t;
  const auto t0 = AuthThrottle::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 9; ++i) {
    t.record_failure("10.0.0.1", t0 + seconds(i));
    EXPECT_FALSE(t.retry_after("10.0.0.1", t0 + seconds(i)));
  }
  t.record_failure("10.0.0.1", t0 + seconds(9));
  auto wait = t.retry_after("10.0.0.1", t0 + seconds(9));
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, seconds(51));
  EXPECT_FALSE(t.retry_after("10.0.0.2", t0 + seconds(9)));  // per address
  EXPECT_TRUE(t.retry_after("10.0.0.1", t0 + seconds(59)));
  EXPECT_EQ(*t.retry_after("10.0.0.1", t0 + seconds(59)), seconds(1));
  EXPECT_FALSE(t.retry_after("10.0.0.1", t0 + seconds(60)));
}

TEST(ThrottleTest, SpreadOutFailuresNeverThrottle) {
  AuthThrottle t;
  const auto t0 = AuthThrottle::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 100; ++i) {
    t.record_failure("a", t0 + seconds(7 * i));
    EXPECT_FALSE(t.retry_after("a", t0 + seconds(7 * i)));
  }
}

TEST(ThrottleTest, TrackedAddressesAreBounded) {
  AuthThrottle::Limits limits;
  limits.max_addresses = 100;
  AuthThrottle t(limits);
  const auto t0 = AuthThrottle::Clock::time_point{} + std::chrono::hours(1);
  for (int i = 0; i < 1000; ++i) {
    t.record_failure("10.1." + std::to_string(i / 250) + "." + std::to_string(i % 250), t0 + seconds(i % 30));
  }
  EXPECT_LE(t.tracked(), 100u);
}

}  // namespace
}  // namespace berth::control
