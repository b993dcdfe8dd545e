// Fuzzes the rate-limit header parsers: ratelimit-limit and ratelimit-remaining values, Retry-After
// (seconds or an HTTP-date) and the backoff fed with what they return. The input's lines are the header
// values. Invariants: nothing parsed is negative, a budget comes only from two values that parse, and
// dates stay within what the clock holds, and the backoff's wait stays within its caps.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string_view>

#include "fuzz_check.hpp"
#include "registry/ratelimit.hpp"

namespace {

namespace registry = berth::registry;

using berth_fuzz::check;

std::string_view next_line(std::string_view& rest) {
  const auto newline = rest.find('\n');
  const std::string_view line = rest.substr(0, newline);
  rest = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  const std::string_view limit = next_line(rest);
  const std::string_view remaining = next_line(rest);
  const std::string_view retry_after = next_line(rest);

  const auto limit_value = registry::parse_rate_limit_value(limit);
  if (limit_value && limit_value->window) {
    check(limit_value->window->count() >= 0);
  }
  const auto budget = registry::parse_rate_limit(limit, remaining);
  if (budget) {
    check(limit_value.has_value() && registry::parse_rate_limit_value(remaining).has_value());
    check(budget->limit == limit_value->count);
  }

  const auto now = std::chrono::system_clock::time_point{} + std::chrono::hours(24 * 365 * 56);
  const auto wait = registry::parse_retry_after(retry_after, now);
  if (wait) {
    check(wait->count() >= 0);
  }
  for (const std::string_view text : {retry_after, rest}) {
    if (const auto date = registry::parse_http_date(text)) {
      // Within what the clock can hold: a year read back from the time point is the year written.
      const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(*date)};
      check(ymd.year() >= std::chrono::year(1970) && ymd.year() <= std::chrono::year(2200));
    }
  }

  registry::BackoffSettings settings;
  registry::RegistryBackoff backoff(settings);
  const auto start = registry::RegistryBackoff::Clock::time_point{} + std::chrono::hours(1);
  std::optional<registry::RegistryBackoff::Clock::duration> hint;
  if (wait) {
    hint = *wait;
  }
  const auto waited = backoff.record_failure(start, hint);
  check(waited >= registry::RegistryBackoff::Clock::duration::zero());
  check(waited <= std::max<registry::RegistryBackoff::Clock::duration>(settings.max_delay, settings.max_retry_after));
  check(!backoff.ready(start) && backoff.ready(start + waited));
  return 0;
}
