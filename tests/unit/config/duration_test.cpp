#include "config/duration.hpp"

#include <gtest/gtest.h>

namespace berth::config {
namespace {

using namespace std::chrono_literals;

TEST(Duration, ParsesEachUnit) {
  EXPECT_EQ(parse_duration("500ms").value, 500ms);
  EXPECT_EQ(parse_duration("30s").value, 30s);
  EXPECT_EQ(parse_duration("5m").value, 5min);
  EXPECT_EQ(parse_duration("1h").value, 1h);
  EXPECT_EQ(parse_duration("0s").value, 0ms);
}

TEST(Duration, ParsesCombinations) {
  EXPECT_EQ(parse_duration("1m30s").value, 90s);
  EXPECT_EQ(parse_duration("1h30m").value, 90min);
  EXPECT_EQ(parse_duration("2h5m10s250ms").value, 2h + 5min + 10s + 250ms);
}

TEST(Duration, RefusesWithAReason) {
  EXPECT_EQ(parse_duration("").error, "empty duration; write for example \"30s\"");
  EXPECT_EQ(parse_duration("30").error, "\"30\" has no unit; write for example \"30s\"");
  EXPECT_EQ(parse_duration("-5s").error, "\"-5s\" is negative; durations are zero or more");
  EXPECT_EQ(parse_duration("1.5s").error,
            "\"1.5s\" has a fraction; use a smaller unit, for example \"1500ms\" for 1.5s");
  EXPECT_EQ(parse_duration("5d").error, "\"5d\": unknown unit \"d\"; use ms, s, m or h");
  EXPECT_EQ(parse_duration("30s5m").error, "\"30s5m\": units must go from largest to smallest, each once (\"1h30m\")");
  EXPECT_EQ(parse_duration("5m5m").error, "\"5m5m\": units must go from largest to smallest, each once (\"1h30m\")");
  EXPECT_EQ(parse_duration("s").error, "\"s\" is not a duration; write for example \"500ms\", \"30s\", \"5m\", \"1h\"");
  EXPECT_EQ(parse_duration(" 5s").error,
            "\" 5s\" is not a duration; write for example \"500ms\", \"30s\", \"5m\", \"1h\"");
  EXPECT_EQ(parse_duration("99999999999999999999h").error, "\"99999999999999999999h\" is too long");
  EXPECT_EQ(parse_duration("9999999999h").error, "\"9999999999h\" is too long");
  EXPECT_FALSE(parse_duration("5 s").value.has_value());
}

TEST(Duration, FormatsTheShortestForm) {
  EXPECT_EQ(format_duration(0ms), "0s");
  EXPECT_EQ(format_duration(500ms), "500ms");
  EXPECT_EQ(format_duration(30s), "30s");
  EXPECT_EQ(format_duration(90s), "1m30s");
  EXPECT_EQ(format_duration(1h), "1h");
  EXPECT_EQ(format_duration(1500ms), "1s500ms");
  EXPECT_EQ(format_duration(-2s), "-2s");
}

TEST(Duration, RoundTrips) {
  for (const auto text : {"500ms", "30s", "5m", "1h", "1m30s", "1h1m1s1ms", "10h"}) {
    const auto parsed = parse_duration(text);
    ASSERT_TRUE(parsed.value) << text;
    EXPECT_EQ(format_duration(*parsed.value), text);
  }
}

TEST(Percent, ParsesWholePercentages) {
  EXPECT_EQ(parse_percent("10%").value, 10);
  EXPECT_EQ(parse_percent("0%").value, 0);
  EXPECT_EQ(parse_percent("100%").value, 100);
}

TEST(Percent, RefusesWithAReason) {
  EXPECT_EQ(parse_percent("10").error, "\"10\" is not a percentage; write for example \"10%\"");
  EXPECT_EQ(parse_percent("%").error, "\"%\" is not a percentage; write for example \"10%\"");
  EXPECT_EQ(parse_percent("101%").error, "\"101%\" is more than 100%");
  EXPECT_EQ(parse_percent("1.5%").error, "\"1.5%\" is not a percentage; write a whole number from 0 to 100, then %");
  EXPECT_EQ(parse_percent("-5%").error, "\"-5%\" is not a percentage; write a whole number from 0 to 100, then %");
}

}  // namespace
}  // namespace berth::config
