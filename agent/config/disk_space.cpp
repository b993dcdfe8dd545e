#include "config/disk_space.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <utility>

namespace berth::config {

namespace {

constexpr std::array<std::pair<std::string_view, std::int64_t>, 9> kSizeUnits{
    {{"B", 1},
     {"KB", 1000},
     {"MB", 1000 * 1000},
     {"GB", 1000 * 1000 * 1000},
     {"TB", std::int64_t{1000} * 1000 * 1000 * 1000},
     {"KiB", std::int64_t{1} << 10},
     {"MiB", std::int64_t{1} << 20},
     {"GiB", std::int64_t{1} << 30},
     {"TiB", std::int64_t{1} << 40}}};

}  // namespace

MinFreeParse parse_min_free(std::string_view text) {
  const std::string quoted = "\"" + std::string(text) + "\"";
  const std::string forms = "write a percentage, an amount or both, like \"10%, 2GiB\", \"15%\" or \"500MiB\"";
  MinFree out{0, 0};
  bool percent_seen = false;
  bool amount_seen = false;
  std::string_view rest = text;
  int parts = 0;
  while (true) {
    const auto comma = rest.find(',');
    const std::string_view part = common::trim_blanks(rest.substr(0, comma));
    ++parts;
    if (part.empty() || parts > 2) return {std::nullopt, quoted + " is not a free-space limit; " + forms};
    std::size_t digits = 0;
    while (digits < part.size() && part[digits] >= '0' && part[digits] <= '9') ++digits;
    if (digits == 0 || digits > 15) return {std::nullopt, quoted + " is not a free-space limit; " + forms};
    const std::int64_t number = std::stoll(std::string(part.substr(0, digits)));
    const std::string_view unit = common::trim_blanks(part.substr(digits));
    if (unit == "%") {
      if (percent_seen) return {std::nullopt, quoted + " gives a percentage twice; " + forms};
      if (number > 100) return {std::nullopt, quoted + ": a percentage is at most 100%"};
      percent_seen = true;
      out.percent = static_cast<int>(number);
    } else if (unit.empty() && number == 0) {
      amount_seen = true;
    } else {
      const auto* found =
          std::find_if(kSizeUnits.begin(), kSizeUnits.end(), [&](const auto& u) { return u.first == unit; });
      if (found == kSizeUnits.end()) {
        return {std::nullopt, quoted + ": \"" + std::string(unit) +
                                  "\" is not a unit (B, KB, MB, GB, TB, KiB, MiB, GiB, TiB, or % of the disk)"};
      }
      if (amount_seen) return {std::nullopt, quoted + " gives an amount twice; " + forms};
      if (number > std::numeric_limits<std::int64_t>::max() / found->second) {
        return {std::nullopt, quoted + " is too large"};
      }
      amount_seen = true;
      out.bytes = number * found->second;
    }
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return {out, {}};
}

std::string format_bytes(std::int64_t bytes) {
  constexpr std::array<std::string_view, 5> kNames{"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(std::max<std::int64_t>(bytes, 0));
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < kNames.size()) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof(buf), "%lld B", static_cast<long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf), value < 10 ? "%.1f %s" : "%.0f %s", value, std::string(kNames[unit]).c_str());
  }
  return buf;
}

std::optional<std::string> disk_guard_refusal(const DiskSpace& disk, std::int64_t image_bytes, const MinFree& min_free,
                                              std::string_view root) {
  const std::int64_t share = disk.total / 100 * min_free.percent;
  const std::int64_t must_remain = std::max(share, min_free.bytes);
  const std::int64_t would_remain = disk.free - std::max<std::int64_t>(image_bytes, 0);
  if (must_remain <= 0 || would_remain >= must_remain) {
    return std::nullopt;
  }
  std::string limit;
  if (min_free.percent > 0) limit = std::to_string(min_free.percent) + "% of " + format_bytes(disk.total);
  if (min_free.bytes > 0) limit += (limit.empty() ? "" : " and ") + format_bytes(min_free.bytes);
  return "not enough disk space: " + format_bytes(disk.free) + " free on " + std::string(root) + ", the image needs " +
         format_bytes(image_bytes) + " and disk.min_free keeps " + limit + " free; nothing was pulled";
}

}  // namespace berth::config
