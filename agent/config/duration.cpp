#include "config/duration.hpp"

#include <array>
#include <cstdint>
#include <limits>

namespace berth::config {

namespace {

struct Unit {
  std::string_view name;
  std::int64_t ms;
};

// Largest first: the order units must appear in, and the order format_duration writes them.
constexpr std::array<Unit, 4> kUnits{{{"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}, {"ms", 1}}};

// Long enough for any interval an operator means (about 31 years), short enough never to overflow.
constexpr std::int64_t kMaxMs = std::int64_t{1} << 50;

bool is_digit(char c) { return c >= '0' && c <= '9'; }

DurationParse fail(std::string message) { return DurationParse{std::nullopt, std::move(message)}; }

}  // namespace

DurationParse parse_duration(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.empty()) return fail("empty duration; write for example \"30s\"");
  if (text.front() == '-') return fail(quoted + " is negative; durations are zero or more");
  std::int64_t total = 0;
  std::size_t next_unit = 0;  // index into kUnits of the largest unit still allowed
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i]))
      return fail(quoted + " is not a duration; write for example \"500ms\", \"30s\", \"5m\", \"1h\"");
    std::int64_t number = 0;
    while (i < text.size() && is_digit(text[i])) {
      number = number * 10 + (text[i] - '0');
      if (number > kMaxMs) return fail(quoted + " is too long");
      ++i;
    }
    if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
      return fail(quoted + " has a fraction; use a smaller unit, for example \"1500ms\" for 1.5s");
    }
    const std::size_t unit_start = i;
    while (i < text.size() && !is_digit(text[i])) ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    if (unit.empty()) {
      return fail(quoted + " has no unit; write for example \"" + std::to_string(number) + "s\"");
    }
    std::size_t found = kUnits.size();
    for (std::size_t u = 0; u < kUnits.size(); ++u) {
      if (kUnits[u].name == unit) found = u;
    }
    if (found == kUnits.size()) {
      return fail(quoted + ": unknown unit \"" + std::string(unit) + "\"; use ms, s, m or h");
    }
    if (found < next_unit) return fail(quoted + ": units must go from largest to smallest, each once (\"1h30m\")");
    next_unit = found + 1;
    if (number > kMaxMs / kUnits[found].ms || total > kMaxMs - number * kUnits[found].ms) {
      return fail(quoted + " is too long");
    }
    total += number * kUnits[found].ms;
  }
  return DurationParse{std::chrono::milliseconds(total), {}};
}

std::string format_duration(std::chrono::milliseconds value) {
  std::int64_t left = value.count();
  if (left == 0) return "0s";
  std::string out;
  if (left < 0) {
    out += '-';
    left = left == std::numeric_limits<std::int64_t>::min() ? std::numeric_limits<std::int64_t>::max() : -left;
  }
  for (const auto& unit : kUnits) {
    const std::int64_t n = left / unit.ms;
    if (n == 0) continue;
    out += std::to_string(n);
    out += unit.name;
    left -= n * unit.ms;
  }
  return out;
}

PercentParse parse_percent(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  if (text.size() < 2 || text.back() != '%') {
    return PercentParse{std::nullopt, quoted + " is not a percentage; write for example \"10%\""};
  }
  const std::string_view digits = text.substr(0, text.size() - 1);
  int value = 0;
  for (const char c : digits) {
    if (!is_digit(c)) {
      return PercentParse{std::nullopt, quoted + " is not a percentage; write a whole number from 0 to 100, then %"};
    }
    value = value * 10 + (c - '0');
    if (value > 100) return PercentParse{std::nullopt, quoted + " is more than 100%"};
  }
  return PercentParse{value, {}};
}

}  // namespace berth::config
