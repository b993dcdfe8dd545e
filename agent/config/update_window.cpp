#include "config/update_window.hpp"

#include "common/text.hpp"

#include <array>
#include <cstdio>

namespace berth::config {

namespace chr = std::chrono;

namespace {

constexpr std::array<std::string_view, 7> kDayNames{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
constexpr int kMinutesPerDay = 24 * 60;
// Enough minutes to pass every span of a week once, with room for a shifted offset.
constexpr int kSearchMinutes = 8 * kMinutesPerDay;

std::optional<int> day_index(std::string_view name) {
  for (std::size_t i = 0; i < kDayNames.size(); ++i) {
    if (common::iequals(name, kDayNames[i])) return static_cast<int>(i);
  }
  return std::nullopt;
}

// Monday 0 ... Sunday 6.
int iso_day(chr::local_days d) { return static_cast<int>((chr::weekday{d}.c_encoding() + 6) % 7); }

std::optional<std::uint8_t> parse_days(std::string_view text) {
  std::uint8_t days = 0;
  for (const auto item : common::split(text, ',')) {
    const auto dash = item.find('-');
    const auto first = day_index(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : day_index(item.substr(dash + 1));
    if (!first || !last) return std::nullopt;
    for (int d = *first;; d = (d + 1) % 7) {
      days |= static_cast<std::uint8_t>(1U << d);
      if (d == *last) break;
    }
  }
  return days;
}

std::optional<int> parse_clock(std::string_view text, bool end) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (const std::size_t i : {0, 1, 3, 4}) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
  }
  const int h = (text[0] - '0') * 10 + (text[1] - '0');
  const int m = (text[3] - '0') * 10 + (text[4] - '0');
  if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end))) return std::nullopt;
  return h * 60 + m;
}

}  // namespace

bool WindowSpan::contains(SysSeconds t) const {
  const auto local = zone->to_local(t);
  const auto day = chr::floor<chr::days>(local);
  const int minute = static_cast<int>(chr::duration_cast<chr::minutes>(local - day).count());
  const auto on = [this](chr::local_days d) { return ((days >> iso_day(d)) & 1U) != 0; };
  if (start < end) {
    return on(day) && minute >= start && minute < end;
  }
  return (on(day) && minute >= start) || (on(day - chr::days(1)) && minute < end);
}

bool UpdateWindow::contains(SysSeconds t) const {
  for (const auto& span : spans_) {
    if (span.contains(t)) return true;
  }
  return false;
}

std::optional<UpdateWindow::Opening> UpdateWindow::next_opening(SysSeconds t) const {
  for (const auto& span : spans_) {
    if (span.contains(t)) return Opening{t, &span};
  }
  auto at = chr::ceil<chr::minutes>(t);
  for (int i = 0; i <= kSearchMinutes; ++i, at += chr::minutes(1)) {
    for (const auto& span : spans_) {
      if (span.contains(at)) return Opening{at, &span};
    }
  }
  return std::nullopt;
}

std::string UpdateWindow::describe_next(SysSeconds t) const {
  const auto opening = next_opening(t);
  if (!opening) return "never";
  if (opening->at == t) return "now";
  const auto local = opening->span->zone->to_local(opening->at);
  const auto day = chr::floor<chr::days>(local);
  const auto minute = chr::duration_cast<chr::minutes>(local - day).count();
  char clock[8];
  std::snprintf(clock, sizeof(clock), "%02d:%02d", static_cast<int>(minute / 60), static_cast<int>(minute % 60));
  return std::string(kDayNames[static_cast<std::size_t>(iso_day(day))]) + " " + clock + " " +
         opening->span->zone->name();
}

UpdateWindowParse parse_update_window(std::string_view text, const std::string& tzdir) {
  const std::string forms = "write spans like \"Mon-Fri 02:00-04:00 UTC\", separated by \";\"";
  std::vector<WindowSpan> spans;
  for (const auto raw : common::split(text, ';')) {
    const std::string_view span_text = common::trim_blanks(raw);
    const std::string quoted = "\"" + std::string(span_text) + "\"";
    if (span_text.empty()) return {std::nullopt, "an empty span; " + forms};
    std::vector<std::string_view> words;
    for (const auto w : common::split(span_text, ' ')) {
      if (!common::trim_blanks(w).empty()) words.push_back(common::trim_blanks(w));
    }
    WindowSpan span;
    std::size_t i = 0;
    if (words[i].find(':') == std::string_view::npos) {
      const auto days = parse_days(words[i]);
      if (!days) {
        return {std::nullopt, quoted + ": \"" + std::string(words[i]) +
                                  "\" is not a day, a range or a list of days (Mon, Tue, Wed, Thu, Fri, Sat, Sun; "
                                  "Mon-Fri; Sat,Sun)"};
      }
      span.days = *days;
      ++i;
    }
    if (i >= words.size()) return {std::nullopt, quoted + " has no hours; " + forms};
    const auto dash = words[i].find('-');
    const auto start = parse_clock(words[i].substr(0, dash), false);
    const auto end = dash == std::string_view::npos ? std::nullopt : parse_clock(words[i].substr(dash + 1), true);
    if (!start || !end) {
      return {std::nullopt, quoted + ": \"" + std::string(words[i]) + "\" is not a span of hours like 02:00-04:00"};
    }
    if (*start == *end) {
      return {std::nullopt, quoted + ": the span starts when it ends; for every hour write 00:00-24:00"};
    }
    span.start = *start;
    span.end = *end;
    ++i;
    std::string zone_name = "UTC";
    if (i < words.size()) zone_name = std::string(words[i++]);
    if (i < words.size()) {
      return {std::nullopt, quoted + ": \"" + std::string(words[i]) + "\" is not understood; " + forms};
    }
    auto zone = TimeZone::load(zone_name, tzdir);
    if (!zone) return {std::nullopt, quoted + ": " + zone.error().message};
    span.zone = std::make_shared<const TimeZone>(std::move(*zone));
    spans.push_back(std::move(span));
  }
  return {UpdateWindow(std::string(common::trim_blanks(text)), std::move(spans)), {}};
}

}  // namespace berth::config
