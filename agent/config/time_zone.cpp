#include "config/time_zone.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

namespace berth::config {

namespace chr = std::chrono;
using common::ErrorKind;
using common::make_error;

namespace {

constexpr std::size_t kMaxTzifBytes = 256 * 1024;
constexpr std::size_t kHeaderBytes = 44;

// ---- POSIX TZ strings ------------------------------------------------------------------------------------

struct Cursor {
  std::string_view text;
  std::size_t pos = 0;
  [[nodiscard]] bool done() const { return pos >= text.size(); }
  [[nodiscard]] char peek() const { return done() ? '\0' : text[pos]; }
  bool eat(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }
  std::optional<int> number(int max_digits) {
    int value = 0;
    int digits = 0;
    while (!done() && digits < max_digits && peek() >= '0' && peek() <= '9') {
      value = value * 10 + (text[pos++] - '0');
      ++digits;
    }
    return digits == 0 ? std::nullopt : std::optional<int>(value);
  }
};

bool zone_abbreviation(Cursor& c) {
  if (c.eat('<')) {
    const auto close = c.text.find('>', c.pos);
    if (close == std::string_view::npos || close - c.pos < 3) return false;
    c.pos = close + 1;
    return true;
  }
  const std::size_t start = c.pos;
  while (!c.done() && ((c.peek() >= 'A' && c.peek() <= 'Z') || (c.peek() >= 'a' && c.peek() <= 'z'))) ++c.pos;
  return c.pos - start >= 3;
}

// [+-]hh[:mm[:ss]] in seconds; hours up to `max_hours`.
std::optional<std::int32_t> signed_time(Cursor& c, int max_hours) {
  int sign = 1;
  if (c.eat('-')) {
    sign = -1;
  } else {
    c.eat('+');
  }
  const auto h = c.number(3);
  if (!h || *h > max_hours) return std::nullopt;
  std::int32_t seconds = *h * 3600;
  if (c.eat(':')) {
    const auto m = c.number(2);
    if (!m || *m > 59) return std::nullopt;
    seconds += *m * 60;
    if (c.eat(':')) {
      const auto s = c.number(2);
      if (!s || *s > 59) return std::nullopt;
      seconds += *s;
    }
  }
  return sign * seconds;
}

std::optional<PosixZoneRule::Date> rule_date(Cursor& c) {
  using Kind = PosixZoneRule::Date::Kind;
  PosixZoneRule::Date d;
  if (c.eat('M')) {
    d.kind = Kind::kMonthWeekDay;
    const auto m = c.number(2);
    if (!m || *m < 1 || *m > 12 || !c.eat('.')) return std::nullopt;
    const auto w = c.number(1);
    if (!w || *w < 1 || *w > 5 || !c.eat('.')) return std::nullopt;
    const auto wd = c.number(1);
    if (!wd || *wd > 6) return std::nullopt;
    d.month = *m;
    d.week = *w;
    d.weekday = *wd;
  } else if (c.eat('J')) {
    d.kind = Kind::kJulianNoLeap;
    const auto n = c.number(3);
    if (!n || *n < 1 || *n > 365) return std::nullopt;
    d.day = *n;
  } else {
    d.kind = Kind::kZeroBased;
    const auto n = c.number(3);
    if (!n || *n > 365) return std::nullopt;
    d.day = *n;
  }
  if (c.eat('/')) {
    const auto t = signed_time(c, 167);
    if (!t) return std::nullopt;
    d.time = *t;
  }
  return d;
}

// The local midnight that starts the rule date in `year`, as days since 1970-01-01.
chr::sys_days rule_day(const PosixZoneRule::Date& d, int year) {
  using Kind = PosixZoneRule::Date::Kind;
  const chr::year y{year};
  switch (d.kind) {
    case Kind::kJulianNoLeap: return chr::sys_days{y / 1 / 1} + chr::days(d.day - 1 + (y.is_leap() && d.day >= 60));
    case Kind::kZeroBased: return chr::sys_days{y / 1 / 1} + chr::days(d.day);
    case Kind::kMonthWeekDay: break;
  }
  const chr::month m{static_cast<unsigned>(d.month)};
  const chr::weekday wd{static_cast<unsigned>(d.weekday)};
  if (d.week == 5) {
    return chr::sys_days{y / m / wd[chr::last]};
  }
  return chr::sys_days{y / m / wd[static_cast<unsigned>(d.week)]};
}

// ---- TZif ----------------------------------------------------------------------------------------------

std::int64_t big_endian(std::string_view bytes, std::size_t at, std::size_t width) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < width; ++i) {
    v = (v << 8) | static_cast<unsigned char>(bytes[at + i]);
  }
  if (width == 4) return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
  return static_cast<std::int64_t>(v);
}

struct TzifCounts {
  std::size_t isut = 0, isstd = 0, leap = 0, time = 0, type = 0, chars = 0;
  [[nodiscard]] std::size_t data_bytes(std::size_t time_width) const {
    return time * time_width + time + type * 6 + chars + leap * (time_width + 4) + isstd + isut;
  }
};

std::optional<TzifCounts> tzif_header(std::string_view bytes, std::size_t at) {
  if (bytes.size() < at + kHeaderBytes || bytes.substr(at, 4) != "TZif") return std::nullopt;
  TzifCounts c;
  std::size_t* fields[] = {&c.isut, &c.isstd, &c.leap, &c.time, &c.type, &c.chars};
  for (std::size_t i = 0; i < 6; ++i) {
    const auto v = big_endian(bytes, at + 20 + i * 4, 4);
    if (v < 0 || v > 100000) return std::nullopt;
    *fields[i] = static_cast<std::size_t>(v);
  }
  if (c.type == 0) return std::nullopt;
  return c;
}

bool valid_zone_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/' || name.find("..") != std::string_view::npos) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '/' || ch == '_' ||
           ch == '-' || ch == '+';
  });
}

}  // namespace

std::optional<PosixZoneRule> parse_posix_zone_rule(std::string_view text) {
  Cursor c{text};
  PosixZoneRule rule;
  if (!zone_abbreviation(c)) return std::nullopt;
  const auto std_west = signed_time(c, 24);
  if (!std_west) return std::nullopt;
  rule.std_offset = -*std_west;
  if (c.done()) return rule;
  if (!zone_abbreviation(c)) return std::nullopt;
  rule.dst_offset = rule.std_offset + 3600;
  if (!c.done() && c.peek() != ',') {
    const auto dst_west = signed_time(c, 24);
    if (!dst_west) return std::nullopt;
    rule.dst_offset = -*dst_west;
  }
  if (c.done()) {
    // No rule: the US rule POSIX implementations assume.
    rule.start = {PosixZoneRule::Date::Kind::kMonthWeekDay, 3, 2, 0, 0, 7200};
    rule.end = {PosixZoneRule::Date::Kind::kMonthWeekDay, 11, 1, 0, 0, 7200};
    return rule;
  }
  if (!c.eat(',')) return std::nullopt;
  auto start = rule_date(c);
  if (!start || !c.eat(',')) return std::nullopt;
  auto end = rule_date(c);
  if (!end || !c.done()) return std::nullopt;
  rule.start = *start;
  rule.end = *end;
  return rule;
}

std::int32_t PosixZoneRule::offset_at(SysSeconds t) const {
  if (!dst_offset) return std_offset;
  // The year as standard time reads it; both changes of that year are compared in UTC.
  const auto local_std = t + chr::seconds(std_offset);
  const int year = static_cast<int>(chr::year_month_day{chr::floor<chr::days>(local_std)}.year());
  const auto start_utc = SysSeconds{rule_day(start, year)} + chr::seconds(start.time - std_offset);
  const auto end_utc = SysSeconds{rule_day(end, year)} + chr::seconds(end.time - *dst_offset);
  const bool dst = start_utc < end_utc ? (t >= start_utc && t < end_utc) : !(t >= end_utc && t < start_utc);
  return dst ? *dst_offset : std_offset;
}

common::Result<TimeZone> TimeZone::load(std::string_view name, const std::string& tzdir) {
  if (name == "UTC" || name == "Etc/UTC") {
    TimeZone utc;
    utc.name_ = std::string(name);
    return utc;
  }
  if (!valid_zone_name(name)) {
    return make_error(ErrorKind::kInvalidArgument, "\"" + std::string(name) + "\" is not a time zone name");
  }
  const std::string path = tzdir + "/" + std::string(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorKind::kNotFound, "unknown time zone \"" + std::string(name) + "\" (no " + path +
                                                "); use UTC or an IANA name such as Europe/Berlin");
  }
  std::string bytes;
  bytes.resize(kMaxTzifBytes + 1);
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  if (bytes.size() > kMaxTzifBytes) {
    return make_error(ErrorKind::kTooLarge, path + " is too large for a time zone file");
  }
  auto zone = from_tzif(std::string(name), bytes);
  if (!zone) {
    return zone.error().context(path);
  }
  return zone;
}

common::Result<TimeZone> TimeZone::from_tzif(std::string name, std::string_view bytes) {
  const auto bad = [&](const std::string& why) {
    return make_error(ErrorKind::kProtocol, "not a valid time zone file: " + why);
  };
  auto counts = tzif_header(bytes, 0);
  if (!counts) return bad("no TZif header");
  std::size_t at = kHeaderBytes;
  std::size_t width = 4;
  if (bytes[4] >= '2') {
    // Version 2 and later repeat the data with 64-bit times after the version 1 block, then a footer.
    at += counts->data_bytes(4);
    counts = tzif_header(bytes, at);
    if (!counts) return bad("no second header");
    at += kHeaderBytes;
    width = 8;
  }
  const auto& c = *counts;
  if (bytes.size() < at + c.data_bytes(width)) return bad("cut short");
  const std::size_t times_at = at;
  const std::size_t index_at = times_at + c.time * width;
  const std::size_t types_at = index_at + c.time;
  std::vector<std::int32_t> type_offsets;
  for (std::size_t i = 0; i < c.type; ++i) {
    type_offsets.push_back(static_cast<std::int32_t>(big_endian(bytes, types_at + i * 6, 4)));
  }
  TimeZone zone;
  zone.name_ = std::move(name);
  zone.initial_offset_ = type_offsets[0];
  for (std::size_t i = 0; i < c.time; ++i) {
    const auto when = big_endian(bytes, times_at + i * width, width);
    const auto type = static_cast<unsigned char>(bytes[index_at + i]);
    if (type >= c.type) return bad("a transition names an unknown type");
    if (!zone.transitions_.empty() && when <= zone.transitions_.back()) return bad("transitions out of order");
    zone.transitions_.push_back(when);
    zone.offsets_.push_back(type_offsets[type]);
  }
  if (width == 8) {
    const std::size_t footer_at = at + c.data_bytes(8);
    if (footer_at < bytes.size() && bytes[footer_at] == '\n') {
      const auto end = bytes.find('\n', footer_at + 1);
      const auto text = bytes.substr(footer_at + 1, end == std::string_view::npos ? 0 : end - footer_at - 1);
      if (!text.empty()) {
        zone.rule_ = parse_posix_zone_rule(text);
        if (!zone.rule_) return bad("footer \"" + std::string(text.substr(0, 60)) + "\" is not a TZ rule");
      }
    }
  }
  return zone;
}

std::int32_t TimeZone::offset_at(SysSeconds t) const {
  const std::int64_t s = t.time_since_epoch().count();
  if (transitions_.empty()) {
    return rule_ ? rule_->offset_at(t) : initial_offset_;
  }
  if (s < transitions_.front()) {
    return initial_offset_;
  }
  if (s >= transitions_.back() && rule_) {
    return rule_->offset_at(t);
  }
  const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), s);
  return offsets_[static_cast<std::size_t>(std::distance(transitions_.begin(), it) - 1)];
}

}  // namespace berth::config
