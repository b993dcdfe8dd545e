#pragma once

// Update windows: the spans of the week inside which automatic swaps may start (`berth.window`,
// agent.json `update.window`). "Mon-Fri 02:00-04:00 UTC", several spans separated by ";", each in its own
// time zone (UTC when it names none). Local wall-clock time decides: on the day clocks go forward a span
// loses the skipped hour, on the day they go back it gains the repeated one.

#include "config/time_zone.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::config {

struct WindowSpan {
  std::uint8_t days = 0x7f;  // bit 0 Monday ... bit 6 Sunday: the days the span starts on
  int start = 0;             // minutes after local midnight
  int end = 0;               // minutes after local midnight; not after start: the span runs past midnight
  std::shared_ptr<const TimeZone> zone;

  [[nodiscard]] bool contains(SysSeconds t) const;
};

class UpdateWindow {
 public:
  UpdateWindow() = default;
  UpdateWindow(std::string text, std::vector<WindowSpan> spans) : text_(std::move(text)), spans_(std::move(spans)) {}

  [[nodiscard]] const std::string& text() const { return text_; }
  [[nodiscard]] bool contains(SysSeconds t) const;
  // The first minute at or after `t` inside the window (at most 8 days ahead), with the span it opens.
  struct Opening {
    SysSeconds at;
    const WindowSpan* span = nullptr;
  };
  [[nodiscard]] std::optional<Opening> next_opening(SysSeconds t) const;
  // "Tue 02:00 UTC", "Sun 03:00 Europe/Berlin": the next opening as its span's zone reads it; "now" inside.
  [[nodiscard]] std::string describe_next(SysSeconds t) const;

  friend bool operator==(const UpdateWindow& a, const UpdateWindow& b) { return a.text_ == b.text_; }

 private:
  std::string text_;
  std::vector<WindowSpan> spans_;
};

struct UpdateWindowParse {
  std::optional<UpdateWindow> value;
  std::string error;
};
// Spans separated by ";", each `[DAYS] HH:MM-HH:MM [ZONE]`. DAYS: Mon, Tue, Wed, Thu, Fri, Sat, Sun,
// ranges (Mon-Fri, Fri-Mon) and lists (Mon,Wed,Fri); every day when absent. 24:00 ends a span at midnight.
UpdateWindowParse parse_update_window(std::string_view text, const std::string& tzdir = "/usr/share/zoneinfo");

}  // namespace berth::config
