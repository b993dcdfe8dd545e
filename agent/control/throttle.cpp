#include "control/throttle.hpp"

#include <algorithm>

namespace berth::control {

std::optional<std::chrono::seconds> AuthThrottle::retry_after(const std::string& address, Clock::time_point now) const {
  const auto it = failures_.find(address);
  if (it == failures_.end()) {
    return std::nullopt;
  }
  const auto& times = it->second;
  const auto in_window = static_cast<std::size_t>(
      std::count_if(times.begin(), times.end(), [&](Clock::time_point t) { return now - t < limits_.window; }));
  if (in_window < limits_.max_failures) {
    return std::nullopt;
  }
  // The failure that must leave the window before the address drops below the limit.
  const Clock::time_point pivot = times[times.size() - limits_.max_failures];
  const auto wait = std::chrono::ceil<std::chrono::seconds>(pivot + limits_.window - now);
  return std::max(wait, std::chrono::seconds(1));
}

void AuthThrottle::record_failure(const std::string& address, Clock::time_point now) {
  if (failures_.size() >= limits_.max_addresses && !failures_.contains(address)) {
    forget_stale(now);
  }
  auto& times = failures_[address];
  times.push_back(now);
  while (times.size() > limits_.max_failures) {
    times.pop_front();
  }
}

void AuthThrottle::forget_stale(Clock::time_point now) {
  std::erase_if(failures_, [&](const auto& item) { return now - item.second.back() >= limits_.window; });
  while (failures_.size() >= limits_.max_addresses) {
    // Still full of active addresses: forget the one whose last failure is oldest.
    auto oldest = std::min_element(failures_.begin(), failures_.end(),
                                   [](const auto& a, const auto& b) { return a.second.back() < b.second.back(); });
    failures_.erase(oldest);
  }
}

}  // namespace berth::control
