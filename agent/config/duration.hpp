#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace berth::config {

// Durations in configuration files are strings of whole numbers with units, largest first:
// "500ms", "30s", "5m", "1h", "1m30s", "1h30m". Units: ms, s, m, h. A bare number, a negative value,
// a fraction or a repeated unit is refused (the error says what to write instead).
struct DurationParse {
  std::optional<std::chrono::milliseconds> value;
  std::string error;  // why the text is not a duration, when value is empty
};
DurationParse parse_duration(std::string_view text);

// The shortest text parse_duration reads back to the same value: 90000ms -> "1m30s", 500ms -> "500ms",
// 0 -> "0s".
std::string format_duration(std::chrono::milliseconds value);

// Percentages such as a poll jitter: "10%", "0%", "100%", whole numbers from 0 to 100.
struct PercentParse {
  std::optional<int> value;
  std::string error;
};
PercentParse parse_percent(std::string_view text);

// The shortest poll interval accepted (agent.json's poll.interval and the berth.poll label).
inline constexpr std::chrono::milliseconds kMinPollInterval = std::chrono::seconds(1);

}  // namespace berth::config
