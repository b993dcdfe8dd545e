#include "control/throttle.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace berth::control {

std::string throttle_group(std::string_view address) {
  std::string text(address.substr(0, address.find('%')));  // without a zone ("fe80::1%eth0")
  in6_addr v6{};
  if (text.find(':') == std::string::npos || ::inet_pton(AF_INET6, text.c_str(), &v6) != 1) {
    return std::string(address);
  }
  std::string out;
  for (std::size_t i = 0; i < 8; i += 2) {
    const unsigned group = (unsigned{v6.s6_addr[i]} << 8U) | v6.s6_addr[i + 1];
    std::array<char, 8> hex{};
    const auto [end, ec] = std::to_chars(hex.data(), hex.data() + hex.size(), group, 16);
    out.append(hex.data(), end);
    out += ':';
  }
  return out + ":/64";
}

std::optional<std::chrono::seconds> AuthThrottle::retry_after(const std::string& address, Clock::time_point now) const {
  const auto it = failures_.find(throttle_group(address));
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
  const std::string key = throttle_group(address);
  if (failures_.size() >= limits_.max_addresses && !failures_.contains(key)) {
    forget_stale(now);
  }
  auto& times = failures_[key];
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
