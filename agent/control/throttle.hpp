#pragma once

// Failed-authentication throttle, per client address (an IPv6 address per /64): after `max_failures`
// failures within `window`, every further request from that address with no or a bad credential is
// answered 429 with Retry-After until the oldest of those failures leaves the window. A valid
// credential is never throttled: others behind the same NAT, or any local user on a loopback listener,
// must not lock the operators out. Time is a parameter, so tests need no sleeping.

#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace berth::control {

// The key failures are counted under: an IPv6 address stands for its /64 ("2001:db8:1:2::/64"), since
// one host usually holds a whole /64; anything else (IPv4, "unix") is its own key.
std::string throttle_group(std::string_view address);

class AuthThrottle {
 public:
  using Clock = std::chrono::steady_clock;

  struct Limits {
    std::size_t max_failures = 10;
    std::chrono::seconds window{60};
    std::size_t max_addresses = 4096;  // tracked addresses; the stalest are forgotten past this
  };

  AuthThrottle() = default;
  explicit AuthThrottle(Limits limits) : limits_(limits) {}

  // How long the address must wait, when it is throttled now (at least one second).
  [[nodiscard]] std::optional<std::chrono::seconds> retry_after(const std::string& address,
                                                                Clock::time_point now) const;
  void record_failure(const std::string& address, Clock::time_point now);

  [[nodiscard]] std::size_t tracked() const { return failures_.size(); }

 private:
  void forget_stale(Clock::time_point now);

  Limits limits_;
  std::map<std::string, std::deque<Clock::time_point>> failures_;
};

}  // namespace berth::control
