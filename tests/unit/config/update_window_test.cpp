#include "config/update_window.hpp"
#include "config/agent_config.hpp"
#include "config/service_policy.hpp"
#include "config/time_zone.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace berth::config {
namespace {

using namespace std::chrono;

// A fake clock: instants are written out in UTC.
SysSeconds at(int y, unsigned mo, unsigned d, int h, int mi = 0, int s = 0) {
  return SysSeconds{sys_days{year{y} / month{mo} / day{d}}} + hours(h) + minutes(mi) + seconds(s);
}

UpdateWindow window(const std::string& text) {
  auto parsed = parse_update_window(text);
  EXPECT_TRUE(parsed.value) << text << ": " << parsed.error;
  return parsed.value.value_or(UpdateWindow{});
}

TimeZone zone(const std::string& name) {
  auto z = TimeZone::load(name);
  EXPECT_TRUE(z) << name << ": " << (z ? "" : z.error().message);
  return z ? *z : TimeZone{};
}

// The system's tz database, never the process's TZ: a different TZ changes nothing.
class WindowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz != nullptr ? std::optional<std::string>(tz) : std::nullopt;
    ::setenv("TZ", "Pacific/Kiritimati", 1);
  }
  void TearDown() override {
    if (saved_) {
      ::setenv("TZ", saved_->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
  }
  std::optional<std::string> saved_;
};

TEST_F(WindowTest, BerlinOffsetsAcrossItsDaylightSavingChanges) {
  const auto berlin = zone("Europe/Berlin");
  // 2026: forward on Sunday 29 March at 01:00 UTC, back on Sunday 25 October at 01:00 UTC.
  EXPECT_EQ(berlin.offset_at(at(2026, 3, 29, 0, 59, 59)), 3600);
  EXPECT_EQ(berlin.offset_at(at(2026, 3, 29, 1)), 7200);
  EXPECT_EQ(berlin.offset_at(at(2026, 10, 25, 0, 59, 59)), 7200);
  EXPECT_EQ(berlin.offset_at(at(2026, 10, 25, 1)), 3600);
  // From the file's transitions (1980s) and from its rule, long after the last transition.
  EXPECT_EQ(berlin.offset_at(at(1985, 7, 1, 12)), 7200);
  EXPECT_EQ(berlin.offset_at(at(1985, 1, 1, 12)), 3600);
  EXPECT_EQ(berlin.offset_at(at(2099, 7, 1, 12)), 7200);
  EXPECT_EQ(berlin.offset_at(at(2099, 12, 1, 12)), 3600);
}

TEST_F(WindowTest, OtherZonesAndRules) {
  EXPECT_EQ(zone("Asia/Seoul").offset_at(at(2026, 7, 1, 0)), 9 * 3600);
  EXPECT_EQ(zone("UTC").offset_at(at(2026, 7, 1, 0)), 0);
  const auto ny = zone("America/New_York");
  EXPECT_EQ(ny.offset_at(at(2026, 3, 8, 6, 59, 59)), -5 * 3600);
  EXPECT_EQ(ny.offset_at(at(2026, 3, 8, 7)), -4 * 3600);
  // The southern hemisphere: daylight saving time spans the new year.
  const auto sydney = zone("Australia/Sydney");
  EXPECT_EQ(sydney.offset_at(at(2031, 1, 15, 0)), 11 * 3600);
  EXPECT_EQ(sydney.offset_at(at(2031, 7, 1, 0)), 10 * 3600);
  // Rules as TZif footers write them: a quoted name, minutes, a change at hour 26.
  const auto iran = parse_posix_zone_rule("<+0330>-3:30");
  ASSERT_TRUE(iran);
  EXPECT_EQ(iran->offset_at(at(2040, 1, 1, 0)), 3 * 3600 + 1800);
  const auto israel = parse_posix_zone_rule("IST-2IDT,M3.4.4/26,M10.5.0");
  ASSERT_TRUE(israel);
  EXPECT_EQ(israel->start.time, 26 * 3600);
  EXPECT_EQ(israel->offset_at(at(2040, 7, 1, 0)), 3 * 3600);
  EXPECT_EQ(israel->offset_at(at(2040, 1, 1, 0)), 2 * 3600);
  for (const char* bad : {"", "C-1", "CET", "CET-1CEST,M13.1.0,M10.5.0", "CET-1CEST,M3.5.0", "CET-1CEST,M3.5.0,x"}) {
    EXPECT_FALSE(parse_posix_zone_rule(bad)) << bad;
  }
  EXPECT_FALSE(TimeZone::load("Mars/Olympus_Mons"));
  EXPECT_FALSE(TimeZone::load("../../etc/passwd"));
  EXPECT_FALSE(TimeZone::from_tzif("x", "TZif2 but not really"));
}

TEST_F(WindowTest, WeekdaySpansInUtc) {
  const auto w = window("Mon-Fri 02:00-04:00 UTC");
  // Monday 7 December 2026.
  EXPECT_FALSE(w.contains(at(2026, 12, 7, 1, 59, 59)));
  EXPECT_TRUE(w.contains(at(2026, 12, 7, 2)));
  EXPECT_TRUE(w.contains(at(2026, 12, 7, 3, 59, 59)));
  EXPECT_FALSE(w.contains(at(2026, 12, 7, 4)));
  EXPECT_FALSE(w.contains(at(2026, 12, 12, 3)));  // Saturday
  EXPECT_EQ(w.describe_next(at(2026, 12, 7, 5)), "Tue 02:00 UTC");
  EXPECT_EQ(w.describe_next(at(2026, 12, 11, 5)), "Mon 02:00 UTC");  // Friday after the window
  EXPECT_EQ(w.describe_next(at(2026, 12, 7, 3)), "now");
  const auto opening = w.next_opening(at(2026, 12, 7, 1, 30, 20));
  ASSERT_TRUE(opening);
  EXPECT_EQ(opening->at, at(2026, 12, 7, 2));
}

TEST_F(WindowTest, SpansPastMidnightListsAndSeveralSpans) {
  const auto w = window("Sat 22:00-02:00; Mon,Wed 12:00-12:30 Asia/Seoul");
  EXPECT_TRUE(w.contains(at(2026, 12, 12, 23)));     // Saturday night
  EXPECT_TRUE(w.contains(at(2026, 12, 13, 1, 59)));  // Sunday morning, the same span
  EXPECT_FALSE(w.contains(at(2026, 12, 13, 22, 30)));
  EXPECT_TRUE(w.contains(at(2026, 12, 9, 3, 10)));   // Wednesday 12:10 in Seoul
  EXPECT_FALSE(w.contains(at(2026, 12, 8, 3, 10)));  // Tuesday
  EXPECT_EQ(w.describe_next(at(2026, 12, 13, 3)), "Mon 12:00 Asia/Seoul");
  EXPECT_TRUE(window("00:00-24:00").contains(at(2026, 12, 8, 23, 59)));
  EXPECT_TRUE(window("Fri-Mon 10:00-11:00").contains(at(2026, 12, 13, 10, 30)));  // Sunday, inside Fri-Mon
  EXPECT_FALSE(window("Fri-Mon 10:00-11:00").contains(at(2026, 12, 9, 10, 30)));  // Wednesday
}

TEST_F(WindowTest, DaylightSavingChangesInBerlin) {
  const auto w = window("Sun 02:00-04:00 Europe/Berlin");
  // Spring forward: 02:00-03:00 does not exist; the window opens at 03:00 CEST (01:00 UTC) for one hour.
  EXPECT_FALSE(w.contains(at(2026, 3, 29, 0, 59)));
  EXPECT_EQ(w.describe_next(at(2026, 3, 29, 0, 30)), "Sun 03:00 Europe/Berlin");
  EXPECT_EQ(w.next_opening(at(2026, 3, 29, 0, 30))->at, at(2026, 3, 29, 1));
  EXPECT_TRUE(w.contains(at(2026, 3, 29, 1, 59)));
  EXPECT_FALSE(w.contains(at(2026, 3, 29, 2)));
  // Fall back: 02:00-03:00 happens twice; the window lasts three hours, 00:00 to 03:00 UTC.
  EXPECT_FALSE(w.contains(at(2026, 10, 24, 23, 59)));
  EXPECT_TRUE(w.contains(at(2026, 10, 25, 0)));
  EXPECT_TRUE(w.contains(at(2026, 10, 25, 1, 30)));  // 02:30 CET, the second time
  EXPECT_TRUE(w.contains(at(2026, 10, 25, 2, 59)));
  EXPECT_FALSE(w.contains(at(2026, 10, 25, 3)));
  // The same wall-clock window is an hour earlier in UTC in summer.
  const auto weekdays = window("Mon-Fri 02:00-04:00 Europe/Berlin");
  EXPECT_EQ(weekdays.next_opening(at(2026, 1, 4, 12))->at, at(2026, 1, 5, 1));
  EXPECT_EQ(weekdays.next_opening(at(2026, 7, 5, 12))->at, at(2026, 7, 6, 0));
}

TEST_F(WindowTest, BadWindowsSayWhatToWrite) {
  const std::vector<std::pair<std::string, std::string>> cases{
      {"", "an empty span"},
      {"Mon-Fri", "has no hours"},
      {"Mon-Fri 2:00-4:00", "is not a span of hours like 02:00-04:00"},
      {"Mon-Fry 02:00-04:00", "\"Mon-Fry\" is not a day"},
      {"Mon 02:00-02:00", "starts when it ends"},
      {"Mon 02:00-25:00", "is not a span of hours"},
      {"Mon 24:00-02:00", "is not a span of hours"},
      {"Mon 02:00-04:00 Europe/Nowhere", "unknown time zone \"Europe/Nowhere\""},
      {"Mon 02:00-04:00 UTC extra", "\"extra\" is not understood"},
      {"Mon 02:00-04:00;", "an empty span"},
  };
  for (const auto& [text, expected] : cases) {
    const auto parsed = parse_update_window(text);
    EXPECT_FALSE(parsed.value) << text;
    EXPECT_NE(parsed.error.find(expected), std::string::npos) << text << ": " << parsed.error;
  }
}

TEST_F(WindowTest, AgentJsonAndTheLabel) {
  const auto loaded = load_agent_config(R"({"update": {"window": "Mon-Fri 02:00-04:00 Asia/Seoul"}})", "agent.json");
  ASSERT_TRUE(loaded.ok()) << loaded.problems.to_string();
  ASSERT_TRUE(loaded.value->update.window);
  EXPECT_EQ(loaded.value->update.window->text(), "Mon-Fri 02:00-04:00 Asia/Seoul");
  const auto none = load_agent_config(R"({"update": {"window": null}})", "agent.json");
  ASSERT_TRUE(none.ok()) << none.problems.to_string();
  EXPECT_FALSE(none.value->update.window);
  const auto bad = load_agent_config(R"({"update": {"window": "Mon 02:00-04:00 Nowhere"}})", "agent.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.problems.to_string().find("agent.json: update.window: \"Mon 02:00-04:00 Nowhere\": unknown time zone"),
            std::string::npos)
      << bad.problems.to_string();
  const auto labelled = service_policy_from_labels({{"berth.window", "Sat,Sun 03:00-05:00 Europe/Berlin"}}, "c");
  ASSERT_TRUE(labelled.ok()) << labelled.problems.to_string();
  ASSERT_TRUE(labelled.value->window);
  EXPECT_TRUE(labelled.value->window->contains(at(2026, 12, 12, 2, 30)));  // Saturday 03:30 CET
}

}  // namespace
}  // namespace berth::config
