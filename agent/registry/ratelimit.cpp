#include "registry/ratelimit.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "common/text.hpp"

namespace berth::registry {
namespace {

using namespace std::chrono_literals;
using common::parse_unsigned;
using common::trim_blanks;

// Delays beyond this are nonsense from a registry; clamping keeps the arithmetic far from overflow.
constexpr std::uint64_t kMaxDelaySeconds = 365ULL * 24 * 3600;

std::vector<std::string_view> split_date(std::string_view value) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < value.size()) {
    while (i < value.size() && (value[i] == ' ' || value[i] == ',' || value[i] == '-')) {
      ++i;
    }
    const std::size_t start = i;
    while (i < value.size() && value[i] != ' ' && value[i] != ',' && value[i] != '-') {
      ++i;
    }
    if (i > start) {
      out.push_back(value.substr(start, i - start));
    }
  }
  return out;
}

std::optional<unsigned> month_number(std::string_view name) {
  static constexpr std::array<std::string_view, 12> kMonths = {"jan", "feb", "mar", "apr", "may", "jun",
                                                               "jul", "aug", "sep", "oct", "nov", "dec"};
  for (unsigned i = 0; i < kMonths.size(); ++i) {
    if (common::iequals(name, kMonths[i])) {
      return i + 1;
    }
  }
  return std::nullopt;
}

bool is_day_name(std::string_view name) {
  static constexpr std::array<std::string_view, 14> kDays = {"mon",      "tue",    "wed",      "thu",     "fri",
                                                             "sat",      "sun",    "monday",   "tuesday", "wednesday",
                                                             "thursday", "friday", "saturday", "sunday"};
  return std::any_of(kDays.begin(), kDays.end(), [&](std::string_view d) { return common::iequals(name, d); });
}

// "HH:MM:SS"
std::optional<std::chrono::seconds> time_of_day(std::string_view t) {
  if (t.size() != 8 || t[2] != ':' || t[5] != ':') {
    return std::nullopt;
  }
  const auto h = parse_unsigned(t.substr(0, 2));
  const auto m = parse_unsigned(t.substr(3, 2));
  const auto s = parse_unsigned(t.substr(6, 2));
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) {
    return std::nullopt;
  }
  return std::chrono::hours(*h) + std::chrono::minutes(*m) + std::chrono::seconds(*s);
}

}  // namespace

std::optional<RateLimitValue> parse_rate_limit_value(std::string_view value) {
  value = trim_blanks(value.substr(0, value.find(',')));
  const std::size_t semicolon = value.find(';');
  const auto count = parse_unsigned(trim_blanks(value.substr(0, semicolon)));
  if (!count) {
    return std::nullopt;
  }
  RateLimitValue out{*count, std::nullopt};
  std::string_view params = semicolon == std::string_view::npos ? std::string_view() : value.substr(semicolon + 1);
  while (!params.empty()) {
    const std::size_t next = params.find(';');
    const std::string_view param = trim_blanks(params.substr(0, next));
    params = next == std::string_view::npos ? std::string_view() : params.substr(next + 1);
    const std::size_t eq = param.find('=');
    if (eq == std::string_view::npos) {
      continue;
    }
    if (common::iequals(trim_blanks(param.substr(0, eq)), "w")) {
      const auto window = parse_unsigned(trim_blanks(param.substr(eq + 1)));
      if (!window || *window > kMaxDelaySeconds) {
        return std::nullopt;
      }
      out.window = std::chrono::seconds(*window);
    }
  }
  return out;
}

std::optional<RateLimitBudget> parse_rate_limit(std::string_view limit, std::string_view remaining) {
  const auto l = parse_rate_limit_value(limit);
  const auto r = parse_rate_limit_value(remaining);
  if (!l || !r) {
    return std::nullopt;
  }
  return RateLimitBudget{l->count, r->count, l->window ? l->window : r->window};
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value) {
  const auto parts = split_date(trim_blanks(value));
  std::string_view day;
  std::string_view month;
  std::string_view year;
  std::string_view time;
  if (parts.size() == 6 && parts[5] == "GMT") {  // IMF-fixdate and RFC 850
    day = parts[1];
    month = parts[2];
    year = parts[3];
    time = parts[4];
  } else if (parts.size() == 5) {  // asctime
    month = parts[1];
    day = parts[2];
    time = parts[3];
    year = parts[4];
  } else {
    return std::nullopt;
  }
  if (!is_day_name(parts[0])) {
    return std::nullopt;
  }
  const auto d = parse_unsigned(day);
  const auto m = month_number(month);
  auto y = parse_unsigned(year);
  const auto t = time_of_day(time);
  if (!d || !m || !y || !t || day.size() > 2 || (year.size() != 2 && year.size() != 4)) {
    return std::nullopt;
  }
  if (year.size() == 2) {
    *y += *y < 70 ? 2000 : 1900;
  }
  // Beyond these years the clock's nanoseconds overflow; no server means such a date.
  if (*y < 1970 || *y > 2200) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(static_cast<int>(*y)), std::chrono::month(*m),
                                         std::chrono::day(static_cast<unsigned>(*d))};
  if (!date.ok()) {
    return std::nullopt;
  }
  return std::chrono::sys_days(date) + *t;
}

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now) {
  value = trim_blanks(value);
  if (!value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const auto seconds = parse_unsigned(value);
    return std::chrono::seconds(std::min(seconds.value_or(kMaxDelaySeconds), kMaxDelaySeconds));
  }
  const auto date = parse_http_date(value);
  if (!date) {
    return std::nullopt;
  }
  if (*date <= now) {
    return 0s;
  }
  const auto wait = std::chrono::ceil<std::chrono::seconds>(*date - now);
  return std::min(wait, std::chrono::seconds(kMaxDelaySeconds));
}

RegistryBackoff::RegistryBackoff(BackoffSettings settings) : settings_(settings) {}

RegistryBackoff::Clock::duration RegistryBackoff::record_failure(Clock::time_point now,
                                                                 std::optional<Clock::duration> retry_after) {
  if (failures_ == 0 || now >= retry_at_) {
    ++failures_;
    Clock::duration delay = settings_.initial_delay;
    for (int i = 1; i < failures_ && delay < settings_.max_delay; ++i) {
      delay *= 2;
    }
    retry_at_ = now + std::min<Clock::duration>(delay, settings_.max_delay);
  }
  if (retry_after) {
    const Clock::duration honoured =
        std::clamp<Clock::duration>(*retry_after, Clock::duration::zero(), settings_.max_retry_after);
    retry_at_ = std::max(retry_at_, now + honoured);
  }
  return retry_at_ - now;
}

void RegistryBackoff::record_success() {
  failures_ = 0;
  retry_at_ = Clock::time_point{};
}

}  // namespace berth::registry
