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

TEST(ThrottleTest, IPv6AddressesCountPerSlash64) {
  AuthThrottle t;
  const auto t0 = AuthThrottle::Clock::time_point{} + std::chrono::hours(1);
  // One host holds a whole /64: changing the low bits must not reset its count.
  for (int i = 0; i < 10; ++i) {
    t.record_failure("2001:db8:1:2::" + std::to_string(i + 1), t0);
  }
  EXPECT_TRUE(t.retry_after("2001:db8:1:2::ffff", t0));
  EXPECT_TRUE(t.retry_after("2001:db8:1:2:aaaa:bbbb:cccc:dddd", t0));
  EXPECT_TRUE(t.retry_after("2001:0db8:0001:0002:0:0:0:7", t0));
  EXPECT_FALSE(t.retry_after("2001:db8:1:3::1", t0));
  EXPECT_FALSE(t.retry_after("::1", t0));
  EXPECT_EQ(t.tracked(), 1u);
  // IPv4 addresses stay one each, and whatever is not an address is its own key.
  for (int i = 0; i < 10; ++i) {
    t.record_failure("192.0.2.1", t0);
    t.record_failure("unix", t0);
  }
  EXPECT_TRUE(t.retry_after("192.0.2.1", t0));
  EXPECT_FALSE(t.retry_after("192.0.2.2", t0));
  EXPECT_TRUE(t.retry_after("unix", t0));
}

TEST(ThrottleTest, GroupKeys) {
  EXPECT_EQ(throttle_group("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_group("2001:DB8:1:2::"), "2001:db8:1:2::/64");
  EXPECT_EQ(throttle_group("::1"), "0:0:0:0::/64");
  EXPECT_EQ(throttle_group("fe80::1%eth0"), "fe80:0:0:0::/64");
  EXPECT_EQ(throttle_group("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(throttle_group("not an address"), "not an address");
}

}  // namespace
}  // namespace berth::control
