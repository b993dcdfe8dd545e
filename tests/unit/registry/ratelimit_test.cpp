#include "registry/ratelimit.hpp"

#include <gtest/gtest.h>

namespace berth::registry {
namespace {

using namespace std::chrono_literals;
using std::chrono::system_clock;

// 1994-11-06 08:49:37 UTC, the example date of the HTTP specifications.
const system_clock::time_point kRfcExample = system_clock::time_point(784111777s);

TEST(RateLimit, DockerHubHeaders) {
  EXPECT_EQ(parse_rate_limit_value("100;w=21600"), (RateLimitValue{100, 21600s}));
  EXPECT_EQ(parse_rate_limit_value("76;w=21600"), (RateLimitValue{76, 21600s}));
  EXPECT_EQ(parse_rate_limit_value(" 76 ; w = 21600 "), (RateLimitValue{76, 21600s}));
  EXPECT_EQ(parse_rate_limit_value("0"), (RateLimitValue{0, std::nullopt}));
  EXPECT_EQ(parse_rate_limit_value("100, 100;w=21600"), (RateLimitValue{100, std::nullopt}));
  EXPECT_EQ(parse_rate_limit_value("100;w=21600, 5000;w=60"), (RateLimitValue{100, 21600s}));
  EXPECT_EQ(parse_rate_limit_value("100;burst=5;W=60"), (RateLimitValue{100, 60s}));
  EXPECT_EQ(parse_rate_limit_value("100;comment"), (RateLimitValue{100, std::nullopt}));
  for (auto bad : {"", " ", "abc", "-1", "1.5", "100;w=abc", "100;w=", "99999999999999999999999", ";w=60"}) {
    EXPECT_EQ(parse_rate_limit_value(bad), std::nullopt) << bad;
  }
}

TEST(RateLimit, Budget) {
  EXPECT_EQ(parse_rate_limit("100;w=21600", "76;w=21600"), (RateLimitBudget{100, 76, 21600s}));
  EXPECT_EQ(parse_rate_limit("100", "0;w=60"), (RateLimitBudget{100, 0, 60s}));
  EXPECT_EQ(parse_rate_limit("", ""), std::nullopt);  // not counted
  EXPECT_EQ(parse_rate_limit("100;w=21600", ""), std::nullopt);
  EXPECT_EQ(parse_rate_limit("x", "1"), std::nullopt);
}

TEST(HttpDate, AllThreeForms) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kRfcExample);
  EXPECT_EQ(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), system_clock::time_point(0s));
  EXPECT_EQ(parse_http_date("Wed, 29 Feb 2024 23:59:59 GMT"), system_clock::time_point(1709251199s));
  EXPECT_EQ(parse_http_date("Friday, 01-Jan-27 00:00:00 GMT"), system_clock::time_point(1798761600s));
  for (auto bad :
       {"", "Sun, 06 Nov 1994 08:49:37", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT", "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 8:49:37 GMT",
        "Xyz, 06 Nov 1994 08:49:37 GMT", "Sun, 006 Nov 1994 08:49:37 GMT", "Sun, 06 Nov 994 08:49:37 GMT", "120"}) {
    EXPECT_EQ(parse_http_date(bad), std::nullopt) << bad;
  }
}

TEST(RetryAfter, SecondsOrDate) {
  EXPECT_EQ(parse_retry_after("120", kRfcExample), 120s);
  EXPECT_EQ(parse_retry_after(" 0 ", kRfcExample), 0s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", kRfcExample), 120s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample + 500ms), 0s);  // in the past
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:38 GMT", kRfcExample + 500ms), 1s);  // rounded up
  EXPECT_EQ(parse_retry_after("99999999999999999999999", kRfcExample), std::chrono::seconds(365LL * 24 * 3600));
  for (auto bad : {"", "-5", "1.5", "soon", "331.163µs"}) {
    EXPECT_EQ(parse_retry_after(bad, kRfcExample), std::nullopt) << bad;
  }
}

TEST(RegistryBackoff, DoublesUpToTheCapAndResetsOnSuccess) {
  RegistryBackoff backoff(BackoffSettings{10s, 60s, 1h});
  const auto t0 = RegistryBackoff::Clock::time_point(1000h);
  EXPECT_TRUE(backoff.ready(t0));
  EXPECT_EQ(backoff.failures(), 0);

  EXPECT_EQ(backoff.record_failure(t0), 10s);
  EXPECT_EQ(backoff.failures(), 1);
  EXPECT_FALSE(backoff.ready(t0 + 9s));
  EXPECT_TRUE(backoff.ready(t0 + 10s));
  EXPECT_EQ(backoff.retry_at(), t0 + 10s);

  EXPECT_EQ(backoff.record_failure(t0 + 10s), 20s);
  EXPECT_EQ(backoff.record_failure(t0 + 30s), 40s);
  EXPECT_EQ(backoff.record_failure(t0 + 70s), 60s);  // capped
  EXPECT_EQ(backoff.record_failure(t0 + 130s), 60s);
  EXPECT_EQ(backoff.failures(), 5);

  backoff.record_success();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_TRUE(backoff.ready(t0 + 131s));
  EXPECT_EQ(backoff.record_failure(t0 + 200s), 10s);  // a new streak starts small
}

TEST(RegistryBackoff, HonoursRetryAfterWithinItsCap) {
  RegistryBackoff backoff(BackoffSettings{10s, 60s, 1h});
  const auto t0 = RegistryBackoff::Clock::time_point(1000h);
  EXPECT_EQ(backoff.record_failure(t0, 300s), 300s);  // longer than the backoff: honoured
  EXPECT_FALSE(backoff.ready(t0 + 299s));
  EXPECT_TRUE(backoff.ready(t0 + 300s));
  EXPECT_EQ(backoff.record_failure(t0 + 300s, 1s), 20s);   // shorter: the backoff wins
  EXPECT_EQ(backoff.record_failure(t0 + 320s, 100h), 1h);  // absurd: capped
  EXPECT_EQ(backoff.record_failure(t0 + 320s + 1h, -5s), 60s);
}

TEST(RegistryBackoff, ConcurrentFailuresDoNotLengthenTheStreak) {
  RegistryBackoff backoff(BackoffSettings{10s, 600s, 1h});
  const auto t0 = RegistryBackoff::Clock::time_point(1000h);
  EXPECT_EQ(backoff.record_failure(t0), 10s);
  EXPECT_EQ(backoff.record_failure(t0 + 1s), 9s);  // in flight before the first failure came back
  EXPECT_EQ(backoff.record_failure(t0 + 2s), 8s);
  EXPECT_EQ(backoff.failures(), 1);
  EXPECT_EQ(backoff.record_failure(t0 + 3s, 120s), 120s);  // but a Retry-After still counts
  EXPECT_EQ(backoff.failures(), 1);
  EXPECT_EQ(backoff.record_failure(t0 + 123s), 20s);
  EXPECT_EQ(backoff.failures(), 2);
}

TEST(RegistryBackoff, DefaultSettings) {
  RegistryBackoff backoff;
  const auto t0 = RegistryBackoff::Clock::time_point(1000h);
  EXPECT_EQ(backoff.record_failure(t0), 10s);
  auto now = t0;
  std::chrono::steady_clock::duration wait{};
  for (int i = 0; i < 40; ++i) {
    now = backoff.retry_at();
    wait = backoff.record_failure(now);
  }
  EXPECT_EQ(wait, 30min);
}

}  // namespace
}  // namespace berth::registry
