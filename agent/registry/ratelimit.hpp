#pragma once

// Registry rate limits: Docker Hub's budget headers, Retry-After, and the per-registry backoff that keeps
// berth from hammering a registry that is failing or throttling it. No clock is read here: callers pass
// `now`, so every decision is reproducible in tests.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace berth::registry {

// One ratelimit-limit or ratelimit-remaining value: "100;w=21600" is 100 requests per 21600 s window.
struct RateLimitValue {
  std::uint64_t count = 0;
  std::optional<std::chrono::seconds> window;  // the "w" parameter, when sent

  bool operator==(const RateLimitValue&) const = default;
};

// Parses "100", "100;w=21600" or "76 ; w=21600". When the value lists several policies
// ("100, 100;w=21600") the first one is used. nullopt for anything else.
std::optional<RateLimitValue> parse_rate_limit_value(std::string_view value);

// What is left of a registry's pull budget, for `berth check --json`.
struct RateLimitBudget {
  std::uint64_t limit = 0;
  std::uint64_t remaining = 0;
  std::optional<std::chrono::seconds> window;

  bool operator==(const RateLimitBudget&) const = default;
};

// From the ratelimit-limit and ratelimit-remaining header values (pass "" for an absent header).
// nullopt unless both parse: no headers means the request was not counted (paid plan, exempt image, or a
// registry without limits).
std::optional<RateLimitBudget> parse_rate_limit(std::string_view limit, std::string_view remaining);

// Parses an HTTP-date in any of the three forms HTTP allows: "Sun, 06 Nov 1994 08:49:37 GMT",
// "Sunday, 06-Nov-94 08:49:37 GMT" and "Sun Nov  6 08:49:37 1994"; years 1970 to 2200 only.
std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view value);

// Retry-After as a wait from `now`: delay-seconds ("120") or an HTTP-date (a date in the past is zero).
// nullopt when the value is neither.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value,
                                                      std::chrono::system_clock::time_point now);

struct BackoffSettings {
  std::chrono::milliseconds initial_delay{std::chrono::seconds(10)};  // wait after the first failure
  std::chrono::milliseconds max_delay{std::chrono::minutes(30)};      // cap of the doubling
  std::chrono::milliseconds max_retry_after{std::chrono::hours(6)};   // cap on a registry's Retry-After
};

// The backoff state of one registry. Every failed request (connection error, timeout, 5xx, 429) makes the
// next wait twice as long, up to max_delay; a Retry-After from the registry is honoured when longer; a
// success ends the streak. Failures that arrive while already waiting (concurrent requests that were in
// flight) do not lengthen the streak, but their Retry-After still counts.
class RegistryBackoff {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RegistryBackoff(BackoffSettings settings = {});

  // True when a request to the registry may go out at `now`.
  [[nodiscard]] bool ready(Clock::time_point now) const { return now >= retry_at_; }

  // Earliest time of the next request (in the past when ready).
  [[nodiscard]] Clock::time_point retry_at() const { return retry_at_; }

  // Consecutive failures in the current streak; 0 after a success.
  [[nodiscard]] int failures() const { return failures_; }

  // Records a failed request; returns the wait from `now` before the next one may go out.
  Clock::duration record_failure(Clock::time_point now, std::optional<Clock::duration> retry_after = std::nullopt);

  // Records a successful request: the streak ends and requests may go out at once.
  void record_success();

 private:
  BackoffSettings settings_;
  int failures_ = 0;
  Clock::time_point retry_at_{};
};

}  // namespace berth::registry
