#pragma once

// Time zones for update windows, read from the system's tz database (TZif files, RFC 8536) without the
// process's TZ or the C library's global state: a window's zone is part of its text, never the host's.

#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::config {

using SysSeconds = std::chrono::sys_seconds;

// A POSIX TZ rule ("CET-1CEST,M3.5.0,M10.5.0/3"): what a TZif file's footer gives for the times after its
// last transition. Offsets are seconds east of UTC.
struct PosixZoneRule {
  std::int32_t std_offset = 0;
  std::optional<std::int32_t> dst_offset;  // none: no daylight saving time
  // A rule date: Mm.w.d (month, week 1-5 where 5 is the last, weekday 0 = Sunday), Jn (1-365, no Feb 29)
  // or n (0-365).
  struct Date {
    enum class Kind { kMonthWeekDay, kJulianNoLeap, kZeroBased } kind = Kind::kMonthWeekDay;
    int month = 0, week = 0, weekday = 0, day = 0;
    std::int32_t time = 7200;  // local seconds after midnight; may be negative or past 24 h
  };
  Date start, end;

  // The offset at `t`.
  [[nodiscard]] std::int32_t offset_at(SysSeconds t) const;
};
// Parses a POSIX TZ string; nullopt when it is not one.
std::optional<PosixZoneRule> parse_posix_zone_rule(std::string_view text);

class TimeZone {
 public:
  // "UTC" (always known), or an IANA name such as "Europe/Berlin" read from `<tzdir>/<name>`.
  static common::Result<TimeZone> load(std::string_view name, const std::string& tzdir = "/usr/share/zoneinfo");
  // A zone from the bytes of a TZif file.
  static common::Result<TimeZone> from_tzif(std::string name, std::string_view bytes);

  [[nodiscard]] const std::string& name() const { return name_; }
  // Seconds east of UTC at the instant `t`.
  [[nodiscard]] std::int32_t offset_at(SysSeconds t) const;
  // The local wall-clock time at `t`, as seconds since 1970-01-01 00:00 local.
  [[nodiscard]] std::chrono::local_seconds to_local(SysSeconds t) const {
    return std::chrono::local_seconds((t + std::chrono::seconds(offset_at(t))).time_since_epoch());
  }

 private:
  std::string name_;
  std::vector<std::int64_t> transitions_;  // UTC seconds, ascending
  std::vector<std::int32_t> offsets_;      // the offset from transitions_[i] on
  std::int32_t initial_offset_ = 0;        // before the first transition
  std::optional<PosixZoneRule> rule_;      // after the last transition
};

}  // namespace berth::config
